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
    /// The cgroup dirs Nest made for the container: only these are killed
    /// and removed at delete. nil in records of versions that did not say
    /// (they made every dir of `cgroups`).
    var cgroupsMade: [String]? = nil
    var poststart: [Spec.Hook]
    var poststop: [Spec.Hook]
    /// The limits in force (the fields of `linux.resources` the cgroup
    /// writer applies): the create's, then each `update`'s. nil when none
    /// were set.
    var resources: Spec.Linux.Resources? = nil
}

/// What `create` records in ROOT/ID/creating.json before it makes any
/// cgroup or process: enough for `delete -f` and a restarted daemon to undo
/// a create whose maker was killed half-way. Replaced by state.json once the
/// container is created.
struct CreatingRecord: Sendable, Equatable {
    var id: String
    var ociVersion: String
    var bundle: String
    var created: String
    /// The container's cgroup dirs, and those of them this create makes
    /// (the ones that did not exist): only these are killed and removed.
    var cgroups: CgroupPaths
    var cgroupsMade: [String]
    /// The monitor, when it is started before this record is written (the
    /// early monitor of `nest`); else 0, and it is found by its plan.
    var monitorPid: Int32
    var monitorStartTime: UInt64
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

    /// A process `SUB/NAME` of a subsystem of several lives in `SUB/+NAME`,
    /// beside the subsystem's own files.
    func dir(_ id: String) -> String {
        guard let slash = id.firstIndex(of: "/") else { return root + "/" + id }
        return root + "/" + id[..<slash] + "/+" + id[id.index(after: slash)...]
    }

    /// The processes of subsystem `id` (`SUB/NAME`), in name order.
    func children(_ id: String) -> [String] {
        guard !id.contains("/"), let d = opendir(dir(id)) else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let entry = readdir(d) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name.hasPrefix("+"), name.count > 1 { out.append(id + "/" + name.dropFirst()) }
        }
        return out.sorted()
    }
    func stateFile(_ id: String) -> String { dir(id) + "/state.json" }
    func fifo(_ id: String) -> String { dir(id) + "/exec.fifo" }
    func statusFile(_ id: String) -> String { dir(id) + "/status" }
    func subsystemFile(_ id: String) -> String { dir(id) + "/subsystem.xml" }
    func planFile(_ id: String) -> String { dir(id) + "/plan" }
    func creatingFile(_ id: String) -> String { dir(id) + "/creating.json" }

    func ensureRoot() throws(RuntimeError) {
        var path = ""
        for part in root.split(separator: "/") {
            path += "/" + part
            if mkdir(path, 0o711) != 0 && errno != EEXIST { throw .system("state root \(path): \(Sys.errorText())") }
        }
    }

    /// The state record; `.invalidState(creating)` for a container being
    /// made (or whose maker died), `.notFound` when there is none, and
    /// `.system` when it cannot be read: never one for another.
    func load(_ id: String) throws(RuntimeError) -> StateRecord {
        guard let bytes = try Sys.readExisting(stateFile(id)) else {
            if Sys.exists(dir(id)) { throw .invalidState(id: id, state: "creating", wanted: "created") }
            if errno != ENOENT { throw .system("\(dir(id)): \(Sys.errorText())") }
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

    /// The creating record; nil when there is none (the maker died before
    /// writing it: nothing but the directory exists).
    func loadCreating(_ id: String) throws(RuntimeError) -> CreatingRecord? {
        guard let bytes = try Sys.readExisting(creatingFile(id)) else { return nil }
        do {
            return try CreatingRecord(json: JSONReader.parse(bytes))
        } catch {
            throw .system("\(creatingFile(id)): \(error)")
        }
    }

    /// Not fsynced: it matters after a crash of its maker, and a power loss
    /// takes the processes and cgroups it names with it.
    func saveCreating(_ record: CreatingRecord) throws(RuntimeError) {
        try Sys.writeAtomic(creatingFile(record.id), record.json(), durable: false)
    }

    /// The monitor's status; nil until it has written one. A status file
    /// that cannot be read is an error, not "still running".
    func exit(_ id: String) throws(RuntimeError) -> ExitRecord? {
        guard let bytes = try Sys.readExisting(statusFile(id)) else { return nil }
        do {
            return try ExitRecord(json: JSONReader.parse(bytes))
        } catch {
            throw .system("\(statusFile(id)): \(error)")
        }
    }

    /// Every container directory: created ones and those being made.
    func ids() throws(RuntimeError) -> [String] {
        guard let d = opendir(root) else {
            if errno == ENOENT { return [] }
            throw .system("\(root): \(Sys.errorText())")
        }
        defer { closedir(d) }
        var out: [String] = []
        while let entry = readdir(d) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name.hasPrefix(".") || name.utf8.count > 1024 { continue }
            if entry.pointee.d_type == UInt8(DT_DIR) || (entry.pointee.d_type == UInt8(DT_UNKNOWN) && Sys.isDirectory(dir(name))) {
                out.append(name)
                out += children(name)
            }
        }
        return out.sorted()
    }
}
