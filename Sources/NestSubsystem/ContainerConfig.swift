import NestOCI

/// nest-init and the container's process: the namespaces they are born in,
/// the process's identity and limits, its quotas and hooks.
public struct ContainerConfig: Codable, Sendable, Equatable {
    public var process: Spec.Process?
    public var namespaces: [Spec.Linux.Namespace]
    public var uidMappings: [Spec.IDMapping]
    public var gidMappings: [Spec.IDMapping]
    /// Sorted by clock name.
    public var timeOffsets: [TimeOffset]
    /// Sorted by key.
    public var sysctl: [KeyValue]
    public var seccomp: Spec.Linux.Seccomp?
    public var personality: Spec.Linux.Personality?
    /// Sorted by host name.
    public var netDevices: [NetDevice]
    public var intelRdt: Spec.Linux.IntelRdt?
    public var memoryPolicy: Spec.Linux.MemoryPolicy?
    public var hooks: [HookEntry]
    public var resources: Quota

    public init(process: Spec.Process? = nil, namespaces: [Spec.Linux.Namespace] = [],
                uidMappings: [Spec.IDMapping] = [], gidMappings: [Spec.IDMapping] = [],
                timeOffsets: [TimeOffset] = [], sysctl: [KeyValue] = [], seccomp: Spec.Linux.Seccomp? = nil,
                personality: Spec.Linux.Personality? = nil, netDevices: [NetDevice] = [],
                intelRdt: Spec.Linux.IntelRdt? = nil, memoryPolicy: Spec.Linux.MemoryPolicy? = nil,
                hooks: [HookEntry] = [], resources: Quota = Quota(cgroupsPath: "")) {
        self.process = process
        self.namespaces = namespaces
        self.uidMappings = uidMappings
        self.gidMappings = gidMappings
        self.timeOffsets = timeOffsets
        self.sysctl = sysctl
        self.seccomp = seccomp
        self.personality = personality
        self.netDevices = netDevices
        self.intelRdt = intelRdt
        self.memoryPolicy = memoryPolicy
        self.hooks = hooks
        self.resources = resources
    }

    public func namespace(_ type: String) -> Spec.Linux.Namespace? { namespaces.first { $0.type == type } }
}

public struct TimeOffset: Codable, Sendable, Equatable {
    /// `monotonic` or `boottime`.
    public var clock: String
    public var secs: Int64
    public var nanosecs: UInt32
    public init(clock: String, secs: Int64, nanosecs: UInt32) {
        self.clock = clock
        self.secs = secs
        self.nanosecs = nanosecs
    }
}

public struct NetDevice: Codable, Sendable, Equatable {
    public var hostName: String
    public var name: String?
    public init(hostName: String, name: String?) {
        self.hostName = hostName
        self.name = name
    }
}

/// A hook with the point of the lifecycle it runs at.
public struct HookEntry: Codable, Sendable, Equatable {
    /// `prestart`, `createRuntime`, `createContainer`, `startContainer`, `poststart`, `poststop`.
    public var kind: String
    public var hook: Spec.Hook
    public init(kind: String, hook: Spec.Hook) {
        self.kind = kind
        self.hook = hook
    }
}

/// The container's resource quotas, realized as its cgroup.
public struct Quota: Codable, Sendable, Equatable {
    /// Relative to the roots of the cgroup hierarchies (`/nest/ID` by
    /// default), or the systemd form `slice:prefix:name`.
    public var cgroupsPath: String
    public var memory: Spec.Linux.Resources.Memory?
    public var cpu: Spec.Linux.Resources.CPU?
    public var pids: Spec.Linux.Resources.Pids?
    public var blockIO: Spec.Linux.Resources.BlockIO?
    public var hugepageLimits: [Spec.Linux.Resources.HugepageLimit]
    public var network: Spec.Linux.Resources.Network?
    /// Sorted by device.
    public var rdma: [RdmaLimit]
    /// Sorted by key.
    public var unified: [KeyValue]
    public var devices: [Spec.Linux.Resources.DeviceRule]

    public init(cgroupsPath: String, memory: Spec.Linux.Resources.Memory? = nil, cpu: Spec.Linux.Resources.CPU? = nil,
                pids: Spec.Linux.Resources.Pids? = nil, blockIO: Spec.Linux.Resources.BlockIO? = nil,
                hugepageLimits: [Spec.Linux.Resources.HugepageLimit] = [], network: Spec.Linux.Resources.Network? = nil,
                rdma: [RdmaLimit] = [], unified: [KeyValue] = [], devices: [Spec.Linux.Resources.DeviceRule] = []) {
        self.cgroupsPath = cgroupsPath
        self.memory = memory
        self.cpu = cpu
        self.pids = pids
        self.blockIO = blockIO
        self.hugepageLimits = hugepageLimits
        self.network = network
        self.rdma = rdma
        self.unified = unified
        self.devices = devices
    }
}

public struct RdmaLimit: Codable, Sendable, Equatable {
    public var device: String
    public var hcaHandles: UInt32?
    public var hcaObjects: UInt32?
    public init(device: String, hcaHandles: UInt32?, hcaObjects: UInt32?) {
        self.device = device
        self.hcaHandles = hcaHandles
        self.hcaObjects = hcaObjects
    }
}
