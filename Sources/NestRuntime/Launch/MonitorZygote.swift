import CNestShims
import Glibc
import Synchronization

/// A long-lived `nest-monitor -z` that forks a monitor per container (see
/// Sources/nest-monitor/zygote.c): a daemon's creates pay neither an exec nor
/// glibc's start for their monitor. Requests are serialized; a fork takes
/// well under a millisecond. When the zygote is gone (killed, or failed to
/// start) it is started again once; failing that, the caller spawns as usual.
final class MonitorZygote: Sendable {
    private struct Process {
        var pid: Int32 = -1
        var sock: Int32 = -1
    }

    private let monitor: String
    private let process = Mutex(Process())

    init(monitor: String) {
        self.monitor = monitor
    }

    deinit {
        process.withLock { p in
            if p.sock >= 0 { close(p.sock) }  // EOF ends the zygote
            if p.pid > 0 { waitpid(p.pid, nil, 0) }
        }
    }

    /// A monitor forked for `plan`, with its stdio as `stdio` says (stdin
    /// `stdin` when given) and its report on the returned channel; nil when
    /// no zygote can be had.
    func spawn(plan: String, stdio: StdioMode, stdin: Int32? = nil) -> (pid: Int32, readEnd: Int32)? {
        spawn(plan: plan, stdio: stdio, stdin: stdin, go: nil)
    }

    /// A monitor forked before its plan is written: it waits for the plan
    /// and then for its cgroups as `nest-monitor -g` does, so that the
    /// cgroups are made while it clones the init and the init makes its
    /// namespaces.
    func spawnEarly(plan: String, stdio: StdioMode) -> MonitorSpawner.Early? {
        var go: [Int32] = [-1, -1]
        guard MonitorSpawner.channel(&go) else { return nil }
        defer { close(go[0]) }
        guard let forked = spawn(plan: plan, stdio: stdio, stdin: nil, go: go[0]) else {
            close(go[1])
            return nil
        }
        return MonitorSpawner.Early(pid: forked.pid, reportFD: forked.readEnd, goFD: go[1], forked: true)
    }

    private func spawn(plan: String, stdio: StdioMode, stdin: Int32?, go: Int32?) -> (pid: Int32, readEnd: Int32)? {
        var report: [Int32] = [-1, -1]
        guard MonitorSpawner.channel(&report) else { return nil }
        let null = stdio == .inherit ? -1 : open("/dev/null", O_RDWR | O_CLOEXEC)
        defer {
            close(report[1])
            if null >= 0 { close(null) }
        }
        // As MonitorSpawner gives them: stdin /dev/null unless inherited,
        // stdout and stderr /dev/null only for .null.
        let fds: [Int32] = [
            stdin ?? (stdio == .inherit ? 0 : null),
            stdio == .null ? null : 1,
            stdio == .null ? null : 2,
            report[1],
        ] + (go.map { [$0] } ?? [])
        let pid: Int32? = process.withLock { p in
            for attempt in 0..<2 {
                if p.sock < 0 || attempt > 0 { restart(&p) }
                guard p.sock >= 0 else { return nil }
                if let pid = request(p.sock, plan: plan, fds: fds) { return pid }
            }
            return nil
        }
        guard let pid, pid > 0 else {
            close(report[0])
            return nil
        }
        return (pid, report[0])
    }

    private func request(_ sock: Int32, plan: String, fds: [Int32]) -> Int32? {
        let sent = plan.utf8CString.withUnsafeBufferPointer { buf in
            fds.withUnsafeBufferPointer { nest_send_with_fds(sock, buf.baseAddress, buf.count - 1, $0.baseAddress, Int32($0.count)) }
        }
        guard sent == 0 else { return nil }
        var answer = [UInt8](repeating: 0, count: 32)
        var n: Int
        repeat { n = answer.withUnsafeMutableBytes { recv(sock, $0.baseAddress, $0.count, 0) } } while n < 0 && errno == EINTR
        guard n > 0, let pid = Int32(String(decoding: answer[0..<n], as: UTF8.self)) else { return nil }
        return pid > 0 ? pid : nil
    }

    private func restart(_ p: inout Process) {
        if p.sock >= 0 { close(p.sock) }  // a live zygote exits at EOF
        if p.pid > 0 { waitpid(p.pid, nil, 0) }
        p = Process()
        var pair: [Int32] = [-1, -1]
        guard nest_seqpacket_pair(&pair) == 0 else { return }
        // The padding is the room each forked monitor's command line takes;
        // the zygote itself writes nothing (a monitor gets its stdio with
        // each request).
        let pad = String(repeating: " ", count: 1024)
        guard let pid = try? MonitorSpawner.spawnProcess(monitor: monitor, args: ["-z", String(MonitorSpawner.syncFD), pad], stdio: .null,
                                                         extra: [pair[1]]) else {
            close(pair[0])
            return
        }
        p = Process(pid: pid, sock: pair[0])
    }
}
