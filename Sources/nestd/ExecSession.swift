import CNestShims
import Glibc
import NestAPI
import Synchronization

/// An exec'd process and the daemon's ends of its stdio: input from the
/// stream (InputTarget), output pumped to it, the exit status reaped.
final class ExecSession: Sendable {
    let pid: Int32
    /// stdin's write end (or a copy of the pty master); -1 when closed.
    private let input: Mutex<Int32>
    /// stdout and stderr read ends, or the pty master alone.
    private let output: [Int32]
    private let master: Int32

    init(pid: Int32, input: Int32, output: [Int32], master: Int32) {
        self.pid = pid
        self.input = Mutex(input)
        self.output = output
        self.master = master
    }

    deinit {
        closeInputFD()
        for fd in output { close(fd) }
    }

    /// Frames of the process's output until it has exited and what it
    /// wrote is read; reaps it and returns its exit code (128+N for signal
    /// N). A process that exits while a child of its own keeps the output
    /// open ends the stream all the same.
    func pumpOutput(to stream: StreamWriter?) -> Int32 {
        let pidfd = nest_pidfd_open(pid)
        defer { if pidfd >= 0 { close(pidfd) } }
        for fd in output { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
        var open = output.map { _ in true }
        var buf = [UInt8](repeating: 0, count: 65536)
        var exited = pidfd < 0
        /// Reads what is there; false at EOF (EIO for a pty whose other side has gone).
        func drain(_ i: Int) -> Bool {
            while true {
                let n = buf.withUnsafeMutableBytes { read(output[i], $0.baseAddress, $0.count) }
                if n > 0 {
                    let type = i == 0 ? StreamFrame.stdout : StreamFrame.stderr
                    stream?.frame(type, buf[0..<n])
                    continue
                }
                if n < 0 && errno == EINTR { continue }
                return n < 0 && errno == EAGAIN
            }
        }
        while open.contains(true) && !exited {
            var fds = output.enumerated().map { i, fd in pollfd(fd: open[i] ? fd : -1, events: Int16(POLLIN), revents: 0) }
            fds.append(pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0))
            if poll(&fds, nfds_t(fds.count), -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            for i in output.indices where open[i] && fds[i].revents != 0 { open[i] = drain(i) }
            if fds[output.count].revents != 0 { exited = true }
        }
        // exited: what it wrote before is in the pipes (or the pty) now
        for i in output.indices where open[i] { _ = drain(i) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    private func closeInputFD() {
        input.withLock { fd in if fd >= 0 { close(fd); fd = -1 } }
    }
}

extension ExecSession: InputTarget {
    func write(_ bytes: [UInt8]) -> Bool {
        input.withLock { fd in fd >= 0 && writeFully(fd, bytes) }
    }

    /// A pipe is closed (the process reads EOF); a terminal gets its EOF
    /// character only by the client typing it.
    func closeInput() {
        if master < 0 { closeInputFD() }
    }

    func resize(rows: UInt16, cols: UInt16) {
        if master >= 0 { setWindowSize(master, rows: rows, cols: cols) }
    }

    /// The process loses its stdin with its client; it is not killed.
    func clientGone() { closeInputFD() }
}
