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
    /// Records this process created or read: a record changes only by
    /// `update` (which replaces it here too), and decoding it again costs
    /// more than the rest of `start`.
    let records = Mutex<[String: StateRecord]>([:])
    /// Held by `update`, which reads a record and writes it back.
    let updates = Mutex(())
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

    /// A container id: a subsystem's name, or `SUBSYSTEM/PROCESS` for a
    /// process of a subsystem of several.
    static func validate(id: String) throws(RuntimeError) {
        func valid(_ part: Substring) -> Bool {
            !part.isEmpty && part.count <= 1024 && part.first != "." && part.allSatisfy { ch in
                ch.isASCII && (ch.isLetter || ch.isNumber || ch == "_" || ch == "-" || ch == ".")
            }
        }
        let parts = id.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        if !parts.allSatisfy(valid) || (parts.count == 2 && parts[1].contains("/")) {
            throw .invalidArgument("container id '\(id)' must be 1-1024 characters of A-Z a-z 0-9 _ - . not starting with a dot (SUBSYSTEM/PROCESS for a process of a subsystem)", field: "id")
        }
    }

    /// A new container's id: a subsystem's name, never `SUB/NAME` (the
    /// processes of a subsystem are named by its config).
    static func validateNew(id: String) throws(RuntimeError) {
        try validate(id: id)
        if id.contains("/") {
            throw .invalidArgument("container id '\(id)' must not contain '/' (SUBSYSTEM/PROCESS names a process of a subsystem)", field: "id")
        }
    }

    /// Loads, validates and translates the bundle; nothing is made on the
    /// host. The subsystem is checked by `create(subsystem:)`, once.
    public func translate(id: String, options: CreateOptions) throws(RuntimeError) -> Subsystem {
        try Self.validateNew(id: id)
        let bundle: NestOCI.Bundle
        do {
            bundle = try BundleLoader.load(options.bundle)
        } catch {
            throw .invalidSpec(error.errors)
        }
        Trace.mark("load bundle")
        let sub = Translator.translate(bundle.spec, options: TranslateOptions(
            id: id, bundlePath: bundle.path, rootfsPath: bundle.rootfsPath, hosts: options.hosts, resolvConf: options.resolvConf,
            logFile: options.stdio.logFile, overlay: options.overlay))
        Trace.mark("translate")
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
        try Self.validateNew(id: id)
        try Self.checkPreserved(options.preserveFds, zygote: zygote != nil)
        // The monitor is started first: its exec (about 1 ms) overlaps the
        // translation, the cgroups and the plan.
        // (Not with a stdin of the caller's: the zygote or a plain spawn
        // hands it over.)
        let early = zygote != nil || options.stdin != nil ? nil : (try? Libexec.dir(self.options.libexecDir)).flatMap { libexec in
            try? MonitorSpawner.startEarly(monitor: libexec + "/nest-monitor", plan: store.planFile(id), stdio: options.stdio,
                                           preserve: options.preserveFds)
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

    /// Creates the containers a subsystem describes. A subsystem of one
    /// process is one container named after it; one of several processes
    /// (or with shared namespaces or a quota of its own) is a holder of the
    /// shared part named after the subsystem and a container `SUB/NAME`
    /// per process. The config is checked first and written to the state
    /// directory before anything is launched. On any failure everything
    /// made is removed.
    public func create(subsystem sub: Subsystem, options opts: CreateOptions) throws(RuntimeError) -> ContainerStatus {
        try create(subsystem: sub, options: opts, early: nil)
    }

    func create(subsystem sub: Subsystem, options opts: CreateOptions,
                early: MonitorSpawner.Early?) throws(RuntimeError) -> ContainerStatus {
        try Self.validateNew(id: sub.name)
        try Self.checkPreserved(opts.preserveFds, zygote: zygote != nil)
        let problems = sub.check()
        if !problems.isEmpty { throw .invalidSpec(problems) }
        Trace.mark("check")
        if sub.isSingleProcess, let only = sub.processes.first {
            let unit = try processUnit(sub, only.name, id: sub.name, opts: opts, romDir: store.dir(sub.name) + "/rom", holder: nil)
            // A daemon's zygote forks the monitor now: the cgroups are then
            // made while it clones the init (as for an early spawned one).
            let early = early ?? (opts.stdin == nil ? zygote?.spawnEarly(plan: store.planFile(unit.id), stdio: unit.stdio) : nil)
            return try createUnit(unit, opts: opts, early: early)
        }
        early?.abandon()
        if opts.preserveFds > 0 {
            throw .invalidArgument("a subsystem of several processes takes no preserved fds", field: "--preserve-fds")
        }
        return try createSubsystem(sub, opts: opts)
    }

    /// What one container of a subsystem is made of: its cgroup, the
    /// files its state dir gets and the plan its monitor runs.
    struct Unit {
        var id: String
        var sub: Subsystem
        var cgroupsPath: String
        var limits: CgroupLimits
        var devices: [Spec.Linux.Resources.DeviceRule]?
        /// A leaf below `cgroupsPath` the init joins (the holder's), made
        /// and removed with it.
        var joinLeaf: String?
        /// ROM files written into the unit's state dir before launch.
        var romFiles: [ROMModule]
        var writesSubsystem: Bool
        var stdio: StdioMode
        var startAtOnce: Bool
        var poststart: [Spec.Hook]
        var poststop: [Spec.Hook]
        var plan: @Sendable (PlanContext) throws(RuntimeError) -> String
        /// The rootfs, when the process has no mount namespace of its own
        /// and its mounts are made in the caller's (`HostRootfs`).
        var hostRootfs: String? = nil
        /// The rootfs and the mount namespace it is built in, when the
        /// process joins one by path (`JoinedRootfs`).
        var joinedRootfs: (rootfs: String, nsPath: String, field: String)? = nil
    }

    func processUnit(_ sub: Subsystem, _ name: String, id: String, opts: CreateOptions, romDir: String,
                     holder: Int32?) throws(RuntimeError) -> Unit {
        var layout: ProcessLayout
        do { layout = try sub.layout(of: name) } catch { throw .invalidSpec([error]) }
        try PlanWriter.checkOverlay(layout)
        try Preflight.check(layout.container, vfs: VFSConfig(
            root: layout.root, readonly: layout.readonly, propagation: layout.propagation,
            mountLabel: sub.start(layout.rootServer)?.vfs?.mountLabel, mounts: layout.mounts))
        if let holder { layout.join(shared: sub.shared, holder: holder) }
        if var process = layout.container.process {
            for w in HostCapabilities.fit(&process, namespaces: layout.container.namespaces) { warning(w) }
            layout.container.process = process
        }
        let stdio: StdioMode
        if let log = layout.log {
            guard let file = log.file else {
                throw .invalidArgument("log server \(layout.logServer ?? "") has no file to write to", field: "subsystem/start[\(layout.logServer ?? "")]/config/log@file")
            }
            stdio = .log(path: file)
        } else {
            stdio = opts.stdio == .inherit ? .inherit : .null
        }
        let c = layout.container
        let romModules = holder == nil ? (layout.rom?.modules ?? []).filter { $0.path != nil } : []
        let fixed = layout
        let hostRootfs = c.namespaces.contains { $0.type == "mount" } ? nil : layout.root
        let joinedRootfs = c.namespaces.firstIndex { $0.type == "mount" && $0.path != nil }.map { i in
            (rootfs: layout.root, nsPath: c.namespaces[i].path ?? "", field: "linux.namespaces[\(i)].path")
        }
        return Unit(id: id, sub: sub, cgroupsPath: c.resources.cgroupsPath, limits: c.resources.limits,
                    devices: c.resources.devices, joinLeaf: nil, romFiles: romModules, writesSubsystem: holder == nil,
                    stdio: stdio, startAtOnce: opts.startAtOnce,
                    poststart: c.hooks.filter { $0.kind == "poststart" }.map(\.hook),
                    poststop: c.hooks.filter { $0.kind == "poststop" }.map(\.hook),
                    plan: { ctx throws(RuntimeError) in
                        var ctx = ctx
                        ctx.romDir = romDir
                        ctx.containerID = id
                        return try PlanWriter.plan(sub, fixed, ctx)
                    }, hostRootfs: hostRootfs, joinedRootfs: joinedRootfs)
    }


    func createUnit(_ unit: Unit, opts: CreateOptions, early: MonitorSpawner.Early?) throws(RuntimeError) -> ContainerStatus {
        let id = unit.id
        let sub = unit.sub
        if opts.stdin != nil, unit.stdio.logFile == nil {
            throw .invalidArgument("a stdin of the caller's needs the process's output in a log", field: "stdin")
        }
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
            let cgroupsPath = unit.cgroupsPath
            // Rootless without a delegated cgroup: none, as runc does.
            let rootless = options.rootless
            let noCgroups = rootless && !cgroups.mayCreate(path: cgroupsPath)
            if noCgroups {
                Self.warn("\(id): cgroup \(cgroupsPath) cannot be made (rootless, no cgroup delegated): the container runs without cgroups and linux.resources is not applied")
            }
            if !noCgroups, let first = Preflight.cgroupHost(unit.limits, cgroups, base: "linux.resources").first {
                throw RuntimeError.invalidArgument(first.message, field: first.path)
            }
            let planned: (paths: CgroupPaths, toMake: [String])
            do {
                planned = noCgroups ? (CgroupPaths(dirs: [], joinDirs: []), []) : try cgroups.planCreate(path: cgroupsPath)
            } catch {
                throw RuntimeError.invalidArgument("\(error)", field: "linux.cgroupsPath")
            }
            try store.saveCreating(CreatingRecord(
                id: id, ociVersion: sub.ociVersion, bundle: sub.bundle, created: Sys.now(),
                cgroups: planned.paths, cgroupsMade: planned.toMake,
                monitorPid: early?.pid ?? 0, monitorStartTime: early.flatMap { Sys.startTime($0.pid) } ?? 0))
            CrashPoint.hit("create:creating")
            if let rootfs = unit.hostRootfs { try HostRootfs.record(rootfs: rootfs, stateDir: dir) }
            if let j = unit.joinedRootfs {
                try JoinedRootfs.record(nsPath: j.nsPath, field: j.field, rootfs: j.rootfs, stateDir: dir,
                                        libexecDir: options.libexecDir)
            }
            // The config is the input: on disk before anything runs.
            if unit.writesSubsystem {
                try Sys.writeAtomic(store.subsystemFile(id), Array(sub.xml().utf8), mode: 0o644)
                Trace.mark("subsystem written")
            }
            if !unit.romFiles.isEmpty {
                mkdir(dir + "/rom", 0o755)
                for m in unit.romFiles {
                    if let slash = m.name.lastIndex(of: "/") { mkdir(dir + "/rom/" + m.name[..<slash], 0o755) }
                    try Sys.writeAtomic(dir + "/rom/" + m.name, Array(m.content.utf8), mode: 0o644)
                }
            }
            Trace.mark("state dir")
            var joinPaths = planned.paths
            let makeCgroups = { () throws(RuntimeError) in
                if noCgroups {
                    made = planned.paths
                    return
                }
                do {
                    (made, madeDirs) = try cgroups.createOwned(path: cgroupsPath, limits: unit.limits)
                    CrashPoint.hit("create:cgroups")
                    if let leaf = unit.joinLeaf {
                        joinPaths = try cgroups.create(path: cgroupsPath + "/" + leaf, limits: CgroupLimits())
                    }
                } catch let error as CgroupError {
                    let field = error.message == CgroupManager.busyMessage ? "linux.cgroupsPath"
                        : Self.resourceField(of: error, unit.limits.resources ?? Spec.Linux.Resources())
                    throw RuntimeError.invalidArgument(error.description, field: field)
                } catch {
                    throw RuntimeError.system("\(error)")
                }
                if let devices = unit.devices,
                   let warning = try DeviceRules.apply(devices, to: made!, in: cgroups, unprivileged: rootless) {
                    Self.warn("\(id): \(warning)")
                }
                Trace.mark("cgroups")
            }
            // An early monitor is let go before the cgroups exist: it
            // clones the init, which makes its namespaces, while they are
            // made here; it joins them once told they are (the second byte
            // on its go channel).
            if early == nil { try makeCgroups() }
            let planPaths = unit.joinLeaf == nil ? planned.paths : joinPaths
            let fifo: String? = unit.startAtOnce ? nil : store.fifo(id)
            // Writable by anyone (as runc's): the init opens it after
            // switching to the process's user, which may not be root or may
            // be a mapped uid; others cannot list the state directory.
            if let fifo, nest_mkfifo(fifo, 0o622) != 0 || chmod(fifo, 0o622) != 0 {
                throw RuntimeError.system("\(fifo): \(Sys.errorText())")
            }
            var ctx = PlanContext(stateDir: dir, execFifo: fifo, syncFD: MonitorSpawner.syncFD(preserving: opts.preserveFds),
                                  stdio: unit.stdio, pidFile: opts.pidFile, consoleSocket: opts.consoleSocket,
                                  cgroupJoinDirs: planPaths.joinDirs, oomFile: planPaths.oomFile, cgroupLayout: cgroupVersionName)
            // A process whose routes give it a log keeps its monitor: the
            // monitor is the log's copier.
            if case .log = unit.stdio {} else { ctx.handoff = opts.handoff }
            ctx.preserveFds = opts.preserveFds
            let plan = try unit.plan(ctx)
            try Sys.writeAtomic(store.planFile(id), Array(plan.utf8))
            CrashPoint.hit("create:plan")
            Trace.mark("plan")
            let started = if let early {
                try MonitorSpawner.spawn(early: early) { () throws(RuntimeError) in
                    do throws(RuntimeError) { try makeCgroups() } catch {
                        early.cgroupsFailed()
                        throw error
                    }
                    early.cgroupsMade()
                }
            } else if let forked = zygote?.spawn(plan: store.planFile(id), stdio: unit.stdio, stdin: opts.stdin) {
                try MonitorSpawner.finish(pid: forked.pid, readEnd: forked.readEnd, meanwhile: {})
            } else {
                try MonitorSpawner.spawn(monitor: libexec + "/nest-monitor", plan: store.planFile(id),
                                         stdio: unit.stdio, preserve: opts.preserveFds, stdin: opts.stdin, meanwhile: {})
            }
            CrashPoint.hit("create:monitor")
            Trace.mark("monitor")
            let record = StateRecord(
                id: id, ociVersion: sub.ociVersion, bundle: sub.bundle,
                annotations: sub.annotations.isEmpty ? nil : Dictionary(sub.annotations.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }),
                created: Sys.now(), pid: started.initPid, pidStartTime: Sys.startTime(started.initPid) ?? 0,
                monitorPid: started.monitorPid, cgroups: made!, cgroupsMade: madeDirs,
                poststart: unit.poststart, poststop: unit.poststop, resources: unit.limits.resources)
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
                ociVersion: record.ociVersion, id: id, status: unit.startAtOnce ? "running" : "created", pid: record.pid,
                bundle: record.bundle, annotations: record.annotations, created: record.created, monitorPid: record.monitorPid,
                resources: record.resources)
        } catch {
            if let made, let cgroups { try? cgroups.destroy(cgroups.owned(made, made: madeDirs), killRemaining: true) }
            _ = try? undoRootfsMounts(id: id, stateDir: dir)
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
                                annotations: r.annotations, created: r.created, monitorPid: r.monitorPid,
                                resources: r.resources)
        if try store.exit(r.id) == nil {
            if try Sys.isRunning(r.pid, startTime: r.pidStartTime) {
                s.pid = r.pid
                if let cgroups, cgroups.isFrozen(r.cgroups) {
                    s.status = "paused"
                } else {
                    s.status = Sys.exists(store.fifo(r.id)) ? "created" : "running"
                }
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
