import CNestShims
import Glibc

/// Starts nest-monitor with posix_spawn (never fork: the caller may be a
/// multi-threaded Swift process) and reads its report from the sync fd.
enum MonitorSpawner {
    struct Started {
        var monitorPid: Int32
        var initPid: Int32
    }

    /// The monitor's end of its report channel is fd 3 there; every other
    /// fd but 0, 1, 2 is closed there.
    static let syncFD: Int32 = 3

    /// A monitor started before its plan exists (`nest-monitor -g FD`): its
    /// exec overlaps the spawner's translation and plan work. It waits for a
    /// byte on the go channel before it reads the plan (EOF instead: it exits
    /// quietly), and for a second one before it joins the cgroups, which
    /// the spawner makes meanwhile (EOF instead: it fails the create).
    final class Early {
        let pid: Int32
        let reportFD: Int32
        private var goFD: Int32
        private var done = false
        /// Forked by the zygote: not our child, the kernel reaps it.
        private let forked: Bool

        init(pid: Int32, reportFD: Int32, goFD: Int32, forked: Bool = false) {
            self.pid = pid
            self.reportFD = reportFD
            self.goFD = goFD
            self.forked = forked
        }

        /// The plan is written: let the monitor read it.
        func go() {
            var byte: UInt8 = UInt8(ascii: "G")
            _ = write(goFD, &byte, 1)
        }

        /// The cgroups of the plan exist: the monitor may join them.
        func cgroupsMade() {
            var byte: UInt8 = UInt8(ascii: "C")
            _ = write(goFD, &byte, 1)
            close(goFD)
            goFD = -1
        }

        /// They could not be made: the monitor (EOF) kills what it made,
        /// reports an error and exits.
        func cgroupsFailed() {
            close(goFD)
            goFD = -1
        }

        /// The create failed before `go`: the monitor exits, and is reaped.
        func abandon() {
            guard !done else { return }
            done = true
            if goFD >= 0 { close(goFD) }
            close(reportFD)
            if forked { return }
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }

        fileprivate func handedOver() { done = true }
        deinit { abandon() }
    }

    /// The sync fd of a monitor given `preserve` fds of its spawner: they
    /// keep their numbers (3...3+N-1), and the sync fd follows them.
    static func syncFD(preserving preserve: Int) -> Int32 { syncFD + Int32(preserve) }

    /// A channel between the spawner and a monitor (its report, `created
    /// PID`; the go signal of an early monitor): a socket, not a pipe. The
    /// process the monitor clones holds a copy for its first steps, and it
    /// is seen in the container's PID namespace from the clone on (a
    /// container that joins another's PID namespace, an exec'd process). A
    /// process there with CAP_SYS_PTRACE opens /proc/PID/fd/N of it: a pipe
    /// opens for writing (a forged `created 1` was taken for the container's
    /// process, and `delete -f` killed that), a socket does not open at all.
    static func channel(_ fds: inout [Int32]) -> Bool {
        socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0
    }

    /// Starts a monitor that waits for `Early.go()` before it reads `plan`.
    static func startEarly(monitor: String, plan: String, stdio: StdioMode, preserve: Int = 0) throws(RuntimeError) -> Early {
        var go: [Int32] = [-1, -1]
        guard channel(&go) else { throw .system("go socket: \(Sys.errorText())") }
        do {
            let (pid, reportFD) = try start(monitor: monitor, args: ["-g", String(syncFD(preserving: preserve) + 1), plan],
                                            stdio: stdio, preserve: preserve, goRead: go[0])
            return Early(pid: pid, reportFD: reportFD, goFD: go[1])
        } catch {
            close(go[1])
            throw error
        }
    }

    /// `meanwhile` runs after the monitor has started and before its report
    /// is read: work that overlaps the container's setup on another core.
    /// `stdin`: the monitor's (and so, with `.log` stdio, the container's)
    /// stdin instead of /dev/null.
    static func spawn(monitor: String, plan: String, stdio: StdioMode, preserve: Int = 0, stdin: Int32? = nil,
                      meanwhile: () throws(RuntimeError) -> Void = {}) throws(RuntimeError) -> Started {
        let (pid, readEnd) = try start(monitor: monitor, args: [plan], stdio: stdio, preserve: preserve, goRead: nil,
                                       stdioFDs: stdin.map { ($0, 1, 2) })
        return try finish(pid: pid, readEnd: readEnd, meanwhile: meanwhile)
    }

    /// Lets an early monitor go and reads its report.
    static func spawn(early: Early, meanwhile: () throws(RuntimeError) -> Void = {}) throws(RuntimeError) -> Started {
        early.handedOver()
        early.go()
        return try finish(pid: early.pid, readEnd: early.reportFD, meanwhile: meanwhile)
    }

    /// Closes `goRead` (the monitor has its copy), whatever happens.
    private static func start(monitor: String, args: [String], stdio: StdioMode, preserve: Int,
                              goRead: Int32?, stdioFDs: (Int32, Int32, Int32)? = nil) throws(RuntimeError) -> (pid: Int32, readEnd: Int32) {
        var fds: [Int32] = [-1, -1]
        guard channel(&fds) else {
            if let goRead { close(goRead) }
            throw .system("sync socket: \(Sys.errorText())")
        }
        do {
            let pid = try spawnProcess(monitor: monitor, args: args, stdio: stdio, extra: [fds[1]] + (goRead.map { [$0] } ?? []),
                                       preserve: preserve, stdioFDs: stdioFDs)
            return (pid, fds[0])
        } catch {
            close(fds[0])
            throw error
        }
    }

    /// posix_spawns nest-monitor with `args` after its name; stdin is
    /// /dev/null unless `stdio` is `.inherit`, stdout and stderr too for
    /// `.null`; `stdioFDs`, when given, are its 0, 1, 2 instead. The
    /// spawner's fds 3...3+`preserve`-1 keep their numbers, `extra` follow
    /// them (3, 4, ... without any) and every other fd is closed.
    /// The monitor starts with no signal blocked and every disposition at
    /// its default, whatever the spawner set. Closes `extra` here, whatever
    /// happens.
    static func spawnProcess(monitor: String, args: [String], stdio: StdioMode, extra: [Int32], preserve: Int = 0,
                             stdioFDs: (Int32, Int32, Int32)? = nil) throws(RuntimeError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let first = syncFD(preserving: preserve)
        // Copies above every target, so that no dup2 onto 0, 1 or 2 overwrites
        // a source still to be copied (stdio (1, 0, 2) swaps two).
        var stdioCopies: [Int32] = []
        defer { stdioCopies.forEach { close($0) } }
        if let stdioFDs {
            for (i, fd) in [stdioFDs.0, stdioFDs.1, stdioFDs.2].enumerated() {
                let copy = fcntl(fd, F_DUPFD_CLOEXEC, max(10, first + Int32(extra.count) + 1))
                guard copy >= 0 else {
                    extra.forEach { close($0) }
                    throw .invalidArgument("fd \(fd): \(Sys.errorText())", field: "stdio")
                }
                stdioCopies.append(copy)
                posix_spawn_file_actions_adddup2(&actions, copy, Int32(i))
            }
        } else if stdio == .null {
            for fd: Int32 in 0...2 {
                posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0)
            }
        } else if case .log = stdio {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        // The monitor (and so every container init, a clone of it) runs from
        // a read-only bind of its binary, passed as the last extra fd and
        // exec'd through /proc/self/fd: /proc/PID/exe of an init never
        // leads to a writable host file (CVE-2019-5736). The monitor and
        // the zygote close that fd at their start. A daemon's zygote is
        // started this way once, and every monitor it forks inherits it.
        var extra = extra
        var path = monitor
        let exe = nest_sealed_exe(monitor)
        if exe >= 0 {
            path = "/proc/self/fd/\(first + Int32(extra.count))"
            extra.append(exe)
        }
        // A dup2 of an fd onto itself clears its close-on-exec (glibc 2.29).
        for fd in Int32(3)..<first { posix_spawn_file_actions_adddup2(&actions, fd, fd) }
        // dup2 onto the targets clears close-on-exec there; a source that
        // already has one of those numbers is moved first, or an earlier
        // dup2 or the exec would close it.
        let targets = first..<(first + Int32(extra.count))
        let sources = extra.map { fd -> Int32 in
            guard targets.contains(fd) else { return fd }
            let copy = fcntl(fd, F_DUPFD_CLOEXEC, max(10, targets.upperBound))
            close(fd)
            return copy
        }
        defer { sources.forEach { close($0) } }
        for (i, fd) in sources.enumerated() { posix_spawn_file_actions_adddup2(&actions, fd, first + Int32(i)) }
        nest_spawn_closefrom(&actions, targets.upperBound)

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var all = sigset_t()
        sigfillset(&all)
        sigdelset(&all, SIGKILL)
        sigdelset(&all, SIGSTOP)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("nest-monitor")] + args.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let rc = posix_spawn(&pid, path, &actions, &attr, argv, environ)
        guard rc == 0 else { throw .system("spawn \(monitor): \(Sys.errorText(rc))") }
        return pid
    }

    /// Reads the report of a started monitor; closes `readEnd`.
    static func finish(pid: Int32, readEnd: Int32,
                       meanwhile: () throws(RuntimeError) -> Void) throws(RuntimeError) -> Started {
        defer { close(readEnd) }
        var meanwhileError: RuntimeError?
        do { try meanwhile() } catch { meanwhileError = error }
        let report = readReport(readEnd)
        if let meanwhileError {
            let fields = report.split(separator: " ")
            if fields.count >= 2, fields[0] == "created", let initPid = Int32(fields[1]) {
                Glibc.kill(initPid, SIGKILL)
            }
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            throw meanwhileError
        }
        if report.hasPrefix("created ") {
            let fields = report.split(separator: " ")
            if fields.count >= 2, let initPid = Int32(fields[1]) {
                return Started(monitorPid: pid, initPid: initPid)
            }
        }
        // The monitor has killed what it made and exits; collect it.
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        if let error = KernelError(record: report) { throw .kernel(error) }
        if !report.isEmpty { throw .system("nest-monitor: \(report)") }
        throw .system("nest-monitor exited without a report (status \(status))")
    }

    /// The monitor's report: its first line, or with `toEOF` all it
    /// writes before it exits (an exec's `pid N` line, then its record).
    static func readReport(_ fd: Int32, toEOF: Bool = false) -> String {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while out.count < 65536 {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            out += buf[0..<n]
            if !toEOF && out.contains(UInt8(ascii: "\n")) { break }
        }
        if toEOF { return String(decoding: out, as: UTF8.self) }
        let line = out.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).first ?? []
        return String(decoding: line, as: UTF8.self)
    }
}
