import CNestShims
import Glibc
import NestOCI
import NestSubsystem
import Synchronization

/// Realizes subsystems: the lifecycle of the runtime-spec (create, start,
/// state, kill, delete) over nest-monitor processes. Safe to use from many
/// threads; every container's state is on disk, none in memory.
public final class Runtime: Sendable {
    public let options: RuntimeOptions
    let store: StateStore
    let cgroups: CgroupManager?
    /// Records this process created or read: a record never changes after
    /// create, and decoding it again costs more than the rest of `start`.
    let records = Mutex<[String: StateRecord]>([:])
    let zygote: MonitorZygote?

    public init(options: RuntimeOptions = RuntimeOptions()) {
        self.options = options
        store = StateStore(root: options.root)
        cgroups = (try? CgroupManager.detect()).map { CgroupManager(layout: $0) }
        zygote = options.monitorZygote
            ? (try? Libexec.dir(options.libexecDir)).map { MonitorZygote(monitor: $0 + "/nest-monitor") } : nil
    }

    public var cgroupVersionName: String {
        switch cgroups?.layout {
        case .unified?: "v2"
        case .hybrid?: "hybrid"
        case .legacy?: "v1"
        case nil: "none"
        }
    }

    static func validate(id: String) throws(RuntimeError) {
        let ok = !id.isEmpty && id.count <= 1024 && id.first != "." && id.allSatisfy { ch in
            ch.isASCII && (ch.isLetter || ch.isNumber || ch == "_" || ch == "-" || ch == ".")
        }
        if !ok { throw .invalidArgument("container id '\(id)' must be 1-1024 characters of A-Z a-z 0-9 _ - . not starting with a dot", field: "id") }
    }

    /// Loads, validates and translates the bundle; nothing is made on the host.
    public func translate(id: String, options: CreateOptions) throws(RuntimeError) -> Subsystem {
        try Self.validate(id: id)
        let bundle: NestOCI.Bundle
        do {
            bundle = try BundleLoader.load(options.bundle)
        } catch {
            throw .invalidSpec(error.errors)
        }
        Trace.mark("load bundle")
        let sub = Translator.translate(bundle.spec, options: TranslateOptions(
            id: id, bundlePath: bundle.path, rootfsPath: bundle.rootfsPath, hosts: options.hosts, resolvConf: options.resolvConf))
        Trace.mark("translate")
        let problems = sub.check()
        if !problems.isEmpty { throw .invalidSpec(problems) }
        return sub
    }

    public func create(id: String, options: CreateOptions) throws(RuntimeError) -> ContainerStatus {
        try createReturningSubsystem(id: id, options: options).status
    }

    /// `create(id:options:)`, also giving the subsystem the bundle became
    /// (what a daemon keeps of it: the command, the components).
    public func createReturningSubsystem(id: String, options: CreateOptions) throws(RuntimeError)
        -> (status: ContainerStatus, subsystem: Subsystem)
    {
        try Self.validate(id: id)
        // The monitor is started first: its exec (about 1 ms) overlaps the
        // translation, the cgroups and the plan.
        let early = zygote != nil ? nil : (try? Libexec.dir(self.options.libexecDir)).flatMap { libexec in
            try? MonitorSpawner.startEarly(monitor: libexec + "/nest-monitor", plan: store.planFile(id), stdio: options.stdio)
        }
        Trace.mark("early monitor")
        do throws(RuntimeError) {
            let sub = try translate(id: id, options: options)
            return (try create(subsystem: sub, options: options, early: early), sub)
        } catch {
            early?.abandon()
            throw error
        }
    }

    /// Creates the container a subsystem describes: cgroup, state directory,
    /// launch plan, monitor. On any failure everything made is removed.
    public func create(subsystem sub: Subsystem, options opts: CreateOptions) throws(RuntimeError) -> ContainerStatus {
        try create(subsystem: sub, options: opts, early: nil)
    }

    func create(subsystem sub: Subsystem, options opts: CreateOptions,
                early: MonitorSpawner.Early?) throws(RuntimeError) -> ContainerStatus {
        let id = sub.name
        try Self.validate(id: id)
        guard let container = sub.start(binary: Binary.initProcess)?.container else {
            throw .invalidArgument("no nest-init start node", field: "subsystem")
        }
        Trace.mark("check")
        try Preflight.check(container)
        let libexec = try Libexec.dir(options.libexecDir)
        try store.ensureRoot()
        let dir = store.dir(id)
        // 0711 (as runc's): the container init opens the exec FIFO by
        // path, maybe as a mapped uid of a user namespace.
        if mkdir(dir, 0o711) != 0 {
            if errno == EEXIST { throw .exists(id) }
            throw .system("\(dir): \(Sys.errorText())")
        }
        CrashPoint.hit("create:state-dir")
        var made: CgroupPaths?
        var madeDirs: [String] = []
        do {
            guard let cgroups else { throw RuntimeError.system("no cgroup hierarchy is mounted") }
            // Before any cgroup or process exists: what a `delete -f` or a
            // restarted daemon needs to undo this create if its maker dies.
            let cgroupsPath = container.resources.cgroupsPath
            let planned: (paths: CgroupPaths, toMake: [String])
            do { planned = try cgroups.planCreate(path: cgroupsPath) } catch {
                throw RuntimeError.invalidArgument("\(error)", field: "linux.cgroupsPath")
            }
            try store.saveCreating(CreatingRecord(
                id: id, ociVersion: sub.ociVersion, bundle: sub.bundle, created: Sys.now(),
                cgroups: planned.paths, cgroupsMade: planned.toMake,
                monitorPid: early?.pid ?? 0, monitorStartTime: early.flatMap { Sys.startTime($0.pid) } ?? 0))
            CrashPoint.hit("create:creating")
            let rom = sub.starts.first { $0.rom != nil }?.rom ?? ROMConfig()
            if rom.modules.contains(where: { $0.path != nil }) {
                mkdir(dir + "/rom", 0o755)
                for m in rom.modules where m.path != nil {
                    try Sys.writeAtomic(dir + "/rom/" + m.name, Array(m.content.utf8), mode: 0o644)
                }
            }
            Trace.mark("state dir")
            let makeCgroups = { () throws(RuntimeError) in
                do {
                    (made, madeDirs) = try cgroups.createOwned(path: cgroupsPath, limits: container.resources.limits)
                    CrashPoint.hit("create:cgroups")
                    try DeviceRules.apply(container.resources.devices, to: made!)
                } catch let error as CgroupError {
                    let field = error.message == CgroupManager.busyMessage ? "linux.cgroupsPath" : "linux.resources"
                    throw RuntimeError.invalidArgument(error.description, field: field)
                } catch {
                    throw RuntimeError.system("\(error)")
                }
                Trace.mark("cgroups")
            }
            // An early monitor is let go before the cgroups exist: it
            // clones the init, which makes its namespaces, while they are
            // made here; it joins them once told they are (the second byte
            // of its go pipe).
            if early == nil { try makeCgroups() }
            let planPaths = planned.paths
            let fifo: String? = opts.startAtOnce ? nil : store.fifo(id)
            // Writable by anyone (as runc's): the init opens it after
            // switching to the process's user, which may not be root or may
            // be a mapped uid; others cannot list the state directory.
            if let fifo, nest_mkfifo(fifo, 0o622) != 0 || chmod(fifo, 0o622) != 0 {
                throw RuntimeError.system("\(fifo): \(Sys.errorText())")
            }
            let ctx = PlanContext(stateDir: dir, execFifo: fifo, syncFD: MonitorSpawner.syncFD, stdio: opts.stdio,
                                  pidFile: opts.pidFile, consoleSocket: opts.consoleSocket, cgroupJoinDirs: planPaths.joinDirs,
                                  oomFile: planPaths.oomFile, cgroupIsV2: cgroupVersionName == "v2",
                                  cgroupLayout: cgroupVersionName)
            let plan = try PlanWriter.plan(sub, ctx)
            try Sys.writeAtomic(store.planFile(id), Array(plan.utf8))
            CrashPoint.hit("create:plan")
            Trace.mark("plan")
            // The subsystem is written while the monitor builds the container.
            let subsystemFile = store.subsystemFile(id)
            let writeSubsystem = { () throws(RuntimeError) in
                try Sys.writeAtomic(subsystemFile, Array(sub.xml().utf8), mode: 0o644)
                Trace.mark("subsystem written")
            }
            let started = if let early {
                try MonitorSpawner.spawn(early: early) { () throws(RuntimeError) in
                    do throws(RuntimeError) { try makeCgroups() } catch {
                        early.cgroupsFailed()
                        throw error
                    }
                    early.cgroupsMade()
                    try writeSubsystem()
                }
            } else if let forked = zygote?.spawn(plan: store.planFile(id), stdio: opts.stdio) {
                try MonitorSpawner.finish(pid: forked.pid, readEnd: forked.readEnd, meanwhile: writeSubsystem)
            } else {
                try MonitorSpawner.spawn(monitor: libexec + "/nest-monitor", plan: store.planFile(id),
                                         stdio: opts.stdio, meanwhile: writeSubsystem)
            }
            CrashPoint.hit("create:monitor")
            Trace.mark("monitor")
            let record = StateRecord(
                id: id, ociVersion: sub.ociVersion, bundle: sub.bundle,
                annotations: sub.annotations.isEmpty ? nil : Dictionary(sub.annotations.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }),
                created: Sys.now(), pid: started.initPid, pidStartTime: Sys.startTime(started.initPid) ?? 0,
                monitorPid: started.monitorPid, cgroups: made!, cgroupsMade: madeDirs,
                poststart: container.hooks.filter { $0.kind == "poststart" }.map(\.hook),
                poststop: container.hooks.filter { $0.kind == "poststop" }.map(\.hook))
            do {
                try store.save(record)
            } catch {
                Glibc.kill(started.initPid, SIGKILL)
                var st: Int32 = 0
                waitpid(started.monitorPid, &st, 0)
                throw error
            }
            CrashPoint.hit("create:state")
            // state.json now says what the container is; a crash before this
            // unlink leaves both, and state.json wins.
            unlink(store.creatingFile(id))
            records.withLock { $0[id] = record }
            Trace.mark("state")
            return (try? status(record)) ?? ContainerStatus(
                ociVersion: record.ociVersion, id: id, status: opts.startAtOnce ? "running" : "created", pid: record.pid,
                bundle: record.bundle, annotations: record.annotations, created: record.created, monitorPid: record.monitorPid)
        } catch {
            if let made, let cgroups { try? cgroups.destroy(cgroups.owned(made, made: madeDirs), killRemaining: true) }
            Sys.removeTree(dir)
            throw error as? RuntimeError ?? .system("\(error)")
        }
    }

    func record(_ id: String) throws(RuntimeError) -> StateRecord {
        if let cached = records.withLock({ $0[id] }) { return cached }
        let loaded = try store.load(id)
        records.withLock { $0[id] = loaded }
        return loaded
    }

    /// The state of a container; "creating" for one being made, or whose
    /// maker died half-way (`delete -f` removes it). An error reading the
    /// state is thrown, never taken for "stopped" or "not found".
    public func state(id: String) throws(RuntimeError) -> ContainerStatus {
        try Self.validate(id: id)
        do {
            return try status(try record(id))
        } catch {
            guard case .invalidState(_, "creating", _) = error else { throw error }
            return try creatingStatus(id)
        }
    }

    func creatingStatus(_ id: String) throws(RuntimeError) -> ContainerStatus {
        let c = try store.loadCreating(id)
        return ContainerStatus(ociVersion: c?.ociVersion ?? "", id: id, status: "creating", pid: 0,
                               bundle: c?.bundle ?? "", annotations: nil, created: c?.created ?? "",
                               monitorPid: c.map { $0.monitorPid > 0 ? $0.monitorPid : nil } ?? nil)
    }

    /// Every container, those being made (or half-made) included. A
    /// container whose state cannot be read is left out; `state` says why.
    public func list() -> [ContainerStatus] {
        ((try? store.ids()) ?? []).compactMap { try? state(id: $0) }
    }

    /// Every container id, or why the state root cannot be read.
    public func ids() throws(RuntimeError) -> [String] {
        try store.ids()
    }

    public func subsystemXML(id: String) throws(RuntimeError) -> String {
        try Self.validate(id: id)
        guard let bytes = Sys.readFile(store.subsystemFile(id)) else { throw .notFound(id) }
        return String(decoding: bytes, as: UTF8.self)
    }

    func status(_ r: StateRecord) throws(RuntimeError) -> ContainerStatus {
        var s = ContainerStatus(ociVersion: r.ociVersion, id: r.id, status: "stopped", pid: 0, bundle: r.bundle,
                                annotations: r.annotations, created: r.created, monitorPid: r.monitorPid)
        if try store.exit(r.id) == nil {
            if try Sys.isRunning(r.pid, startTime: r.pidStartTime) {
                s.pid = r.pid
                s.status = Sys.exists(store.fifo(r.id)) ? "created" : "running"
                return s
            }
            // The init is gone; the monitor writes the status file next
            // (once the log is drained). Give it a moment, so that
            // "stopped" comes with its exit code.
            var waited = 0
            while try store.exit(r.id) == nil && Sys.isAlive(r.monitorPid) && waited < 200 {
                usleep(5_000)
                waited += 1
            }
        }
        // No status file and no monitor: the monitor was killed. Its init's
        // exit code is unknown here (a daemon holding a pidfd of the init
        // writes the status in the monitor's stead): exitCode stays nil.
        if let exit = try store.exit(r.id) {
            s.exitCode = exit.exitCode
            s.oomKilled = exit.oomKilled
            s.finishedAt = exit.finishedAt
        }
        return s
    }
}
