#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import Synchronization

/// Learns that a container's init exited when its monitor renames the status
/// file into the state directory. One thread and one inotify descriptor serve
/// every container, so a thousand idle containers cost a thousand watches, not
/// a thousand threads. A slow sweep covers monitors that die without a status.
final class ExitWatcher: Sendable {
    private struct State {
        var watches: [Int32: String] = [:]     // watch descriptor → container id
        var byID: [String: Int32] = [:]
    }
    private let fd: Int32
    private let root: String
    private let state = Mutex(State())
    private let onExit: @Sendable (String) -> Void
    private let isStopped: @Sendable (String) -> Bool

    init(root: String, isStopped: @escaping @Sendable (String) -> Bool, onExit: @escaping @Sendable (String) -> Void) {
        self.root = root
        self.onExit = onExit
        self.isStopped = isStopped
        fd = inotify_init1(Int32(IN_CLOEXEC))
    }

    func start() {
        detachThread(stackSize: 256 * 1024) { [self] in self.loop() }
    }

    func watch(_ id: String) {
        let wd = inotify_add_watch(fd, root + "/" + id, UInt32(IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE_SELF))
        if wd >= 0 { state.withLock { $0.watches[wd] = id; $0.byID[id] = wd } }
        // it may have exited before the watch was in place
        if isStopped(id) { fire(id) }
    }

    func unwatch(_ id: String) {
        if let wd = state.withLock({ s -> Int32? in
            guard let wd = s.byID.removeValue(forKey: id) else { return nil }
            s.watches.removeValue(forKey: wd); return wd
        }) { inotify_rm_watch(fd, wd) }
    }

    private func fire(_ id: String) {
        let had = state.withLock { s -> Bool in
            guard let wd = s.byID.removeValue(forKey: id) else { return false }
            s.watches.removeValue(forKey: wd); return true
        }
        if had { onExit(id) }
    }

    private func loop() {
        var buf = [UInt8](repeating: 0, count: 16384)
        while true {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let r = poll(&p, 1, 2000)
            if r == 0 {
                for id in state.withLock({ Array($0.byID.keys) }) where isStopped(id) { fire(id) }
                continue
            }
            if r < 0 { continue }
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { continue }
            var off = 0
            var hit: Set<String> = []
            while off + 16 <= n {
                let (wd, mask, len): (Int32, UInt32, Int) = buf.withUnsafeBytes { raw in
                    (raw.loadUnaligned(fromByteOffset: off, as: Int32.self),
                     raw.loadUnaligned(fromByteOffset: off + 4, as: UInt32.self),
                     Int(raw.loadUnaligned(fromByteOffset: off + 12, as: UInt32.self)))
                }
                let nameBytes = buf[(off + 16)..<(off + 16 + len)].prefix { $0 != 0 }
                let name = String(decoding: nameBytes, as: UTF8.self)
                if let id = state.withLock({ $0.watches[wd] }),
                   name == "status" || mask & UInt32(IN_DELETE_SELF) != 0 {
                    hit.insert(id)
                }
                off += 16 + len
            }
            for id in hit where isStopped(id) { fire(id) }
        }
    }
}
