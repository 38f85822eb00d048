import CNestShims
import Glibc
import NestRuntime
import Synchronization

/// Tells a log follower that its container has exited (and, when it removes
/// itself, has been removed), through a pipe that poll waits on together
/// with the log's inotify descriptor.
final class LogFollower: Sendable {
    enum State: Sendable { case running, exited(ContainerStatus?) }
    private let fds: (read: Int32, write: Int32)
    private let state = Mutex(State.running)

    init(_ d: Daemon, _ id: String) {
        var p: [Int32] = [-1, -1]
        _ = nest_pipe2(&p, O_CLOEXEC | O_NONBLOCK)
        fds = (p[0], p[1])
        // The closure keeps self, and so the pipe, alive until it has run.
        d.onExit(id) { [self] s in
            state.withLock { $0 = .exited(s) }
            var one: UInt8 = 1
            _ = write(fds.write, &one, 1)
        }
    }

    deinit {
        close(fds.read)
        close(fds.write)
    }

    var readFD: Int32 { fds.read }

    /// The exit status once the container has exited; `.some(nil)` when it
    /// was deleted first.
    var exit: ContainerStatus?? {
        state.withLock { s -> ContainerStatus?? in
            if case .exited(let status) = s { return .some(status) }
            return nil
        }
    }
}

/// Where a log's records go: a chunked HTTP response, or the frames of an
/// attached stream.
protocol ChunkSink: Sendable {
    var isActive: Bool { get }
    var isWritable: Bool { get }
    func chunk(_ bytes: [UInt8])
}

extension ResponseWriter: ChunkSink {}

/// Reads a container's log file from where it left off. The descriptor stays
/// open: an auto-remove container's log is unlinked when it is removed, and
/// what the container wrote last is read after that.
final class LogTail {
    let path: String
    let query: LogQuery
    private var fd: Int32 = -1
    /// Closed by deinit, after the response has ended: closing an inotify
    /// descriptor waits for an RCU grace period, often over 10 ms.
    private var ino: Int32 = -1
    private var offset = 0
    private var first = true

    init(path: String, query: LogQuery) {
        self.path = path
        self.query = query
    }

    deinit {
        if fd >= 0 { close(fd) }
        if ino >= 0 { close(ino) }
    }

    /// Writes the records so far; with a follower, then what is appended
    /// until the container has exited. The caller ends the response while it
    /// still holds the tail (see `ino`). Returns how it exited (nil when not
    /// following, when it was deleted first, or when the client went away).
    func stream(to w: some ChunkSink, until follower: LogFollower?) -> ContainerStatus? {
        pump(w)
        guard let follower else { return nil }
        // inotify on the container's data directory: the log may not exist yet
        ino = inotify_init1(Int32(IN_CLOEXEC))
        _ = inotify_add_watch(ino, parentDirectory(path), UInt32(IN_MODIFY | IN_CREATE))
        var buf = [UInt8](repeating: 0, count: 4096)
        while w.isActive {
            if let exit = follower.exit {
                pump(w)
                return exit
            }
            var p = [pollfd(fd: ino, events: Int16(POLLIN), revents: 0),
                     pollfd(fd: follower.readFD, events: Int16(POLLIN), revents: 0)]
            if poll(&p, 2, 500) > 0, p[0].revents != 0 {
                _ = buf.withUnsafeMutableBytes { read(ino, $0.baseAddress, $0.count) }
            }
            // A client that does not read gets no more until it does: the
            // log stays on disk instead of piling up in the daemon's memory.
            if w.isWritable { pump(w) }
        }
        return nil
    }

    /// Starts after what the log holds now: a client attached to a running
    /// container gets what it writes from then on, however late the first
    /// read. Records are appended whole, so the end is a record's end.
    func skipExisting() {
        openLog(creating: true)
        var st = stat()
        if fd >= 0, fstat(fd, &st) == 0 { offset = Int(st.st_size) }
        first = false
    }

    /// Opens the log now rather than at the first read. `creating`: makes it
    /// if the monitor has not yet (it appends to whatever is there, with the
    /// same mode), so that the descriptor is the file the monitor writes.
    func openLog(creating: Bool = false) {
        guard fd < 0 else { return }
        fd = creating ? open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0o600) : open(path, O_RDONLY | O_CLOEXEC)
    }

    private func pump(_ w: some ChunkSink) {
        openLog()
        if fd < 0 { return }
        var data: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        var at = off_t(offset)
        while true {
            let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, at) }
            if n <= 0 { break }
            data += buf[0..<n]
            at += off_t(n)
        }
        guard !data.isEmpty else { return }
        let text = String(decoding: data, as: UTF8.self)
        let (out, used) = query.render(Substring(text), applyTail: first)
        first = false
        offset += used
        w.chunk(Array(out.utf8))
    }
}
