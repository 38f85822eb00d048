#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import Synchronization

/// Learns that a container's init exited when its monitor renames the status
/// file into the state directory. One thread serves every container: an
/// inotify watch per state directory, and a pidfd per init, so that the exit
/// of an init whose monitor was killed is seen too (and its status written in
/// the monitor's stead, see Runtime.noteExit). A slow sweep covers what
/// neither reports, and pidfds added while the thread sleeps.
final class ExitWatcher: Sendable {
    private struct State {
        var watches: [Int32: String] = [:]     // watch descriptor → container id
        var byID: [String: Int32] = [:]
        var pidfds: [String: Int32] = [:]      // container id → pidfd of its init
        var idByPidfd: [Int32: String] = [:]
        /// Inits that have exited, whose status file is not written yet.
        var exitedInits: Set<String> = []
    }
    private let fd: Int32
    private let root: String
    private let state = Mutex(State())
    private let onExit: @Sendable (String) -> Void
    private let isStopped: @Sendable (String) -> Bool
    private let openPidfd: @Sendable (String) -> Int32?
    private let noteExit: @Sendable (String, Int32) -> Bool
    /// Called on every wake-up with an event (an init exited, a status file
    /// came): what a container shows may have changed.
    private let changed: @Sendable () -> Void

    init(root: String, isStopped: @escaping @Sendable (String) -> Bool,
         openPidfd: @escaping @Sendable (String) -> Int32? = { _ in nil },
         noteExit: @escaping @Sendable (String, Int32) -> Bool = { _, _ in false },
         onExit: @escaping @Sendable (String) -> Void, changed: @escaping @Sendable () -> Void = {}) {
        self.changed = changed
        self.root = root
        self.onExit = onExit
        self.isStopped = isStopped
        self.openPidfd = openPidfd
        self.noteExit = noteExit
        fd = inotify_init1(Int32(IN_CLOEXEC))
    }

    func start() {
        detachThread(stackSize: 256 * 1024) { [self] in self.loop() }
    }

    func watch(_ id: String) {
        // a process SUB/NAME of a subsystem lives in SUB/+NAME
        let dir = id.contains("/") ? root + "/" + id.replacingOccurrences(of: "/", with: "/+") : root + "/" + id
        let wd = inotify_add_watch(fd, dir, UInt32(IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE_SELF))
        if wd >= 0 { state.withLock { $0.watches[wd] = id; $0.byID[id] = wd } }
        if let pfd = openPidfd(id) {
            let kept = state.withLock { s -> Bool in
                guard s.byID[id] != nil, s.pidfds[id] == nil else { return false }
                s.pidfds[id] = pfd
                s.idByPidfd[pfd] = id
                return true
            }
            if !kept { close(pfd) }
        }
        // it may have exited before the watch was in place
        if isStopped(id) { fire(id) }
    }

    func unwatch(_ id: String) {
        if let wd = forget(id) { inotify_rm_watch(fd, wd) }
    }

    /// Drops the container's watch and pidfd; returns the watch descriptor.
    private func forget(_ id: String) -> Int32? {
        let (wd, pfd) = state.withLock { s -> (Int32?, Int32?) in
            let wd = s.byID.removeValue(forKey: id)
            if let wd { s.watches.removeValue(forKey: wd) }
            let pfd = s.pidfds.removeValue(forKey: id)
            if let pfd { s.idByPidfd.removeValue(forKey: pfd) }
            s.exitedInits.remove(id)
            return (wd, pfd)
        }
        if let pfd { close(pfd) }
        return wd
    }

    private func fire(_ id: String) {
        // An init whose monitor is gone: its status is written first, so
        // that the exit is reported with its code.
        if let pfd = state.withLock({ $0.pidfds[id] }) { _ = noteExit(id, pfd) }
        let had = state.withLock { $0.byID[id] != nil }
        guard had else { return }
        if forget(id) == nil { return }
        onExit(id)
    }

    /// The init behind a pidfd has exited: its monitor writes the status
    /// file, or, when the monitor is gone, it is written here.
    /// Returns whether the status file is there; while the monitor lives it
    /// comes later, with its inotify event.
    private func initExited(_ pfd: Int32) -> Bool {
        guard let id = state.withLock({ $0.idByPidfd[pfd] }) else { return false }
        if noteExit(id, pfd) { return true }
        state.withLock { _ = $0.exitedInits.insert(id) }
        return false
    }

    private func loop() {
        // Raw memory, not arrays: the arrays this loop read into and polled
        // (and took slices of) were copied on every wake-up and the copies
        // were never freed (heaptrack: 16 kB per inotify event, ~40 kB of
        // RSS per `run --rm`, for good).
        let bufSize = 16384
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: bufSize, alignment: 8)
        defer { buf.deallocate() }
        var fds = UnsafeMutableBufferPointer<pollfd>.allocate(capacity: 64)
        defer { fds.deallocate() }
        while true {
            // The pidfds of inits not known to have exited (one that has
            // polls readable for good).
            let live = state.withLock { s in s.pidfds.compactMap { s.exitedInits.contains($0.key) ? nil : $0.value } }
            let count = live.count + 1
            if count > fds.count {
                fds.deallocate()
                fds = .allocate(capacity: count * 2)
            }
            fds[0] = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            for i in 0..<live.count { fds[i + 1] = pollfd(fd: live[i], events: Int16(POLLIN), revents: 0) }
            let r = poll(fds.baseAddress, nfds_t(count), 2000)
            if r == 0 {
                // Inits that exited while their monitor still lived: a
                // monitor killed before it wrote the status leaves it to us.
                for id in state.withLock({ Array($0.exitedInits) }) {
                    if let pfd = state.withLock({ $0.pidfds[id] }), noteExit(id, pfd) {
                        state.withLock { _ = $0.exitedInits.remove(id) }
                    }
                }
                for id in state.withLock({ Array($0.byID.keys) }) where isStopped(id) { fire(id) }
                continue
            }
            if r < 0 { continue }
            changed()
            var hit: Set<String> = []
            for i in 1..<count where fds[i].revents != 0 {
                let pfd = fds[i].fd
                if let id = state.withLock({ $0.idByPidfd[pfd] }), initExited(pfd) { hit.insert(id) }
            }
            if fds[0].revents != 0 {
                let n = read(fd, buf.baseAddress, bufSize)
                var off = 0
                while n > 0 && off + 16 <= n {
                    let wd = buf.loadUnaligned(fromByteOffset: off, as: Int32.self)
                    let mask = buf.loadUnaligned(fromByteOffset: off + 4, as: UInt32.self)
                    let len = Int(buf.loadUnaligned(fromByteOffset: off + 12, as: UInt32.self))
                    let nameBytes = UnsafeRawBufferPointer(rebasing: buf[(off + 16)..<min(off + 16 + len, n)]).prefix { $0 != 0 }
                    let name = String(decoding: nameBytes, as: UTF8.self)
                    if let id = state.withLock({ $0.watches[wd] }),
                       name == "status" || mask & UInt32(IN_DELETE_SELF) != 0 {
                        hit.insert(id)
                    }
                    off += 16 + len
                }
            }
            for id in hit where isStopped(id) { fire(id) }
        }
    }
}
