// destroy, killing what is left, and reading pids and OOM kills.

import Glibc

extension CgroupManager {
    /// Waits between rmdir attempts while the last processes exit (about 2 s in all).
    static let rmdirBackoffMillis = [1, 2, 5, 10, 20, 50, 100, 200, 300, 300, 500, 500]

    /// Removes the container's dirs (and any cgroups the container made below
    /// them); never their parents. Missing dirs are fine. With `killRemaining`
    /// the processes still inside are SIGKILLed first (`cgroup.kill` on v2).
    /// Tries every dir and throws the first failure.
    public func destroy(_ paths: CgroupPaths, killRemaining: Bool) throws {
        // The usual case: the init has exited and took everything with it,
        // and nothing made cgroups below the container's: one rmdir per
        // hierarchy, nothing read. What is busy or not empty takes the
        // long way: kill what is left, remove the tree.
        var rest: [String] = []
        for dir in paths.dirs {
            hooks?.willRemoveDir(dir)
            let e = CgroupFS.rmdir(dir)
            if e != 0 && e != ENOENT { rest.append(dir) }
        }
        if rest.isEmpty { return }
        if killRemaining { kill(paths) }
        var firstError: CgroupError?
        for dir in rest {
            do {
                try removeTree(dir, killRemaining: killRemaining)
            } catch let e as CgroupError {
                if firstError == nil { firstError = e }
            }
        }
        if let firstError { throw firstError }
    }

    func removeTree(_ dir: String, killRemaining: Bool) throws {
        for sub in CgroupFS.subdirs(dir) {
            try removeTree(dir + "/" + sub, killRemaining: killRemaining)
        }
        hooks?.willRemoveDir(dir)
        var e = CgroupFS.rmdir(dir)
        var attempt = 0
        while e == EBUSY || e == ENOTEMPTY, attempt < Self.rmdirBackoffMillis.count {
            if killRemaining { _ = Self.signal(Self.procs(in: dir)) }
            CgroupFS.sleepMillis(Self.rmdirBackoffMillis[attempt])
            attempt += 1
            e = CgroupFS.rmdir(dir)
        }
        if e != 0 && e != ENOENT {
            let hint = e == EBUSY ? " (processes still inside)" : ""
            throw CgroupFS.error(dir, e, hint: hint)
        }
    }

    /// SIGKILLs every process in the container's cgroups. v2: `cgroup.kill`
    /// when the kernel has it; else freeze (v1 freezer, if mounted), signal
    /// every pid in `cgroup.procs` (nested cgroups included), thaw.
    public func kill(_ paths: CgroupPaths) {
        if let dir = paths.unifiedDir, case .unified = layout,
           (try? CgroupFS.write(dir + "/cgroup.kill", "1")) != nil {
            return
        }
        // The usual case: the init has exited and took everything with it.
        // Freezing an empty cgroup would only cost time.
        if pids(paths).isEmpty { return }
        let freezer = paths.dirs.first { CgroupFS.exists($0 + "/freezer.state") }
        if let freezer { setFreezerState(freezer, "FROZEN") }
        for _ in 0..<10 {
            var pids: [Int32] = []
            for dir in paths.dirs { pids += Self.procsRecursive(in: dir) }
            if Self.signal(Set(pids).sorted()) == 0 { break }
            if freezer != nil { break }  // frozen: nothing could fork meanwhile
        }
        if let freezer { setFreezerState(freezer, "THAWED") }
    }

    private func setFreezerState(_ dir: String, _ state: String) {
        guard (try? CgroupFS.write(dir + "/freezer.state", state)) != nil else { return }
        for wait in [0, 1, 2, 5, 10, 20, 50] {
            if wait > 0 { CgroupFS.sleepMillis(wait) }
            if CgroupFS.readTrimmed(dir + "/freezer.state") != "FREEZING" { return }
        }
    }

    /// SIGKILL to each pid; returns how many signals were delivered.
    static func signal(_ pids: [Int32]) -> Int {
        var n = 0
        for pid in pids where pid > 0 && Glibc.kill(pid, SIGKILL) == 0 { n += 1 }
        return n
    }

    static func procs(in dir: String) -> [Int32] {
        guard let text = try? CgroupFS.read(dir + "/cgroup.procs") else { return [] }
        return text.split(whereSeparator: { $0 == "\n" || $0 == " " }).compactMap { Int32($0) }
    }

    static func procsRecursive(in dir: String) -> [Int32] {
        var out = procs(in: dir)
        for sub in CgroupFS.subdirs(dir) { out += procsRecursive(in: dir + "/" + sub) }
        return out
    }

    /// The pids in the container's cgroups (all hierarchies, nested cgroups
    /// included), sorted, without duplicates.
    public func pids(_ paths: CgroupPaths) -> [Int32] {
        var all: [Int32] = []
        for dir in paths.joinDirs { all += Self.procsRecursive(in: dir) }
        return Set(all).sorted()
    }

    /// The "oom_kill N" counter of `memory.events` (v2) or `memory.oom_control`
    /// (v1, kernel >= 4.13); 0 when unknown.
    public func oomKillCount(_ paths: CgroupPaths) -> Int {
        guard let file = paths.oomFile, let text = try? CgroupFS.read(file) else { return 0 }
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count == 2, f[0] == "oom_kill", let n = Int(f[1]) { return n }
        }
        return 0
    }
}
