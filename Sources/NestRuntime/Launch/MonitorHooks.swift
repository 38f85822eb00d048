import CNestShims
import Glibc

/// Runs poststart and poststop hooks the way the monitor runs those of
/// creation (Sources/nest-monitor/hooks.c: one implementation, one OCI
/// state with the annotations, the timeout, SIGPIPE at its default):
/// `nest-monitor -H KIND PLAN PID STATUS`, posix_spawned, never a fork of
/// this process.
enum MonitorHooks {
    /// Runs the hooks of `kind` in the plan at `plan`; returns once they
    /// have. A failing hook is the monitor's error record.
    static func run(libexecDir: String?, kind: String, plan: String, pid: Int32, status: String) throws(RuntimeError) {
        try run(libexecDir: libexecDir, kind: kind, planPath: plan, planFD: nil, pid: pid, status: status)
    }

    /// The same for a plan no longer on disk (poststop runs after the state
    /// directory is gone): its bytes go to the monitor over a stream socket
    /// (sent with MSG_NOSIGNAL: a monitor gone early is no SIGPIPE here),
    /// which it reads to EOF before anything else.
    static func run(libexecDir: String?, kind: String, planBytes: [UInt8], pid: Int32, status: String) throws(RuntimeError) {
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw .system("\(kind) hooks: socketpair: \(Sys.errorText())")
        }
        // the monitor gets its end as fd 4, after the report pipe; `-` reads it
        try run(libexecDir: libexecDir, kind: kind, planPath: "-", planFD: pair[1], pid: pid, status: status) { running in
            var off = 0
            while running && off < planBytes.count {
                let n = planBytes[off...].withUnsafeBytes { send(pair[0], $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                off += n
            }
            close(pair[0])
        }
    }

    /// Closes `planFD`, whatever happens; `started` is told whether the monitor
    /// runs (false: nothing reads the plan).
    private static func run(libexecDir: String?, kind: String, planPath: String, planFD: Int32?,
                            pid: Int32, status: String, started: (_ running: Bool) -> Void = { _ in }) throws(RuntimeError) {
        let monitor: String
        do { monitor = try Libexec.dir(libexecDir) + "/nest-monitor" } catch {
            if let planFD { close(planFD) }
            started(false)
            throw error
        }
        var report: [Int32] = [-1, -1]
        guard nest_pipe2(&report, O_CLOEXEC) == 0 else {
            if let planFD { close(planFD) }
            started(false)
            throw .system("\(kind) hooks: pipe: \(Sys.errorText())")
        }
        let child: pid_t
        do {
            child = try MonitorSpawner.spawnProcess(monitor: monitor, args: ["-H", kind, planPath, String(pid), status],
                                                    stdio: .inherit, extra: [report[1]] + (planFD.map { [$0] } ?? []))
        } catch {
            close(report[0])
            started(false)
            throw error
        }
        started(true)
        let line = MonitorSpawner.readReport(report[0])
        close(report[0])
        var st: Int32 = 0
        while waitpid(child, &st, 0) < 0 && errno == EINTR {}
        if let error = KernelError(record: line) { throw .kernel(error) }
        if st != 0 { throw .system("\(kind) hooks: nest-monitor -H exited with status \(st)") }
    }
}
