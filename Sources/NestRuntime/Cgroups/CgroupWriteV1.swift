// Writing limits: dispatch per hierarchy, and the v1 control files.

import Glibc

extension CgroupManager {
    /// Changes the limits of an existing container cgroup (e.g. `nest update`):
    /// only the non-nil fields are written. Raising memory and memory+swap
    /// together works on v1 (memsw goes first when the kernel asks for it).
    /// All or nothing: when the kernel refuses a value, the files written
    /// before it get their previous contents back.
    public func update(_ paths: CgroupPaths, limits: CgroupLimits) throws {
        try validate(limits, path: paths.dirs.first ?? "")
        var hs: [CgroupHierarchy] = [], dirs: [String] = []
        for h in hierarchies {
            guard let dir = paths.dirs.first(where: { Self.isBelow($0, root: h.root) }) else { continue }
            hs.append(h)
            dirs.append(dir)
        }
        let journal = CgroupJournal()
        var journaled = self
        journaled.journal = journal
        do {
            try journaled.write(limits, hierarchies: hs, dirs: dirs)
        } catch {
            journal.rollBack()
            throw error
        }
    }

    /// Whether `dir` lies in the hierarchy mounted at `root`.
    static func isBelow(_ dir: String, root: String) -> Bool {
        let r = join(root, "/")
        return dir.hasPrefix(r == "/" ? "/" : r + "/")
    }

    /// One write of a limit: through the journal of an update, if any.
    func put(_ path: String, _ value: String) throws {
        if let journal { try journal.write(path, value) } else { try CgroupFS.write(path, value) }
    }

    /// Writes `limits` into the dirs (same order as `hierarchies`).
    func write(_ limits: CgroupLimits, hierarchies: [CgroupHierarchy], dirs: [String]) throws {
        for (h, dir) in zip(hierarchies, dirs) {
            if h.isV2 {
                if case .unified = layout {
                    try writeV2(limits, dir: dir)
                    try writeV2Knobs(limits.knobs, dir: dir)
                } else if !hierarchies.contains(where: { $0.controllers.contains("hugetlb") }) {
                    // A hybrid host may have hugetlb on its cgroup2 mount.
                    try writeV2Hugetlb(limits.knobs.hugepages, dir: dir)
                }
                try writeUnified(limits.unified, dir: dir)
                continue
            }
            for c in h.controllers {
                switch c {
                case "memory":
                    try writeV1Memory(limits, dir: dir)
                    try writeV1MemoryKnobs(limits.knobs, dir: dir)
                case "cpu": try writeV1CPU(limits, dir: dir)
                case "cpuset":
                    if let cpus = limits.cpus { try put(dir + "/cpuset.cpus", cpus) }
                    if let mems = limits.mems { try put(dir + "/cpuset.mems", mems) }
                case "pids":
                    if let p = limits.pidsLimit { try put(dir + "/pids.max", Self.pidsValue(p)) }
                case "blkio":
                    if let w = limits.blkioWeight { try writeV1BlkioWeight(w, dir: dir) }
                    try writeV1BlkioKnobs(limits.knobs, dir: dir)
                case "hugetlb": try writeV1Hugetlb(limits.knobs.hugepages, dir: dir)
                case "net_cls":
                    if let id = limits.knobs.netClassID { try put(dir + "/net_cls.classid", String(id)) }
                case "net_prio":
                    for p in limits.knobs.netPriorities { try put(dir + "/net_prio.ifpriomap", "\(p.name) \(p.priority)") }
                default: break
                }
            }
        }
    }

    static func pidsValue(_ p: Int64) -> String { p <= 0 ? "max" : String(p) }

    /// memory.limit_in_bytes before memory.memsw.limit_in_bytes; when the
    /// kernel refuses the memory limit (it would exceed the current memsw
    /// limit, i.e. both are being raised) memsw goes first.
    func writeV1Memory(_ limits: CgroupLimits, dir: String) throws {
        let limitFile = dir + "/memory.limit_in_bytes"
        let swapFile = dir + "/memory.memsw.limit_in_bytes"
        var swap = limits.memorySwap == 0 ? nil : limits.memorySwap  // OCI: 0 = unset
        if swap == nil && limits.memoryLimit == -1 { swap = -1 }  // unlimited memory: unlimited swap too
        if let s = swap, !CgroupFS.exists(swapFile) {
            if s == -1 || s == limits.memoryLimit {
                swap = nil
            } else {
                throw CgroupError(path: swapFile, message: "memory.memsw.limit_in_bytes: swap accounting not enabled")
            }
        }
        if let limit = limits.memoryLimit {
            do {
                try put(limitFile, String(limit))
            } catch let e as CgroupError where e.errno == EINVAL && swap != nil {
                try put(swapFile, String(swap!))
                swap = nil
                try put(limitFile, String(limit))
            }
        }
        if let s = swap { try put(swapFile, String(s)) }
        if let r = limits.memoryReservation {
            try put(dir + "/memory.soft_limit_in_bytes", String(r))
        }
    }

    /// cpu.shares, then cpu.cfs_period_us and cpu.cfs_quota_us (period first;
    /// if the kernel refuses it against the current quota, quota first).
    func writeV1CPU(_ limits: CgroupLimits, dir: String) throws {
        if let shares = limits.cpuShares ?? limits.cpuWeight.map(Self.weightToShares) {
            try put(dir + "/cpu.shares", String(shares))
        }
        let quota = limits.cpuQuota.map { $0 <= 0 ? "-1" : String($0) }
        let quotaFile = dir + "/cpu.cfs_quota_us"
        if let period = limits.cpuPeriod {
            let periodFile = dir + "/cpu.cfs_period_us"
            do {
                try put(periodFile, String(period))
            } catch let e as CgroupError where e.errno == EINVAL && quota != nil {
                try put(quotaFile, quota!)
                try put(periodFile, String(period))
                return
            }
        }
        if let quota { try put(quotaFile, quota) }
    }

    /// `blkio.weight` (the CFQ scheduler's), else `blkio.bfq.weight`: the
    /// kernel has one or the other, depending on its I/O schedulers.
    func writeV1BlkioWeight(_ weight: UInt16, dir: String) throws {
        for name in ["blkio.weight", "blkio.bfq.weight"] where CgroupFS.exists(dir + "/" + name) {
            try put(dir + "/" + name, String(weight))
            return
        }
        throw CgroupError(path: dir + "/blkio.weight",
                          message: "blkio.weight: this host's I/O schedulers take no weight (no blkio.weight or blkio.bfq.weight)")
    }

    /// v1 shares -> v2 weight: 1 + ((shares-2)*9999)/262142, shares clamped to 2...262144.
    public static func sharesToWeight(_ shares: UInt64) -> UInt64 {
        let s = min(max(shares, 2), 262_144)
        return 1 + ((s - 2) * 9999) / 262_142
    }

    /// v2 weight -> v1 shares, the inverse of `sharesToWeight` (rounded down).
    public static func weightToShares(_ weight: UInt64) -> UInt64 {
        let w = min(max(weight, 1), 10_000)
        return 2 + ((w - 1) * 262_142) / 9999
    }

    /// Raw v2 files, written last so they override the converted values.
    func writeUnified(_ unified: [String: String], dir: String) throws {
        for key in unified.keys.sorted() {
            try writeV2File(dir + "/" + key, unified[key]!)
        }
    }

    /// A v2 write; a missing file most likely means the controller is not enabled.
    func writeV2File(_ path: String, _ value: String) throws {
        do {
            try put(path, value)
        } catch let e as CgroupError where e.errno == ENOENT {
            let name = CgroupFS.lastPathComponent(path)
            let controller = name.split(separator: ".").first.map(String.init) ?? name
            throw CgroupFS.error(path, ENOENT, hint: " (is the \(controller) controller enabled?)")
        }
    }
}
