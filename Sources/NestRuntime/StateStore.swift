import Glibc
import NestOCI

/// What `create` records in ROOT/ID/state.json (written atomically). The
/// status (created, running, stopped) is not stored: it is read from the
/// processes, the exec FIFO and the monitor's status file each time, so it
/// is right even after a crash of whoever created the container.
///
/// Written and read by hand (StateJSON.swift); Codable only for the tests
/// that hold that format to what JSONEncoder wrote.
struct StateRecord: Codable, Sendable {
    var id: String
    var ociVersion: String
    var bundle: String
    var annotations: [String: String]?
    var created: String
    var pid: Int32
    /// Start time of the init, to tell it from a later process with its pid.
    var pidStartTime: UInt64
    var monitorPid: Int32
    var cgroups: CgroupPaths
    var poststart: [Spec.Hook]
    var poststop: [Spec.Hook]
}

/// The monitor's status file.
struct ExitRecord: Codable, Sendable {
    var exitCode: Int32
    var signal: Int32
    var oomKilled: Bool
    var finishedAt: String
}

struct StateStore: Sendable {
    let root: String

    func dir(_ id: String) -> String { root + "/" + id }
    func stateFile(_ id: String) -> String { dir(id) + "/state.json" }
    func fifo(_ id: String) -> String { dir(id) + "/exec.fifo" }
    func statusFile(_ id: String) -> String { dir(id) + "/status" }
    func subsystemFile(_ id: String) -> String { dir(id) + "/subsystem.xml" }
    func planFile(_ id: String) -> String { dir(id) + "/plan" }

    func ensureRoot() throws(RuntimeError) {
        var path = ""
        for part in root.split(separator: "/") {
            path += "/" + part
            if mkdir(path, 0o711) != 0 && errno != EEXIST { throw .system("state root \(path): \(Sys.errorText())") }
        }
    }

    func load(_ id: String) throws(RuntimeError) -> StateRecord {
        guard let bytes = Sys.readFile(stateFile(id)) else {
            if Sys.exists(dir(id)) { throw .invalidState(id: id, state: "creating", wanted: "created") }
            throw .notFound(id)
        }
        do {
            return try StateRecord(json: JSONReader.parse(bytes))
        } catch {
            throw .system("\(stateFile(id)): \(error)")
        }
    }

    func save(_ record: StateRecord) throws(RuntimeError) {
        try Sys.writeAtomic(stateFile(record.id), record.json())
    }

    func exit(_ id: String) -> ExitRecord? {
        Sys.readFile(statusFile(id)).flatMap { bytes in try? ExitRecord(json: JSONReader.parse(bytes)) }
    }

    func ids() -> [String] {
        guard let d = opendir(root) else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let entry = readdir(d) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name.hasPrefix(".") { continue }
            if Sys.exists(stateFile(name)) { out.append(name) }
        }
        return out.sorted()
    }
}
