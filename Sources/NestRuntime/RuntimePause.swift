import Glibc

// pause and resume: the container's cgroup frozen and thawed. A subsystem
// of several processes is paused whole: each process's cgroup, then the
// holder's (the quota node, the parent of theirs when there is one).

extension Runtime {
    /// Freezes every process of a created or running container (as runc
    /// does, created ones too); its state reads `paused` until `resume`.
    public func pause(id: String) throws(RuntimeError) {
        try Self.validate(id: id)
        let record = try self.record(id)
        let current = try status(record)
        guard current.status == "running" || current.status == "created" else {
            throw .invalidState(id: id, state: current.status, wanted: "created or running")
        }
        let cgroups = try freezerCgroups()
        var frozen: [StateRecord] = []
        do throws(RuntimeError) {
            for child in store.children(id) {
                let r = try self.record(child)
                guard try status(r).status != "stopped" else { continue }
                try freeze(r, cgroups)
                frozen.append(r)
            }
            try freeze(record, cgroups)
        } catch {
            for r in frozen.reversed() { try? cgroups.thaw(r.cgroups) }
            throw error
        }
    }

    /// Thaws a paused container (a subsystem: its holder's cgroup, then
    /// each process's).
    public func resume(id: String) throws(RuntimeError) {
        try Self.validate(id: id)
        let record = try self.record(id)
        let current = try status(record)
        guard current.status == "paused" else {
            throw .invalidState(id: id, state: current.status, wanted: "paused")
        }
        let cgroups = try freezerCgroups()
        try thaw(record, cgroups)
        for child in store.children(id) {
            let r = try self.record(child)
            if cgroups.isFrozen(r.cgroups) { try thaw(r, cgroups) }
        }
    }

    func freezerCgroups() throws(RuntimeError) -> CgroupManager {
        guard let cgroups else { throw .system("no cgroup hierarchy is mounted: nothing to freeze the container with") }
        return cgroups
    }

    private func freeze(_ r: StateRecord, _ cgroups: CgroupManager) throws(RuntimeError) {
        do { try cgroups.freeze(r.cgroups) } catch { throw .system("pause \(r.id): \(error)") }
    }

    private func thaw(_ r: StateRecord, _ cgroups: CgroupManager) throws(RuntimeError) {
        do { try cgroups.thaw(r.cgroups) } catch { throw .system("resume \(r.id): \(error)") }
    }

    /// What `kill -9` and `delete -f` do to a paused container: SIGKILL to
    /// every process of it, then a thaw, without which none could die.
    func killFrozen(_ record: StateRecord) {
        guard let cgroups, cgroups.isFrozen(record.cgroups) else { return }
        for pid in [record.pid] + Self.containerPids(record, cgroups) { Glibc.kill(pid, SIGKILL) }
        try? cgroups.thaw(record.cgroups, wait: false)
    }
}
