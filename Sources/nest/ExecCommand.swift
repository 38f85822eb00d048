import ArgumentParser
import Glibc
import NestOCI
import NestRuntime

/// runc's `exec` options, from ArgumentParser or the fast path.
struct ExecOptions {
    var processFile: String?
    var detach = false
    var pidFile: String?
    var tty = false
    var consoleSocket: String?
    var cwd: String?
    var env: [String] = []
    var user: String?
    var additionalGids: [String] = []
    var caps: [String] = []
    var noNewPrivs = false
    var preserveFds = 0
    var apparmor: String?
    var processLabel: String?
    /// The command and its arguments (without --process).
    var args: [String] = []
}

struct Exec: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a process in a created or running container; wait for it and exit with its status unless --detach.",
        discussion: "Everything after the container id is the command: `nest exec ID ls -l`.")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.customShort("p"), .long], help: "An OCI process JSON file, instead of a command and the options that change the container's process.")
    var process: String?
    @Flag(name: [.short, .long], help: "Return once the process has started.")
    var detach = false
    @Option(help: "Write the process's pid to FILE.")
    var pidFile: String?
    @Flag(name: [.short, .long], help: "Give the process a terminal; its pty master is sent to --console-socket.")
    var tty = false
    @Option(help: "Unix socket to send the pty master to (with --tty).")
    var consoleSocket: String?
    @Option(help: "The working directory in the container (absolute).")
    var cwd: String?
    @Option(name: [.short, .long], help: "Set an environment variable (NAME=value); repeatable.")
    var env: [String] = []
    @Option(name: [.short, .long], help: "USER[:GROUP] to run as: names (from the container's /etc/passwd and /etc/group) or numbers.")
    var user: String?
    @Option(name: [.customShort("g"), .long], help: "An additional group id; repeatable.")
    var additionalGids: [String] = []
    @Option(name: [.customShort("c"), .long], help: "Add a capability to the bounding, effective and permitted sets; repeatable.")
    var cap: [String] = []
    @Flag(help: "Set no_new_privs for the process.")
    var noNewPrivs = false
    @Option(help: "Pass the fds 3...3+N-1 on to the process.")
    var preserveFds: Int = 0
    @Option(help: "AppArmor profile of the process (refused where AppArmor is not enabled).")
    var apparmor: String?
    @Option(help: "SELinux label of the process (refused where SELinux is not enabled).")
    var processLabel: String?
    @Argument(help: "The container id.")
    var id: String
    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments.")
    var command: [String] = []

    func run() throws {
        let options = ExecOptions(
            processFile: process, detach: detach, pidFile: pidFile, tty: tty, consoleSocket: consoleSocket, cwd: cwd,
            env: env, user: user, additionalGids: additionalGids, caps: cap, noNewPrivs: noNewPrivs,
            preserveFds: preserveFds, apparmor: apparmor, processLabel: processLabel, args: command)
        let code = try Operations.exec(root: global.root, id: id, options: options)
        if code != 0 { throw ExitCode(code) }
    }
}

extension Operations {
    /// Starts the process and returns the status `nest exec` exits with:
    /// 0 with --detach, else the process's (128+N when killed by signal N).
    static func exec(root: String, id: String, options o: ExecOptions) throws(RuntimeError) -> Int32 {
        let runtime = runtime(root)
        let process = try execProcess(runtime, id: id, o)
        let request = ExecRequest(process: process, consoleSocket: o.consoleSocket.map(absolute),
                                  pidFile: o.pidFile.map(absolute), preserveFds: o.preserveFds)
        let pid = try runtime.exec(id: id, request)
        if o.detach { return 0 }
        forwardTo = pid
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH] {
            signal(sig) { n in if forwardTo > 0 { Glibc.kill(forwardTo, n) } }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw .system("wait for \(pid): \(String(cString: strerror(errno)))") }
        }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// The process to start: the --process file, or the container's own
    /// process with the command and the options applied (as runc has it).
    static func execProcess(_ runtime: Runtime, id: String, _ o: ExecOptions) throws(RuntimeError) -> Spec.Process {
        var process = try execProcessWithoutLabels(runtime, id: id, o)
        let profile = o.apparmor.flatMap { $0.isEmpty ? nil : $0 }, label = o.processLabel.flatMap { $0.isEmpty ? nil : $0 }
        if profile != nil || label != nil {
            let host = LSMHost.current
            if profile != nil && !host.apparmor { throw .invalidArgument(LSMHost.noAppArmor, field: "--apparmor") }
            if label != nil && !host.selinux { throw .invalidArgument(LSMHost.noSELinux, field: "--process-label") }
        }
        if let profile { process.apparmorProfile = profile }
        if let label { process.selinuxLabel = label }
        return process
    }

    static func execProcessWithoutLabels(_ runtime: Runtime, id: String, _ o: ExecOptions) throws(RuntimeError) -> Spec.Process {
        if let file = o.processFile {
            if !o.args.isEmpty { throw .invalidArgument("takes a --process file or a command, not both", field: "--process") }
            let given: [(String, Bool)] = [
                ("--cwd", o.cwd != nil), ("--env", !o.env.isEmpty), ("--user", o.user != nil),
                ("--additional-gids", !o.additionalGids.isEmpty), ("--cap", !o.caps.isEmpty), ("--no-new-privs", o.noNewPrivs),
            ]
            if let flag = given.first(where: { $0.1 })?.0 {
                throw .invalidArgument("the --process file says it; the two cannot be combined", field: flag)
            }
            var process: Spec.Process
            do { process = try Spec.Process.decode(try BundleLoader.readFile(absolute(file))) } catch {
                throw error.path.isEmpty ? .invalidArgument(error.message, field: "--process") : .invalidSpec([error])
            }
            if o.tty { process.terminal = true }
            return process
        }
        guard !o.args.isEmpty else { throw .invalidArgument("a command to run, or --process FILE", field: "exec") }
        var process = try runtime.process(id: id)
        process.args = o.args
        process.terminal = o.tty
        if !o.tty { process.consoleSize = nil }
        if let cwd = o.cwd {
            guard cwd.hasPrefix("/") else { throw .invalidArgument("must be an absolute path, got \"\(cwd)\"", field: "--cwd") }
            process.cwd = cwd
        }
        // A name given again replaces the container's value (getenv finds the first).
        for entry in o.env {
            guard let eq = entry.firstIndex(of: "="), eq != entry.startIndex else {
                throw .invalidArgument("must have the form NAME=value, got \"\(entry)\"", field: "--env")
            }
            let name = entry[...eq]
            process.env = (process.env ?? []).filter { !$0.hasPrefix(name) } + [entry]
        }
        if let user = o.user {
            try runtime.user(user, id: id, field: "--user")
                .apply(to: &process, keepHome: o.env.contains { $0.hasPrefix("HOME=") })
        }
        for g in o.additionalGids {
            guard let gid = UInt32(g), gid != UInt32.max else {
                throw .invalidArgument("must be a group id, got \"\(g)\"", field: "--additional-gids")
            }
            process.user.additionalGids = (process.user.additionalGids ?? []) + [gid]
        }
        if !o.caps.isEmpty {
            var caps = process.capabilities ?? Spec.Process.Capabilities()
            for cap in o.caps {
                guard OCINames.capabilityNumber(cap) != nil else {
                    throw .invalidArgument("unknown capability \"\(cap)\"", field: "--cap")
                }
                caps.bounding = (caps.bounding ?? []) + [cap]
                caps.effective = (caps.effective ?? []) + [cap]
                caps.permitted = (caps.permitted ?? []) + [cap]
                // The kernel raises an ambient capability only when it is
                // inheritable too; --cap sets no inheritable one.
                if caps.inheritable != nil { caps.ambient = (caps.ambient ?? []) + [cap] }
            }
            process.capabilities = caps
        }
        if o.noNewPrivs { process.noNewPrivileges = true }
        return process
    }
}
