/// The bodies of /v1/pods: a pod is a subsystem of several containers that
/// share its network, IPC and UTS namespaces, its ROM (one /etc/hosts) and
/// its quota node.

/// POST /v1/pods.
public struct PodCreateRequest: Codable, Sendable {
    public var name: String?
    /// The pod's quota: the parent cgroup of its containers'.
    public var memory: Int64?
    public var cpus: Double?
    public var pids: Int64?
    /// The pod's hostname (default: its name).
    public var hostname: String?
    public var labels: [String: String]?
    /// A network the pod's shared network namespace attaches to.
    public var network: String?
    /// HOSTPORT:CTRPORT[/udp] published through the network.
    public var ports: [String]?

    public init(name: String? = nil, memory: Int64? = nil, cpus: Double? = nil, pids: Int64? = nil,
                hostname: String? = nil, labels: [String: String]? = nil, network: String? = nil, ports: [String]? = nil) {
        self.name = name; self.memory = memory; self.cpus = cpus; self.pids = pids; self.hostname = hostname
        self.labels = labels; self.network = network; self.ports = ports
    }
}

/// One node of a pod's quota tree: the pod (its holder's cgroup, the
/// parent) or one of its containers; limits and usage from the cgroup.
public struct QuotaNode: Codable, Sendable, Equatable {
    /// "" for the pod's own node, else the container's name in the pod.
    public var name: String
    public var cgroup: String
    public var memoryLimit: Int64?
    public var memoryUsage: Int64?
    /// CPU quota over period, in CPUs.
    public var cpus: Double?
    public var pidsLimit: Int64?
    public var pidsCurrent: Int64?
    public var children: [QuotaNode]?

    public init(name: String, cgroup: String, memoryLimit: Int64? = nil, memoryUsage: Int64? = nil, cpus: Double? = nil,
                pidsLimit: Int64? = nil, pidsCurrent: Int64? = nil, children: [QuotaNode]? = nil) {
        self.name = name; self.cgroup = cgroup; self.memoryLimit = memoryLimit; self.memoryUsage = memoryUsage
        self.cpus = cpus; self.pidsLimit = pidsLimit; self.pidsCurrent = pidsCurrent; self.children = children
    }
}

/// GET /v1/pods/{name}, and each entry of GET /v1/pods.
public struct PodInfo: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    /// `created` (no container yet or none started), `running` (some
    /// container runs), `stopped` (every container has exited).
    public var state: String
    public var created: String
    public var hostname: String
    public var labels: [String: String]
    /// Its containers in <start> order.
    public var containers: [ContainerInfo]
    public var quota: QuotaNode
    /// The network its shared network namespace is attached to, and its address there.
    public var network: String?
    public var address: String?

    public init(id: String, name: String, state: String, created: String, hostname: String, labels: [String: String],
                containers: [ContainerInfo], quota: QuotaNode) {
        self.id = id; self.name = name; self.state = state; self.created = created; self.hostname = hostname
        self.labels = labels; self.containers = containers; self.quota = quota
    }
}
