import Glibc
import NestOCI

extension Runtime {
    /// Lets the container's process run: the init blocked on the exec FIFO
    /// goes on to nest-init's loop. Poststart hooks run after it.
    public func start(id: String) throws(RuntimeError) {
        try Self.validate(id: id)
        let record = try self.record(id)
        let current = try status(record)
        guard current.status == "created" else {
            // A subsystem of several processes: its holder runs from the
            // create on; start is its processes'.
            let children = store.children(id)
            if !children.isEmpty && current.status == "running" {
                for child in children where try state(id: child).status == "created" { try start(id: child) }
                return
            }
            throw .invalidState(id: id, state: current.status, wanted: "created")
        }
        let fifo = store.fifo(id)
        let fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw .system("\(fifo): \(Sys.errorText())") }
        defer { close(fd) }
        let outcome = try StartGate.read(fd: fd, fifo: fifo, initAlive: { Sys.isAlive(record.pid) })
        Trace.mark("fifo")
        // Started or not, it is no longer "created": a failed start leaves
        // the container stopped (its init has exited).
        unlink(fifo)
        switch outcome {
        case .started: break
        case .notStarted: throw .invalidState(id: id, state: "stopped", wanted: "created")
        case .failed(let error): throw error
        }
        runPoststartHooks(record)
    }

    /// The poststart hooks of a container created with `startAtOnce`
    /// (`start` runs them itself).
    public func runPoststartHooks(id: String) throws(RuntimeError) {
        try Self.validate(id: id)
        runPoststartHooks(try record(id))
    }

    func runPoststartHooks(_ record: StateRecord) {
        let id = record.id
        // The state for the hooks is read only when there are hooks: start is
        // on the path of every container.
        guard !record.poststart.isEmpty else { return }
        // The runtime-spec: a failing poststart hook is a warning only.
        do {
            try MonitorHooks.run(libexecDir: options.libexecDir, kind: "poststart", plan: store.planFile(id),
                                 pid: record.pid, status: "running")
        } catch {
            Runtime.warn("\(id): \(error)")
        }
    }

    public func kill(id: String, signal: Int32, all: Bool = false) throws(RuntimeError) {
        try Self.validate(id: id)
        let record = try self.record(id)
        let current = try status(record)
        let live = ["created", "running", "paused"]
        guard live.contains(current.status) else {
            throw .invalidState(id: id, state: current.status, wanted: "created, running or paused")
        }
        // A subsystem's signal goes to each of its processes, then to its
        // holder (which ends on TERM, INT or KILL).
        for child in store.children(id) {
            guard let s = try? state(id: child).status, live.contains(s) else { continue }
            try kill(id: child, signal: signal, all: all)
        }
        if all, let cgroups {
            for pid in Self.containerPids(record, cgroups) { Glibc.kill(pid, signal) }
        } else if Glibc.kill(record.pid, signal) != 0 {
            throw .system("kill \(record.pid): \(Sys.errorText())")
        }
        // A frozen process dies of SIGKILL only once thawed (as runc does;
        // other signals wait for `resume`). A paused subsystem's processes
        // thaw with its holder, signalled last.
        if signal == SIGKILL, current.status == "paused", let cgroups {
            try? cgroups.thaw(record.cgroups, wait: false)
        }
    }

    /// The container's processes for `kill --all`: those in its cgroups,
    /// when Nest made them. In a cgroup that existed before (Nest made none
    /// of the container's dirs), only those in the init's PID namespace: a
    /// host process put there is not the container's.
    static func containerPids(_ record: StateRecord, _ cgroups: CgroupManager) -> [Int32] {
        let owned = cgroups.owned(record.cgroups, made: record.cgroupsMade)
        if !owned.joinDirs.isEmpty { return cgroups.pids(owned) }
        guard let ns = pidNamespace(record.pid), ns != pidNamespace(getpid()) else { return [record.pid] }
        return cgroups.pids(record.cgroups).filter { pidNamespace($0) == ns }
    }

    static func pidNamespace(_ pid: Int32) -> String? {
        var buf = [CChar](repeating: 0, count: 64)
        let n = readlink("/proc/\(pid)/ns/pid", &buf, buf.count - 1)
        guard n > 0 else { return nil }
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Waits until the container has stopped and the monitor has written its
    /// status, and returns the state.
    @discardableResult
    public func waitForExit(id: String) throws(RuntimeError) -> ContainerStatus {
        try Self.validate(id: id)
        let record = try self.record(id)
        var st: Int32 = 0
        var r: Int32
        repeat { r = waitpid(record.monitorPid, &st, 0) } while r < 0 && errno == EINTR
        if r != record.monitorPid {
            // Not our child: the monitor writes the status file, then exits.
            while try store.exit(id) == nil && Sys.isAlive(record.monitorPid) { usleep(10_000) }
        }
        return try status(record)
    }

    /// Removes a stopped container: its cgroup, state directory and
    /// monitor; with force, a running one is killed first. Poststop hooks
    /// run last.
    public func delete(id: String, force: Bool = false) throws(RuntimeError) {
        try Self.validate(id: id)
        // A subsystem's processes go before its holder, whose cgroup is
        // their parent and whose state dir holds theirs. When it is paused,
        // they cannot die before its cgroup thaws: killed and thawed first.
        let children = store.children(id)
        if force, !children.isEmpty, let holder = try? self.record(id) { killFrozen(holder) }
        for child in children { try delete(id: child, force: force) }
        let record: StateRecord
        do {
            record = try self.record(id)
        } catch let error {
            // A create that is under way, or whose maker died half-way.
            if case .invalidState(_, "creating", _) = error, force {
                try undoCreate(id: id)
                return
            }
            throw error
        }
        var current = try status(record)
        if current.status != "stopped" {
            guard force else { throw .invalidState(id: id, state: current.status, wanted: "stopped") }
            Glibc.kill(record.pid, SIGKILL)
            if current.status == "paused" { killFrozen(record) }
            var waited = 0
            while try status(record).status != "stopped" && waited < 1000 {
                usleep(10_000)
                waited += 1
            }
        }
        CrashPoint.hit("delete:killed")
        // status() has waited for the monitor's status file once it found
        // the init gone, so the monitor is exiting or gone: collect it when
        // it is ours (its last steps, the start gate and the read-only clone
        // of its binary, take a moment; a caller that is not its parent gets
        // ECHILD at once).
        var st: Int32 = 0
        // (A `for … where` here went on calling waitpid 400 times after
        // the answer: ECHILD at once is the common case, a daemon's zygote
        // monitors not being its children.)
        for _ in 0..<400 {
            guard waitpid(record.monitorPid, &st, WNOHANG) == 0 else { break }
            usleep(5_000)
        }
        Trace.mark("wait for monitor")
        // Only the cgroups Nest made: a cgroup that existed before the
        // container is not Nest's to empty or remove.
        if let cgroups {
            do { try cgroups.destroy(cgroups.owned(record.cgroups, made: record.cgroupsMade), killRemaining: true) } catch {
                throw .system("delete \(id): \(error)")
            }
        }
        CrashPoint.hit("delete:cgroups")
        Trace.mark("cgroups destroyed")
        if !record.poststop.isEmpty { current = (try? status(record)) ?? current }
        // The plan names the poststop hooks; it goes with the state directory.
        let plan = record.poststop.isEmpty ? nil : Sys.readFile(store.planFile(id))
        let stuck = try undoRootfsMounts(id: id, stateDir: store.dir(id))
        if !stuck.isEmpty { throw .system("delete \(id): \(stuck.joined(separator: ", ")) could not be unmounted") }
        Sys.removeTree(store.dir(id))
        _ = records.withLock { $0.removeValue(forKey: id) }
        Trace.mark("state removed")
        guard !record.poststop.isEmpty else { return }
        guard let plan else {
            Runtime.warn("\(id): poststop hooks not run: the plan cannot be read")
            return
        }
        do {
            try MonitorHooks.run(libexecDir: options.libexecDir, kind: "poststop", planBytes: plan,
                                 pid: current.pid, status: current.status)
        } catch {
            Runtime.warn("\(id): \(error)")
        }
    }

    /// A warning to the caller's sink (`RuntimeOptions.warn`).
    func warning(_ message: String) {
        if let sink = options.warn { sink(message) } else { Self.warn(message) }
    }

    static func warn(_ message: String) {
        let line = "nest: warning: \(message)\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
    }
}
