import Dispatch
import Glibc
import Synchronization

/// Where a stream's input goes: a container's stdin pipe or pty, an exec'd
/// process's. Called on the pump's own thread, so writes may block.
protocol InputTarget: Sendable {
    /// False once the target takes no more (its reader has gone).
    func write(_ bytes: [UInt8]) -> Bool
    /// The client closed stdin (an empty stdin frame).
    func closeInput()
    func resize(rows: UInt16, cols: UInt16)
    /// The client has gone.
    func clientGone()
}

/// Takes a stream's input on the event loop without blocking it and writes
/// it to the target on a thread of its own, in order. When more than
/// `highWater` bytes wait, the frame reader stops reading (the rest waits in
/// the socket) until the target has caught up.
final class InputPump: StreamInput {
    private enum Item { case data([UInt8]), close, resize(UInt16, UInt16), gone }
    private struct Queue {
        var items: [Item] = []
        var bytes = 0
        var paused = false
        var finished = false
    }

    static let highWater = 256 * 1024
    private let target: InputTarget
    private let queue = Mutex(Queue())
    private let ready = DispatchSemaphore(value: 0)
    /// Set once the stream is upgraded: how to let a paused reader go on.
    private let resume = Mutex<(@Sendable () -> Void)?>(nil)

    init(_ target: InputTarget) {
        self.target = target
        let started = detachThread(stackSize: 256 * 1024) { [self] in run() }
        if !started { queue.withLock { $0.finished = true } }
    }

    func onResume(_ body: @escaping @Sendable () -> Void) { resume.withLock { $0 = body } }

    func stdin(_ bytes: [UInt8]) -> Bool {
        let more = queue.withLock { q -> Bool in
            guard !q.finished else { return true }   // dropped: nobody reads
            q.items.append(.data(bytes))
            q.bytes += bytes.count
            if q.bytes > Self.highWater { q.paused = true }
            return !q.paused
        }
        ready.signal()
        return more
    }

    func stdinClosed() { put(.close) }
    func resize(rows: UInt16, cols: UInt16) { put(.resize(rows, cols)) }
    func disconnected() { put(.gone) }

    private func put(_ item: Item) {
        queue.withLock { q in if !q.finished { q.items.append(item) } }
        ready.signal()
    }

    private func run() {
        var open = true
        while true {
            ready.wait()
            guard let item = queue.withLock({ q -> Item? in q.items.isEmpty ? nil : q.items.removeFirst() }) else { continue }
            switch item {
            case .data(let bytes):
                if open { open = target.write(bytes) }
                let wake = queue.withLock { q -> Bool in
                    q.bytes -= bytes.count
                    guard q.paused, q.bytes <= Self.highWater / 2 else { return false }
                    q.paused = false
                    return true
                }
                if wake { resume.withLock { $0 }?() }
            case .close:
                if open { target.closeInput() }
                open = false
            case .resize(let rows, let cols):
                target.resize(rows: rows, cols: cols)
            case .gone:
                target.clientGone()
                queue.withLock { q in q.finished = true; q.items.removeAll(); q.bytes = 0 }
                return
            }
        }
    }
}

/// write(2) until all of `bytes` is written; false when the fd takes no more.
func writeFully(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var off = 0
    while off < bytes.count {
        let n = bytes[off...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            return false
        }
        off += n
    }
    return true
}

/// TIOCSWINSZ on a pty master.
func setWindowSize(_ fd: Int32, rows: UInt16, cols: UInt16) {
    var ws = winsize(ws_row: rows, ws_col: cols, ws_xpixel: 0, ws_ypixel: 0)
    _ = ioctl(fd, UInt(TIOCSWINSZ), &ws)
}
