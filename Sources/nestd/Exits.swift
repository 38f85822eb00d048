import CNestShims
import Dispatch
import Glibc
import NestRuntime
import Synchronization

/// What happens when a container's init exits: waiters are told, and an
/// auto-remove container is removed first.
extension Daemon {
    /// Calls `done` once the container has exited (nil when it was deleted
    /// first). For an auto-remove container, once it has also been removed:
    /// a client told of the exit then no longer finds it.
    func onExit(_ id: String, _ report: @escaping @Sendable (ContainerStatus?) -> Void) {
        // With a terminal, after the pty's last output is in the log: a
        // follower of the log sees everything before the exit.
        let io = streams.withLock { $0[id] }
        var done = report
        if let io {
            done = { s in io.whenDrained { report(s) } }
        }
        let removesItself = known.withLock { $0[id]?.removesItself } ?? false
        if !removesItself, let s = runtime.exitCheck(id).status { done(s); return }
        let registered = known.withLock { k -> Bool in
            guard k[id] != nil else { return false }
            waiters.withLock { $0[id, default: []].append(done) }
            return true
        }
        // removed between the lookup and the registration
        guard registered else { done(nil); return }
        // it may have exited between the check and the registration
        if !removesItself, let s = runtime.exitCheck(id).status {
            let ws = waiters.withLock { $0.removeValue(forKey: id) } ?? []
            for w in ws { w(s) }
        }
    }

    func waitExit(_ id: String, timeout: Double) -> ContainerStatus? {
        let box = Mutex<ContainerStatus?>(nil)
        let sem = DispatchSemaphore(value: 0)
        onExit(id) { s in box.withLock { $0 = s }; sem.signal() }
        if sem.wait(timeout: .now() + timeout) == .timedOut { return nil }
        return box.withLock { $0 }
    }

    /// Called by the exit watcher's thread.
    func exited(_ id: String) {
        listCache.begin(); defer { listCache.end() }
        guard let r = known.withLock({ $0[id] }) else { return }
        let check = runtime.exitCheck(id)
        guard check.isFinal else {
            // The watcher's read said it exited, this one could not confirm
            // it (a state read that failed): no exit is reported and nothing
            // is removed; the watcher looks again.
            logger.warning("exit not confirmed; still watching", metadata: ["id": "\(id)"])
            watcher.watch(id)
            return
        }
        let s = check.status
        events.emit("exited", id: id, name: r.name, exitCode: s?.exitCode)
        if s?.oomKilled == true { events.emit("oom", id: id, name: r.name) }
        if r.removesItself {
            // off the watcher's thread: the removal takes a while, and other
            // containers exit meanwhile
            detachThread(stackSize: 256 * 1024) { [self] in removeExited(r.id, s) }
            return
        }
        let ws = waiters.withLock { $0.removeValue(forKey: id) } ?? []
        for w in ws { w(s) }
        if let monitor = s?.monitorPid { Self.reap(monitor) }
    }

    /// Removes an auto-remove container that has exited; delete() then hands
    /// its exit status to the waiters. When the removal fails the container
    /// stays, as an ordinary stopped one, and the waiters are told now.
    private func removeExited(_ id: String, _ s: ContainerStatus?) {
        listCache.begin(); defer { listCache.end() }
        if let monitor = s?.monitorPid { Self.reap(monitor) }
        do throws(APIError) {
            try delete(id, force: true, autoRemoval: true, exitStatus: s)
        } catch {
            // gone already, or a DELETE is removing it (and tells the waiters)
            if error.status == 404 || error.status == 409 { return }
            logger.warning("could not remove auto-remove container", metadata: ["id": "\(id)", "error": "\(error.body.error)"])
            let ws = waiters.withLock { $0.removeValue(forKey: id) } ?? []
            for w in ws { w(s) }
        }
    }

    /// A monitor forked by the zygote is reaped by the kernel; one the
    /// daemon had to spawn itself (no zygote to be had) is the daemon's
    /// child and is collected here. It exits right after writing the status
    /// file; a pidfd wakes us the moment it has, where polling waitpid
    /// would sleep in steps.
    static func reap(_ pid: Int32) {
        var status: Int32 = 0
        let pfd = nest_pidfd_open(pid)
        if pfd >= 0 {
            var p = pollfd(fd: pfd, events: Int16(POLLIN), revents: 0)
            _ = poll(&p, 1, 100)
            close(pfd)
            waitpid(pid, &status, WNOHANG)
            return
        }
        for _ in 0..<50 {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid || (r < 0 && errno == ECHILD) { return }
            usleep(2000)
        }
    }
}
