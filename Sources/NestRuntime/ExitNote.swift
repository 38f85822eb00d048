import CNestShims
import Glibc

/// The exit status of a container whose monitor was killed. The monitor
/// reaps its init and writes the status file; when it is gone, the init is
/// reparented to the monitor's nearest subreaper. A daemon's monitors are
/// forked by its zygote, which is one (and ignores SIGCHLD): the init is
/// reaped the moment it exits, and the kernel keeps its wait status for
/// anyone holding a pidfd of it (PIDFD_INFO_EXIT, Linux 6.15). A daemon
/// that holds one per container writes the status file in the monitor's
/// stead. Without one (a container of `nest`, whose monitor's reaper is the
/// host's init) the exit code stays unknown: the state says "stopped" with
/// no exitCode, never a made-up one.
extension Runtime {
    /// A pidfd of the container's init, or nil when it has exited (or is
    /// not the process the state names).
    public func exitWatch(id: String) -> Int32? {
        guard let r = try? record(id) else { return nil }
        let fd = nest_pidfd_open(r.pid)
        guard fd >= 0 else { return nil }
        // Opened first, checked after: the pidfd cannot come to name a
        // later process that reuses the pid.
        guard (try? Sys.isRunning(r.pid, startTime: r.pidStartTime)) == true else {
            close(fd)
            return nil
        }
        return fd
    }

    /// Once the init behind `pidfd` has exited: writes the status file when
    /// the monitor is gone without writing it. True when the status file
    /// exists (now or already); false while the monitor may still write it,
    /// or when the kernel does not have the init's status (not yet reaped,
    /// or an older kernel).
    public func noteExit(id: String, pidfd: Int32) throws(RuntimeError) -> Bool {
        let r = try record(id)
        if try store.exit(id) != nil { return true }
        if Self.isMonitor(r.monitorPid, plan: store.planFile(id)) { return false }
        guard let wait = Self.exitStatus(pidfd) else { return false }
        // The monitor may have written it meanwhile, after all.
        if try store.exit(id) != nil { return true }
        let exited = wait & 0x7f == 0
        let signal = exited ? 0 : wait & 0x7f
        let code = exited ? (wait >> 8) & 0xff : 128 + signal
        let oom = cgroups.map { $0.oomKillCount($0.owned(r.cgroups, made: r.cgroupsMade)) > 0 } ?? false
        let exit = ExitRecord(exitCode: code, signal: signal, oomKilled: oom, finishedAt: Sys.now())
        try Sys.writeAtomic(store.statusFile(id), exit.json(), mode: 0o644)
        return true
    }

    /// PIDFD_GET_INFO with PIDFD_INFO_EXIT: the wait status of an exited,
    /// reaped process, nil when the kernel has none.
    static func exitStatus(_ pidfd: Int32) -> Int32? {
        // struct pidfd_info: mask at 0, exit_code at 60, 64 bytes (VER0).
        let getInfo: UInt = 0xC040_FF0B
        let infoExit: UInt64 = 1 << 3
        var info = [UInt8](repeating: 0, count: 64)
        return info.withUnsafeMutableBytes { raw -> Int32? in
            raw.storeBytes(of: infoExit, toByteOffset: 0, as: UInt64.self)
            guard ioctl(pidfd, getInfo, raw.baseAddress!) == 0,
                  raw.load(fromByteOffset: 0, as: UInt64.self) & infoExit != 0 else { return nil }
            return raw.load(fromByteOffset: 60, as: Int32.self)
        }
    }

    /// Whether `pid` is a monitor of the plan `plan` (a dead monitor's pid
    /// may have been reused).
    static func isMonitor(_ pid: Int32, plan: String) -> Bool {
        guard pid > 0, let cmdline = Sys.readFile("/proc/\(pid)/cmdline", limit: 8192) else { return false }
        let args = cmdline.split(separator: 0, omittingEmptySubsequences: false)
        guard let first = args.first, first.elementsEqual("nest-monitor".utf8) else { return false }
        let want = Array(plan.utf8)
        return args.dropFirst().contains { $0.elementsEqual(want) }
    }
}
