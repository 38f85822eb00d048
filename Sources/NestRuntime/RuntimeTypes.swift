import NestOCI
import NestSubsystem

public struct RuntimeOptions: Sendable {
    /// The state root: ROOT/ID holds each container's state.
    public var root: String
    /// Where nest-monitor and nest-init are; found when nil.
    public var libexecDir: String?
    /// Fork monitors from one long-lived `nest-monitor -z` instead of
    /// spawning each: for a daemon, which creates many containers.
    public var monitorZygote: Bool
    /// Run without the host's root (another user, or root of a user
    /// namespace, as under podman rootless): cgroups that cannot be made
    /// are skipped with a warning instead of failing the create.
    public var rootless = false
    /// Where the runtime's warnings go (a capability the host cannot give,
    /// dropped); nil: `nest: warning: ...` on stderr.
    public var warn: (@Sendable (String) -> Void)? = nil

    public init(root: String = "/run/nest", libexecDir: String? = nil, monitorZygote: Bool = false) {
        self.root = root
        self.libexecDir = libexecDir
        self.monitorZygote = monitorZygote
    }
}

/// Where the container's stdio goes.
public enum StdioMode: Sendable, Equatable {
    /// The caller's fds 0, 1, 2.
    case inherit
    case null
    /// stdout and stderr as timestamped records in PATH (the log helper).
    case log(path: String)

    /// The file of `.log`, which translation hands to the log server.
    public var logFile: String? {
        if case .log(let path) = self { return path }
        return nil
    }
}

public struct CreateOptions: Sendable {
    public var bundle: String
    public var stdio: StdioMode = .inherit
    public var pidFile: String?
    public var consoleSocket: String?
    /// Extra contents for /etc/hosts and /etc/resolv.conf (the ROM helper).
    public var hosts: String?
    public var resolvConf: String?
    /// Create and start in one: no exec FIFO, the process runs as soon as
    /// the container is set up (`nest run`); poststart hooks are then run
    /// by `runPoststartHooks(id:)`.
    public var startAtOnce = false
    /// The container's init is handed to the caller (`nest create`, `nest
    /// run -d`, as engines run them): it is cloned as the child of the
    /// monitor's spawner, so the caller's child subreaper (conmon, a
    /// containerd shim) inherits it and sees its exit status. The monitor
    /// then stays only until `start` and writes no status file
    /// (docs/architecture.md, "Process model"). Not for a process whose
    /// routes give it a log: the monitor copies the log, so it stays.
    public var handoff = false
    /// The caller's fds 3...3+N-1 go to the container's process as they are
    /// (`--preserve-fds N`); they must be open.
    public var preserveFds = 0
    /// With `.log` stdio: the fd the container's process reads as its
    /// stdin instead of /dev/null (a pipe whose write end the caller keeps:
    /// nestd's `openStdin`). The caller closes its own copy after create.
    public var stdin: Int32?
    /// The rootfs as an overlay of an image's layers, mounted at the
    /// bundle's rootfs (an empty directory): nestd's containers of images.
    public var overlay: VFSOverlay?

    public init(bundle: String, stdio: StdioMode = .inherit, pidFile: String? = nil, consoleSocket: String? = nil) {
        self.bundle = bundle
        self.stdio = stdio
        self.pidFile = pidFile
        self.consoleSocket = consoleSocket
    }
}

/// The OCI state of a container, with what Nest knows besides.
public struct ContainerStatus: Codable, Sendable, Equatable {
    public var ociVersion: String
    public var id: String
    /// `creating`, `created`, `running`, `paused`, `stopped`.
    public var status: String
    public var pid: Int32
    public var bundle: String
    public var annotations: [String: String]?
    /// RFC 3339 time of creation.
    public var created: String
    public var exitCode: Int32?
    public var oomKilled: Bool?
    public var finishedAt: String?
    public var monitorPid: Int32?
    /// The limits in force (`linux.resources`, the fields Nest applies):
    /// the create's, changed by `update`.
    public var resources: Spec.Linux.Resources?
}

public enum RuntimeError: Error, CustomStringConvertible, Sendable {
    case notFound(String)
    case exists(String)
    case invalidState(id: String, state: String, wanted: String)
    case invalidSpec([SpecError])
    case invalidArgument(String, field: String?)
    case system(String)
    /// A step of the container's setup that failed, as nest-monitor reports it.
    case kernel(KernelError)

    public var description: String {
        switch self {
        case .notFound(let id): "container \(id) does not exist"
        case .exists(let id): "container \(id) already exists"
        case .invalidState(let id, let state, let wanted): "container \(id) is \(state), not \(wanted)"
        case .invalidSpec(let errors): errors.map(\.description).joined(separator: "; ")
        case .invalidArgument(let message, let field): field.map { "\($0): \(message)" } ?? message
        case .system(let message): message
        case .kernel(let error): error.message
        }
    }
}
