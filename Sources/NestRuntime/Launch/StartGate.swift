import Glibc

/// `start`'s side of the exec FIFO (Sources/nest-monitor/startgate.c): the
/// monitor's helper writes "0" once `start` has opened the FIFO, tells the
/// container init to go on, and writes the init's answer before it closes
/// the FIFO: "S" once the startContainer hooks have run, or the error
/// record of what failed (a hook, the init gone). The FIFO lives in the
/// state directory, out of every container's reach.
enum StartGate {
    enum Outcome {
        case started
        /// The init exited before anything opened the FIFO's other end.
        case notStarted
        case failed(RuntimeError)
    }

    /// Reads `fd` (the FIFO, opened O_NONBLOCK) to EOF. `initAlive` is asked
    /// only until the first byte: from then on the helper is sure to answer
    /// (it dies with the monitor, and the FIFO's EOF with it).
    static func read(fd: Int32, fifo: String, initAlive: () -> Bool) throws(RuntimeError) -> Outcome {
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let r = poll(&p, 1, bytes.isEmpty ? 100 : -1)
            if r < 0 && errno != EINTR { throw .system("\(fifo): \(Sys.errorText())") }
            if r > 0 {
                let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    bytes += buf[0..<n]
                    continue
                }
                if n < 0 && errno != EAGAIN && errno != EINTR { throw .system("\(fifo): \(Sys.errorText())") }
                if n == 0 && !bytes.isEmpty { break }
                // EOF before any byte: a writer came and went (the init died
                // while the helper had the FIFO open); poll says so at once.
                if n == 0 { usleep(10_000) }
            }
            if bytes.isEmpty && !initAlive() { return .notStarted }
        }
        return outcome(of: bytes)
    }

    static func outcome(of bytes: [UInt8]) -> Outcome {
        var tail = String(decoding: bytes.dropFirst(), as: UTF8.self)
        if tail.hasSuffix("\n") { tail.removeLast() }
        if tail == "S" { return .started }
        if let error = KernelError(record: tail) { return .failed(.kernel(error)) }
        return .failed(.system(tail.isEmpty ? "start: the container's monitor exited before its process started"
                                            : "start: unexpected answer on the exec FIFO: \(tail)"))
    }
}
