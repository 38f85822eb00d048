import Glibc
import NestOCI
import NestSubsystem

// A live subsystem gains or loses one process (a pod's `run --pod`, `rm
// POD/NAME`): the new process joins the holder's namespaces and its cgroup
// lies below the holder's quota node, as those of the first ones do.
extension Runtime {
    /// Creates the process `name` of `sub`, the subsystem's config with
    /// that process added; the subsystem's holder must be running. The
    /// config is checked whole and written (atomically) before the process
    /// is made; on failure the old config is put back and nothing is left.
    public func addProcess(_ sub: Subsystem, name: String, options opts: CreateOptions) throws(RuntimeError) -> ContainerStatus {
        let id = sub.name
        try Self.validateNew(id: id)
        guard let process = sub.start(name), process.container != nil else {
            throw .invalidArgument("subsystem \(id) has no process \(name)", field: "subsystem/start[\(name)]")
        }
        let problems = sub.check()
        if !problems.isEmpty { throw .invalidSpec(problems) }
        let holder = try record(id)
        let status = try self.status(holder)
        guard status.status == "running" else { throw .invalidState(id: id, state: status.status, wanted: "running") }
        let server = process.routes.first { $0.service == Service.rom }?.child ?? ""
        let romDir = store.dir(id) + "/rom/" + server
        // A ROM server that no process used when the holder was made has no
        // files yet.
        if let modules = sub.start(server)?.rom?.modules, modules.contains(where: { $0.path != nil }) {
            mkdir(store.dir(id) + "/rom", 0o755)
            mkdir(romDir, 0o755)
            for m in modules where m.path != nil && !Sys.exists(romDir + "/" + m.name) {
                try Sys.writeAtomic(romDir + "/" + m.name, Array(m.content.utf8), mode: 0o644)
            }
        }
        let file = store.subsystemFile(id)
        let old = Sys.readFile(file)
        try Sys.writeAtomic(file, Array(sub.xml().utf8), mode: 0o644)
        do throws(RuntimeError) {
            let unit = try processUnit(sub, name, id: id + "/" + name, opts: opts, romDir: romDir, holder: holder.pid)
            return try createUnit(unit, opts: opts, early: nil)
        } catch {
            if let old { try? Sys.writeAtomic(file, old, mode: 0o644) }
            throw error
        }
    }

    /// Removes the process `SUB/NAME` (killed first with `force`) and
    /// rewrites the subsystem's config without it and the servers only it
    /// used.
    public func removeProcess(id: String, force: Bool) throws(RuntimeError) {
        try Self.validate(id: id)
        guard let slash = id.firstIndex(of: "/") else {
            throw .invalidArgument("\(id) is not a process of a subsystem (SUB/NAME)", field: "id")
        }
        let sub = String(id[..<slash]), name = String(id[id.index(after: slash)...])
        try delete(id: id, force: force)
        try forgetProcess(subsystem: sub, name: name)
    }

    /// Rewrites the config of subsystem `sub` without the process `name`
    /// (one whose container is gone already, or was never made).
    public func forgetProcess(subsystem sub: String, name: String) throws(RuntimeError) {
        let file = store.subsystemFile(sub)
        guard let bytes = Sys.readFile(file) else { return }
        var config: Subsystem
        do { config = try Subsystem.read(xml: String(decoding: bytes, as: UTF8.self)) } catch { throw .invalidSpec([error]) }
        guard config.start(name) != nil else { return }
        config.removeProcess(name)
        try Sys.writeAtomic(file, Array(config.xml().utf8), mode: 0o644)
    }

    /// The processes `SUB/NAME` of subsystem `id` that exist in the runtime.
    public func processes(of id: String) -> [String] { store.children(id) }

    /// What a cgroup (a subsystem's quota node or a process's) uses now:
    /// bytes of memory and the number of tasks; nil where it cannot be read.
    public func cgroupUsage(path: String) -> (memory: Int64?, pids: Int64?) {
        guard let cgroups else { return (nil, nil) }
        let paths = cgroups.paths(for: path)
        let pids = paths.pidsDir.flatMap { CgroupFS.readTrimmed($0 + "/pids.current") }.flatMap { Int64($0) }
        return (Self.memoryUsage(paths), pids)
    }
}
