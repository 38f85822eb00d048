import CNestShims
import Glibc
import Synchronization

/// What nestd holds of a container's stdio beyond its log: the write end of
/// its stdin pipe (`openStdin`) and, with a terminal, the pty's master,
/// whose output it copies into the log as the monitor copies pipes. Attached
/// clients write to it (InputPump). It lives as long as the daemon: a
/// restarted nestd holds neither, so the process then reads EOF, and a pty
/// sees its master closed.
final class ContainerIO: Sendable {
    let id: String
    let tty: Bool
    /// Where stdin frames go: the pipe, or a copy of the master when the
    /// process reads its terminal; -1 once closed or when there is none.
    private let input: Mutex<Int32>
    /// The master, for resizes; -1 once the copier has finished with it.
    private let master: Mutex<Int32>
    private let drain = Mutex<(done: Bool, waiters: [@Sendable () -> Void])>((true, []))

    /// `stdin`: the pipe's write end. `master`: the pty's; stdin frames
    /// reach it only with `openStdin`.
    init(id: String, stdin: Int32?, master: Int32?, openStdin: Bool) {
        self.id = id
        tty = master != nil
        self.master = Mutex(master ?? -1)
        if let master {
            input = Mutex(openStdin ? fcntl(master, F_DUPFD_CLOEXEC, 3) : -1)
        } else {
            input = Mutex(stdin ?? -1)
        }
    }

    /// With a terminal: copies what the process writes into `logPath`
    /// until the pty closes (every process of the container has exited).
    func startCopier(logPath: String) {
        guard tty else { return }
        let fd = master.withLock { $0 }
        drain.withLock { $0.done = false }
        let log = open(logPath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        let started = detachThread(stackSize: 256 * 1024) { [self] in
            var records = LogRecordWriter(fd: log)
            var buf = [UInt8](repeating: 0, count: 16384)
            while true {
                let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                // EIO: the last holder of the pty's other side has gone
                if n <= 0 { break }
                records.write(buf[0..<n])
            }
            if log >= 0 { Glibc.close(log) }
            master.withLock { m in if m >= 0 { Glibc.close(m); m = -1 } }
            finishDrain()
        }
        if !started {
            if log >= 0 { Glibc.close(log) }
            finishDrain()
        }
    }

    private func finishDrain() {
        let waiters = drain.withLock { d -> [@Sendable () -> Void] in
            d.done = true
            defer { d.waiters = [] }
            return d.waiters
        }
        for w in waiters { w() }
    }

    /// Runs `body` once the pty's output is all in the log (at once without
    /// a terminal): the exit is reported after the output that came before it.
    func whenDrained(_ body: @escaping @Sendable () -> Void) {
        let now = drain.withLock { d -> Bool in
            if d.done { return true }
            d.waiters.append(body)
            return false
        }
        if now { body() }
    }

    /// Closes what the daemon holds (the container is being removed).
    func close() {
        closeStdin()
        // the copier ends at EIO, closing the master; a master it never read
        // is closed here
        if drain.withLock({ $0.done }) { master.withLock { m in if m >= 0 { Glibc.close(m); m = -1 } } }
    }

    func closeStdin() {
        input.withLock { fd in if fd >= 0 { Glibc.close(fd); fd = -1 } }
    }
}

extension ContainerIO: InputTarget {
    func write(_ bytes: [UInt8]) -> Bool {
        input.withLock { fd in fd >= 0 && writeFully(fd, bytes) }
    }

    /// A pipe is closed (the process reads EOF); a terminal stays as it is,
    /// as a terminal does when one of its users leaves.
    func closeInput() {
        if !tty { closeStdin() }
    }

    func resize(rows: UInt16, cols: UInt16) {
        master.withLock { fd in if fd >= 0 { setWindowSize(fd, rows: rows, cols: cols) } }
    }

    func clientGone() {}
}

/// Writes output into a log file as the monitor's records:
/// `RFC3339NANO stdout DATA`, a line without its newline as `... stdout P DATA`.
struct LogRecordWriter {
    let fd: Int32

    mutating func write(_ chunk: ArraySlice<UInt8>) {
        guard fd >= 0 else { return }
        let stamp = Array((Self.now() + " stdout ").utf8)
        var out: [UInt8] = []
        var rest = chunk
        while let nl = rest.firstIndex(of: 0x0a) {
            out += stamp + rest[rest.startIndex..<nl] + [0x0a]
            rest = rest[(nl + 1)...]
        }
        if !rest.isEmpty { out += stamp + Array("P ".utf8) + rest + [0x0a] }
        _ = writeFully(fd, out)
    }

    /// RFC 3339 with nanoseconds, UTC.
    static func now() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = ts.tv_sec
        var tm = tm()
        gmtime_r(&t, &tm)
        var buf = [CChar](repeating: 0, count: 32)
        let n = strftime(&buf, buf.count, "%Y-%m-%dT%H:%M:%S", &tm)
        let frac = String(ts.tv_nsec)
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            + "." + String(repeating: "0", count: 9 - frac.count) + frac + "Z"
    }
}

/// A unix socket the container's init sends its pty master to (the
/// console socket of `process.terminal`), private to the daemon.
final class ConsoleSocket {
    let path: String
    private let fd: Int32

    init?(dir: String, id: String) {
        mkdir(dir, 0o700)
        path = dir + "/" + id + ".sock"
        unlink(path)
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { Glibc.close(fd); return nil }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, chmod(path, 0o600) == 0, listen(fd, 1) == 0 else {
            Glibc.close(fd)
            unlink(path)
            return nil
        }
    }

    deinit {
        Glibc.close(fd)
        unlink(path)
    }

    /// The master the init sent. It sends it during create, before the
    /// create returns, so it waits in the socket by now; the wait only
    /// covers a slow kernel.
    func receive() -> Int32? {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, 5000) == 1 else { return nil }
        let conn = accept(fd, nil, nil)
        guard conn >= 0 else { return nil }
        _ = fcntl(conn, F_SETFD, FD_CLOEXEC)
        defer { Glibc.close(conn) }
        var c = pollfd(fd: conn, events: Int16(POLLIN), revents: 0)
        guard poll(&c, 1, 5000) == 1 else { return nil }
        let master = nest_recv_fd(conn)
        return master >= 0 ? master : nil
    }
}
