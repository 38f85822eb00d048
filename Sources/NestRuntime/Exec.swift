import CNestShims
import Glibc
import NestOCI
import NestSubsystem

/// A process to start in a running container (runc's `exec`).
public struct ExecRequest: Sendable {
    /// The process: args, env, cwd, user, capabilities, terminal, rlimits.
    /// Capabilities and rlimits it leaves out are those of the container's
    /// own process, as runc has them; the container's seccomp filter
    /// applies to it as to every process of the container.
    public var process: Spec.Process
    /// The fds the process gets as 0, 1, 2 (unless it has a terminal).
    public var stdio: (Int32, Int32, Int32)
    /// With `process.terminal`: the pty's master is sent there, as at create.
    public var consoleSocket: String?
    /// Written with the process's pid once it has exec'd.
    public var pidFile: String?
    /// The caller's fds 3...3+N-1 go to the process as they are.
    public var preserveFds: Int

    public init(process: Spec.Process, stdio: (Int32, Int32, Int32) = (0, 1, 2), consoleSocket: String? = nil,
                pidFile: String? = nil, preserveFds: Int = 0) {
        self.process = process
        self.stdio = stdio
        self.consoleSocket = consoleSocket
        self.pidFile = pidFile
        self.preserveFds = preserveFds
    }
}

extension Runtime {
    /// Starts `request.process` in the namespaces and cgroups of container
    /// `id` (created or running) and returns its pid once it has exec'd.
    /// The process is a child of the calling process, which reaps it; a
    /// process that could not be started (a missing program, a bad cwd) is
    /// an error naming what failed, and leaves nothing behind.
    public func exec(id: String, _ request: ExecRequest) throws(RuntimeError) -> Int32 {
        try Self.validate(id: id)
        try Self.checkPreserved(request.preserveFds, zygote: false)
        let problems = request.process.validate()
        if !problems.isEmpty { throw .invalidSpec(problems) }
        if request.process.terminal == true, request.consoleSocket == nil {
            throw .invalidArgument("a terminal needs --console-socket", field: "process.terminal")
        }
        let record = try record(id)
        let state = try status(record).status
        guard state == "created" || state == "running" else {
            throw .invalidState(id: id, state: state, wanted: "created or running")
        }
        let container = try containerConfig(id)
        var process = request.process
        if process.capabilities == nil { process.capabilities = container.process?.capabilities }
        if (process.rlimits ?? []).isEmpty { process.rlimits = container.process?.rlimits }
        // The container's labels too: an exec'd process is as confined as its init's program.
        if process.apparmorProfile == nil { process.apparmorProfile = container.process?.apparmorProfile }
        if process.selinuxLabel == nil { process.selinuxLabel = container.process?.selinuxLabel }
        var checked = container
        checked.process = process
        try Preflight.check(checked)
        for w in HostCapabilities.fit(&process, namespaces: container.namespaces) { warning(w) }

        let libexec = try Libexec.dir(options.libexecDir)
        let syncFD = MonitorSpawner.syncFD(preserving: request.preserveFds)
        let plan = PlanWriter.execPlan(ExecPlanContext(
            id: id, stateDir: store.dir(id), initPid: record.pid, initStartTime: record.pidStartTime, syncFD: syncFD,
            preserveFds: request.preserveFds, consoleSocket: request.consoleSocket, cgroupJoinDirs: record.cgroups.joinDirs),
            process: process, seccomp: container.seccomp)
        // Beside the container's plan, for as long as the monitor needs it;
        // execs at once each have their own.
        let planFile = store.dir(id) + "/exec-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).plan"
        try Sys.writeAtomic(planFile, Array(plan.utf8), durable: false)
        defer { unlink(planFile) }

        var fds: [Int32] = [-1, -1]
        guard MonitorSpawner.channel(&fds) else { throw .system("sync socket: \(Sys.errorText())") }
        defer { close(fds[0]) }
        let monitor = try MonitorSpawner.spawnProcess(
            monitor: libexec + "/nest-monitor", args: ["-x", planFile], stdio: .inherit, extra: [fds[1]],
            preserve: request.preserveFds, stdioFDs: request.stdio)
        let report = MonitorSpawner.readReport(fds[0], toEOF: true)
        var status: Int32 = 0
        while waitpid(monitor, &status, 0) < 0 && errno == EINTR {}

        var child: Int32?
        for line in report.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, fields[0] == "created", let pid = Int32(fields[1]) {
                if let pidFile = request.pidFile {
                    do throws(RuntimeError) { try Sys.writeAtomic(pidFile, Array(String(pid).utf8), mode: 0o644, durable: false) } catch {
                        Glibc.kill(pid, SIGKILL)
                        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                        throw .invalidArgument("\(error)", field: "--pid-file")
                    }
                }
                return pid
            }
            if fields.count == 2, fields[0] == "pid", let pid = Int32(fields[1]) { child = pid }
        }
        // The monitor killed the process it named: it is ours to reap.
        if let child { while waitpid(child, &status, 0) < 0 && errno == EINTR {} }
        let last = report.split(separator: "\n").last.map(String.init) ?? ""
        if let error = KernelError(record: last) { throw .kernel(error) }
        if !last.isEmpty { throw .system("nest-monitor: \(last)") }
        throw .system("nest-monitor exited without a report (status \(status))")
    }

    /// The process of container `id` as it was created: what `nest exec`
    /// changes (args, cwd, env, user...) to make the process it starts.
    public func process(id: String) throws(RuntimeError) -> Spec.Process {
        try Self.validate(id: id)
        _ = try record(id)
        guard let process = try containerConfig(id).process else {
            throw .invalidArgument("container \(id) has no process", field: "process")
        }
        return process
    }

    /// The container's config, from the subsystem file written at create
    /// (the subsystem's, for a process `SUB/NAME` of one of several).
    func containerConfig(_ id: String) throws(RuntimeError) -> ContainerConfig {
        let parts = id.split(separator: "/", maxSplits: 1)
        let file = store.subsystemFile(String(parts[0]))
        guard let bytes = Sys.readFile(file) else { throw .system("\(file): \(Sys.errorText())") }
        let sub: Subsystem
        do { sub = try Subsystem.read(xml: String(decoding: bytes, as: UTF8.self)) } catch {
            throw .system("\(file): \(error)")
        }
        let name: String
        if parts.count == 2 {
            name = String(parts[1])
        } else {
            guard sub.isSingleProcess, let only = sub.processes.first else {
                throw .invalidArgument("container \(id) holds what the processes of subsystem \(id) share and runs no program; exec into one of them (\(id)/NAME)", field: "id")
            }
            name = only.name
        }
        guard let container = sub.start(name)?.container else {
            throw .system("\(file): no process \(name)")
        }
        return container
    }

    /// `--preserve-fds N`: the caller's fds 3...3+N-1, each open (a closed
    /// one would be taken by a pipe of ours and passed on). A daemon's
    /// monitors, forked by its zygote, get none.
    static func checkPreserved(_ n: Int, zygote: Bool) throws(RuntimeError) {
        guard n != 0 else { return }
        guard n > 0, n <= 1_048_573 else { throw .invalidArgument("\(n) is not a number of fds", field: "--preserve-fds") }
        if zygote { throw .invalidArgument("a daemon passes no fds of its own", field: "--preserve-fds") }
        for fd in Int32(3)..<Int32(3 + n) where fcntl(fd, F_GETFD) < 0 {
            throw .invalidArgument("fd \(fd) is not open", field: "--preserve-fds")
        }
    }
}
