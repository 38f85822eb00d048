#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// What nestd keeps of a pod beyond its subsystem config: its name, labels
/// and the flags it was made with. Its containers are not listed here: the
/// config (the runtime's ROOT/ID/subsystem.xml) names them, so a restarted
/// daemon finds them there. One file per pod, replaced atomically.
struct PodRecord: Codable, Sendable {
    var id: String
    var name: String
    var created: Date
    var hostname: String
    var labels: [String: String]
    var memory: Int64?
    var cpus: Double?
    var pids: Int64?
    /// Launched from a config a client wrote (`run --subsystem`).
    var handWritten: Bool?
    /// Set while `rm` removes it, for a restarted daemon to finish.
    var deleting: Bool?
    /// The network its shared network namespace is attached to: the
    /// namespace file the holder joins and the pod's address there.
    var network: String?
    var netns: String?
    var address: String?
}

/// DATA/pods/ID: record.json and logs/NAME, one log per container.
struct PodStore: Sendable {
    let dir: String

    func podDir(_ id: String) -> String { dir + "/" + id }
    func logPath(_ id: String, _ name: String) -> String { podDir(id) + "/logs/" + name }

    func make(_ id: String) throws {
        for d in [dir, podDir(id), podDir(id) + "/logs"] where mkdir(d, 0o755) != 0 && errno != EEXIST {
            throw POSIXFailure("mkdir \(d)")
        }
    }

    func save(_ r: PodRecord) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        enc.dateEncodingStrategy = .secondsSince1970
        try AtomicFile.write(podDir(r.id) + "/record.json", Array(try enc.encode(r)))
    }

    func loadAll() -> [PodRecord] {
        let dec = JSONDecoder()
        dec.dateDecodingStrategy = .secondsSince1970
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.compactMap { name in
            FileManager.default.contents(atPath: podDir(name) + "/record.json").flatMap { try? dec.decode(PodRecord.self, from: $0) }
        }
    }

    /// Pod directories without a record: a pod create that did not finish.
    func unrecorded() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { !$0.hasPrefix(".") && access(podDir($0) + "/record.json", F_OK) != 0 }
    }

    func remove(_ id: String) {
        if access(podDir(id), F_OK) == 0 { try? FileManager.default.removeItem(atPath: podDir(id)) }
    }
}
