import Glibc

/// Undoing a create whose maker (`nest create`, nestd) was killed half-way:
/// what its creating record names is killed and removed, so that nothing of
/// it is left: no process, cgroup dir or state dir.
extension Runtime {
    /// Removes a container that never reached "created" (or one being
    /// created right now: `delete -f` means it). Its monitor is killed
    /// first, then its init (the monitor's children, and everything in the
    /// cgroups the create made), then those cgroups and the state dir.
    func undoCreate(id: String) throws(RuntimeError) {
        let dir = store.dir(id)
        let creating = try store.loadCreating(id)
        // Without a creating record the maker died right after the mkdir:
        // no cgroup or process of the container exists yet. The only
        // monitor there may be is an early one, which exits by itself when
        // its maker dies; one found by its plan is killed all the same.
        var monitors = Self.monitors(plan: store.planFile(id))
        if let c = creating, Sys.isSame(c.monitorPid, startTime: c.monitorStartTime), !monitors.contains(c.monitorPid) {
            monitors.append(c.monitorPid)
        }
        for pid in monitors {
            // Its children first: an init that is ready no longer dies with
            // its monitor, and may not be in a cgroup Nest made.
            let children = Self.children(of: pid)
            Glibc.kill(pid, SIGKILL)
            for child in children { Glibc.kill(child, SIGKILL) }
        }
        if let c = creating, let cgroups {
            do { try cgroups.destroy(cgroups.owned(c.cgroups, made: c.cgroupsMade), killRemaining: true) } catch {
                throw .system("delete \(id): \(error)")
            }
        }
        CrashPoint.hit("delete:cgroups")
        let stuck = try undoRootfsMounts(id: id, stateDir: dir)
        if !stuck.isEmpty { throw .system("delete \(id): \(stuck.joined(separator: ", ")) could not be unmounted") }
        // A monitor killed just now may have had a write under way.
        for _ in 0..<50 {
            Sys.removeTree(dir)
            if !Sys.exists(dir) { break }
            usleep(10_000)
        }
        _ = records.withLock { $0.removeValue(forKey: id) }
        if Sys.exists(dir) { throw .system("delete \(id): \(dir) could not be removed") }
    }

    /// The monitors of a container, found by their command line: `nest-monitor
    /// [-g FD] PLAN` (forked ones rewrite theirs to `nest-monitor PLAN`).
    static func monitors(plan: String) -> [Int32] {
        guard let d = opendir("/proc") else { return [] }
        defer { closedir(d) }
        var out: [Int32] = []
        while let entry = readdir(d) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if let pid = Int32(name), pid != getpid(), isMonitor(pid, plan: plan) { out.append(pid) }
        }
        return out
    }

    /// The children of `pid` (/proc/PID/task/*/children).
    static func children(of pid: Int32) -> [Int32] {
        guard let bytes = Sys.readFile("/proc/\(pid)/task/\(pid)/children") else { return [] }
        return bytes.split(separator: UInt8(ascii: " ")).compactMap { Int32(String(decoding: $0, as: UTF8.self)) }
    }
}
