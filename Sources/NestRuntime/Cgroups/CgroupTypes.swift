// Public value types of the cgroup manager: limits, layout, paths, errors.

/// Resource limits for one container cgroup. `nil` means "leave the kernel's
/// default" (the value inherited at mkdir time).
public struct CgroupLimits: Sendable, Equatable {
    /// Bytes; -1 = unlimited.
    public var memoryLimit: Int64?
    /// Bytes; soft limit (v1 `memory.soft_limit_in_bytes`, v2 `memory.low`).
    public var memoryReservation: Int64?
    /// OCI semantics: memory + swap total in bytes; -1 = unlimited swap.
    public var memorySwap: Int64?
    /// v1 shares (2...262144); on v2 converted to `cpu.weight`.
    public var cpuShares: UInt64?
    /// v2 weight (1...10000) if given directly; on v1 converted to shares.
    public var cpuWeight: UInt64?
    /// Microseconds per period; -1 (or <= 0) = unlimited.
    public var cpuQuota: Int64?
    /// Microseconds.
    public var cpuPeriod: UInt64?
    public var cpus: String?
    public var mems: String?
    /// <= 0 (or -1) = max.
    public var pidsLimit: Int64?
    /// Block I/O weight, 10...1000 (v1 `blkio.weight` or `blkio.bfq.weight`;
    /// v2 `io.bfq.weight`, else `io.weight` converted).
    public var blkioWeight: UInt16?
    /// Raw cgroup v2 files (name -> content), written last. Needs a v2
    /// hierarchy (pure v2, or the unified mount of a hybrid host).
    public var unified: [String: String]
    /// The rest of memory, block I/O, hugetlb and network (CgroupLimitsMore.swift).
    public var knobs = Knobs()

    public init(memoryLimit: Int64? = nil, memoryReservation: Int64? = nil,
                memorySwap: Int64? = nil, cpuShares: UInt64? = nil,
                cpuWeight: UInt64? = nil, cpuQuota: Int64? = nil,
                cpuPeriod: UInt64? = nil, cpus: String? = nil, mems: String? = nil,
                pidsLimit: Int64? = nil, blkioWeight: UInt16? = nil, unified: [String: String] = [:]) {
        self.memoryLimit = memoryLimit
        self.memoryReservation = memoryReservation
        self.memorySwap = memorySwap
        self.cpuShares = cpuShares
        self.cpuWeight = cpuWeight
        self.cpuQuota = cpuQuota
        self.cpuPeriod = cpuPeriod
        self.cpus = cpus
        self.mems = mems
        self.pidsLimit = pidsLimit
        self.blkioWeight = blkioWeight
        self.unified = unified
    }
}

/// How the cgroup hierarchies of the host are mounted.
public enum CgroupLayout: Sendable, Equatable {
    /// Pure cgroup v2: one hierarchy at `root`.
    case unified(root: String)
    /// v1 controllers (controller -> mount dir; "cpu" and "cpuacct" map to the
    /// same dir when co-mounted) plus, usually, a cgroup2 mount without (or
    /// with few) controllers.
    case hybrid(v1: [String: String], unified: String?)
    /// v1 only.
    case legacy(v1: [String: String])
}

/// A failed cgroup operation. `path` is the file or directory; `message`
/// names the file and the errno text, e.g. "memory.limit_in_bytes: Invalid argument".
public struct CgroupError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let message: String
    /// The errno of the failing syscall, 0 when the error is Nest's own check.
    public let errno: Int32

    public init(path: String, message: String, errno: Int32 = 0) {
        self.path = path
        self.message = message
        self.errno = errno
    }

    public var description: String { "cgroup \(path): \(message)" }
}

/// The directories of one container cgroup, one per hierarchy.
public struct CgroupPaths: Sendable, Codable, Equatable {
    /// Every dir, one per hierarchy Nest uses.
    public var dirs: [String]
    /// Where the init pid must be written (`cgroup.procs`): every v1 dir and the v2 dir.
    public var joinDirs: [String]
    /// v2 `memory.events` or v1 `memory.oom_control`.
    public var oomFile: String?
    public var memoryDir: String?
    public var pidsDir: String?
    /// The v2 dir (pure v2, or the unified dir of a hybrid host).
    public var unifiedDir: String?

    public init(dirs: [String], joinDirs: [String], oomFile: String? = nil,
                memoryDir: String? = nil, pidsDir: String? = nil, unifiedDir: String? = nil) {
        self.dirs = dirs
        self.joinDirs = joinDirs
        self.oomFile = oomFile
        self.memoryDir = memoryDir
        self.pidsDir = pidsDir
        self.unifiedDir = unifiedDir
    }
}
