import NestOCI

/// A subsystem: a sub-init config. It names its components (start nodes):
/// servers (`vfs`, `rom`, `log`) and processes (`nest-init`: one container
/// each), the services each provides, the quotas, and the routes that say
/// which server gives each process which session under which label. The
/// launcher reads this and nothing else, so every field it needs is here.
/// An OCI bundle becomes a subsystem of one process.
public struct Subsystem: Codable, Sendable, Equatable {
    /// Format version of this config.
    public static let formatVersion = 1

    /// The container id.
    public var name: String
    /// The runtime-spec version of the config this was translated from; the
    /// OCI state reports it.
    public var ociVersion: String
    /// Absolute path of the bundle, or empty for a hand-written subsystem.
    public var bundle: String
    public var annotations: [KeyValue]
    /// Services the host gives the subsystem (see `Service`).
    public var parentProvides: [String]
    /// Namespace types the subsystem owns and every process joins
    /// (`<share namespace="network"/>`); a process lists none of these.
    public var shared: [String]
    /// The `net` server whose namespace the shared network namespace is
    /// (`<share namespace="network" nic="net-NAME"/>`): the holder joins
    /// that namespace instead of making one. nil: a fresh one.
    public var sharedNic: String?
    /// The quota of the whole subsystem: the parent cgroup of its
    /// processes' cgroups. nil for a subsystem of one process.
    public var quota: Quota?
    public var starts: [Start]

    public init(name: String, ociVersion: String, bundle: String = "", annotations: [KeyValue] = [],
                parentProvides: [String] = Service.hostServices, shared: [String] = [], sharedNic: String? = nil,
                quota: Quota? = nil, starts: [Start] = []) {
        self.name = name
        self.ociVersion = ociVersion
        self.bundle = bundle
        self.annotations = annotations
        self.parentProvides = parentProvides
        self.shared = shared
        self.sharedNic = sharedNic
        self.quota = quota
        self.starts = starts
    }

    public func start(_ name: String) -> Start? { starts.first { $0.name == name } }

    /// One process that owns everything: an OCI bundle's shape, launched as
    /// one container named after the subsystem.
    public var isSingleProcess: Bool { processes.count == 1 && shared.isEmpty && quota == nil }

    /// Gives every log server without a file `file`: a daemon decides
    /// where the logs of the subsystems it runs live.
    public mutating func fillLogFiles(_ file: String) {
        for i in starts.indices where starts[i].log != nil && starts[i].log?.file == nil { starts[i].log?.file = file }
    }

    /// The process start nodes (containers), in config order.
    public var processes: [Start] { starts.filter { $0.binary == Binary.initProcess } }
}

/// The session names used in routes.
public enum Service {
    /// The file-system session of the VFS server: the container's mount tree.
    public static let fileSystem = "File_system"
    /// The log session: stdout and stderr as timestamped records.
    public static let log = "LOG"
    /// Read-only modules: hostname, domainname, hosts, resolv.conf.
    public static let rom = "ROM"
    /// Processes (clone, exec) on the host.
    public static let pd = "PD"
    /// Memory, CPU and pids accounting: the container's cgroup.
    public static let cgroup = "CGROUP"
    /// Host directories and files: the rootfs and bind-mount sources.
    public static let hostFS = "HOST_FS"
    /// Existing namespaces joined by path.
    public static let namespace = "NAMESPACE"
    /// Host executables run as hooks.
    public static let hook = "HOOK"
    /// Host devices made or bound into the container.
    public static let device = "DEVICE"

    /// A network namespace configured by the host's network plugins: what a
    /// `net` server opens.
    public static let hostNet = "HOST_NET"
    /// A network interface: the session a `net` server gives a process, which
    /// then runs in the server's network namespace.
    public static let nic = "Nic"

    /// What the host provides every subsystem (the default `parent-provides`).
    public static let hostServices = [pd, cgroup, hostFS, namespace, hook, device]
    /// What a host may provide: the default ones, and HOST_NET where the
    /// runner attaches networks (nestd lists it only then).
    public static let knownHostServices = hostServices + [hostNet]
}

/// The component binaries a start node can run.
public enum Binary {
    public static let vfs = "vfs"
    public static let log = "log"
    public static let rom = "rom"
    public static let initProcess = "nest-init"
    /// A network: a namespace file the runner's network plugins configured.
    public static let net = "net"
    public static let all = [vfs, log, rom, initProcess, net]
}

public struct KeyValue: Codable, Sendable, Equatable {
    public var key: String
    public var value: String
    public init(_ key: String, _ value: String) {
        self.key = key
        self.value = value
    }
}

/// A start node. Exactly one of the component configs is set, the one that
/// belongs to `binary`.
public struct Start: Codable, Sendable, Equatable {
    public var name: String
    public var binary: String
    public var provides: [String]
    public var vfs: VFSConfig?
    public var log: LogConfig?
    public var rom: ROMConfig?
    public var container: ContainerConfig?
    public var net: NetConfig?
    public var routes: [Route]

    public init(name: String, binary: String, provides: [String] = [], vfs: VFSConfig? = nil,
                log: LogConfig? = nil, rom: ROMConfig? = nil, container: ContainerConfig? = nil,
                net: NetConfig? = nil, routes: [Route] = []) {
        self.name = name
        self.binary = binary
        self.provides = provides
        self.vfs = vfs
        self.log = log
        self.rom = rom
        self.container = container
        self.net = net
        self.routes = routes
    }
}

/// A route for one session: to the parent (the host) or to a sibling start
/// node, under a label. A File_system session's label is where the server's
/// tree appears in the process's mount namespace ("/" for its root).
public struct Route: Codable, Sendable, Equatable {
    public var service: String
    public var label: String?
    /// The providing start node; nil routes to the parent.
    public var child: String?

    public init(service: String, label: String? = nil, child: String? = nil) {
        self.service = service
        self.label = label
        self.child = child
    }
}

/// The log helper: the monitor copies the process's stdout and stderr into
/// the log as records; with a terminal, the pty's output.
public struct LogConfig: Codable, Sendable, Equatable {
    /// Record format; `rfc3339nano` is `TIMESTAMP STREAM [P ]DATA` per line.
    public var format: String
    /// The host file the records go to; nil in a config whose runner (the
    /// daemon) decides where its logs live and fills it in at launch.
    public var file: String?
    public init(format: String = "rfc3339nano", file: String? = nil) {
        self.format = format
        self.file = file
    }
}

/// The ROM helper: small read-only files the runtime generates.
public struct ROMConfig: Codable, Sendable, Equatable {
    public var modules: [ROMModule]
    public init(modules: [ROMModule] = []) { self.modules = modules }

    public func module(_ name: String) -> String? { modules.first { $0.name == name }?.content }
}

public struct ROMModule: Codable, Sendable, Equatable {
    /// `hostname`, `domainname`, `hosts`, `resolv.conf`.
    public var name: String
    public var content: String
    /// Where the module appears in the container (a read-only bind); nil when
    /// the kernel takes it directly (hostname, domainname).
    public var path: String?

    public init(name: String, content: String, path: String? = nil) {
        self.name = name
        self.content = content
        self.path = path
    }
}

/// The net server: a network namespace that the runner made as a file and
/// attached to a network (CNI ADD). A process routed to it (`Nic`) runs in
/// that namespace; the launcher joins it by path, as a NAMESPACE join.
public struct NetConfig: Codable, Sendable, Equatable {
    /// The network's name (what `nestctl network ls` shows).
    public var network: String
    /// The namespace file the process joins.
    public var netns: String
    /// The address the network gave, CIDR (shown, not applied: the plugins did).
    public var address: String?

    public init(network: String, netns: String, address: String? = nil) {
        self.network = network
        self.netns = netns
        self.address = address
    }
}
