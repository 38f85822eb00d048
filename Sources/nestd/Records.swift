#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import NestAPI

/// What the daemon knows of a container beyond the runtime's state: its
/// name, labels and times. One file per container, replaced atomically, so a
/// daemon killed at any point leaves either the old record or the new one.
struct ContainerRecord: Codable, Sendable {
    enum Phase: String, Codable, Sendable { case creating, created, deleting }
    var id: String
    var name: String
    var bundle: String
    var labels: [String: String]
    var command: [String]
    var created: Date
    var started: Date?
    var phase: Phase
    /// Removed by the daemon once it has exited; nil (not written) otherwise.
    var autoRemove: Bool?
    var removesItself: Bool { autoRemove == true }
    /// The image it was made from (nil: a bundle or a subsystem).
    var image: String? = nil
    /// What `stop` sends before KILL (nil: TERM).
    var stopSignal: String? = nil
    /// A container of a pod (id `POD/NAME`): the pod's id. Its record is
    /// never written: it is made from the pod's subsystem config.
    var pod: String? = nil
    /// Where its log is, when not in its own directory (a pod's container).
    var logFile: String? = nil
}

struct RecordStore: Sendable {
    let dir: String   // DATA/containers
    /// ROOT/.nestd/containers: the record and log of an auto-remove
    /// container. They live no longer than the container, and nothing of
    /// it is kept across a reboot, so they go beside the runtime's state (a
    /// tmpfs by default) instead of the data directory's disk; a restarted
    /// daemon still finds them.
    let ephemeralDir: String

    /// Where a new container's files go.
    func containerDir(_ id: String, ephemeral: Bool) -> String { (ephemeral ? ephemeralDir : dir) + "/" + id }

    /// Where an existing container's files are.
    func containerDir(_ id: String) -> String {
        let e = ephemeralDir + "/" + id
        return access(e, F_OK) == 0 ? e : dir + "/" + id
    }

    func logPath(_ id: String) -> String { containerDir(id) + "/log" }
    func logPath(_ id: String, ephemeral: Bool) -> String { containerDir(id, ephemeral: ephemeral) + "/log" }

    /// `durable`: fsync before and after the rename, for what a power loss must
    /// not take back (the record of a new container); atomic either way.
    func save(_ r: ContainerRecord, durable: Bool) throws {
        // a pod's container is its pod's config, which the runtime keeps
        if r.pod != nil { return }
        // no mkdir: create() made the directory, and a save must not bring
        // back that of a container that has been removed
        let d = containerDir(r.id, ephemeral: r.removesItself)
        // seconds since the epoch, exactly: a restarted daemon shows the same
        // times (to the millisecond) and keeps the creation order
        try AtomicFile.write(d + "/record.json", r.jsonBytes, durable: durable)
    }

    /// One mkdir(2): DATA/containers exists (recover() makes it), and
    /// FileManager's createDirectory walks and stats the whole path first.
    func makeContainerDir(_ id: String, ephemeral: Bool) throws {
        let d = containerDir(id, ephemeral: ephemeral)
        if mkdir(d, 0o755) != 0 && errno != EEXIST { throw POSIXFailure("mkdir \(d)") }
    }

    func loadAll() -> [ContainerRecord] {
        let dec = JSONDecoder()
        // records of earlier versions hold RFC 3339 strings
        dec.dateDecodingStrategy = .custom { decoder in
            let c = try decoder.singleValueContainer()
            if let seconds = try? c.decode(Double.self) { return Date(timeIntervalSince1970: seconds) }
            let s = try c.decode(String.self)
            guard let date = Timestamp.parse(s) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "not an RFC 3339 time: \(s)")
            }
            return date
        }
        return [dir, ephemeralDir].flatMap { base -> [ContainerRecord] in
            let names = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
            return names.compactMap { name -> ContainerRecord? in
                guard let data = FileManager.default.contents(atPath: base + "/" + name + "/record.json") else { return nil }
                return try? dec.decode(ContainerRecord.self, from: data)
            }
        }
    }

    /// Container directories that have no record.json: what a create the
    /// daemon did not finish left (the record is written last).
    func unrecordedDirs() -> [String] {
        [dir, ephemeralDir].flatMap { base -> [String] in
            let names = (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []
            return names.filter { name in
                !name.hasPrefix(".") && access(base + "/" + name + "/record.json", F_OK) != 0 && errno == ENOENT
            }
        }
    }

    func remove(_ id: String) {
        for base in [ephemeralDir, dir] {
            let d = base + "/" + id
            if access(d, F_OK) == 0 { try? FileManager.default.removeItem(atPath: d) }
        }
    }
}

enum AtomicFile {
    /// write to a temporary name, fsync, rename over the target, fsync the directory
    static func write(_ path: String, _ bytes: [UInt8], durable: Bool = true) throws {
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw POSIXFailure("open \(tmp)") }
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 { let f = POSIXFailure("write \(tmp)"); close(fd); throw f }
            off += n
        }
        if durable, fsync(fd) != 0 { let f = POSIXFailure("fsync \(tmp)"); close(fd); throw f }
        close(fd)
        guard rename(tmp, path) == 0 else { throw POSIXFailure("rename \(tmp)") }
        guard durable else { return }
        let dfd = open(parentDirectory(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }
}

struct POSIXFailure: Error, CustomStringConvertible {
    let description: String
    init(_ what: String) { description = "\(what): \(String(cString: strerror(errno)))" }
}
