// Writing limits: the v1 control files of CgroupLimits.Knobs. A knob whose
// file this kernel lacks is an error, never skipped (Preflight names the
// field before anything is made where the host can tell in advance).

extension CgroupManager {
    func writeV1MemoryKnobs(_ m: CgroupLimits.Knobs, dir: String) throws {
        if let s = m.swappiness { try put(dir + "/memory.swappiness", String(s)) }
        // A new memory cgroup inherits its parent's setting: false is written too.
        if let d = m.disableOOMKiller { try put(dir + "/memory.oom_control", d ? "1" : "0") }
        if let k = m.kernelTCP {
            let file = dir + "/memory.kmem.tcp.limit_in_bytes"
            if CgroupFS.exists(file) {
                try put(file, String(k))
            } else if k != -1 {
                throw CgroupError(path: file, message: "memory.kmem.tcp.limit_in_bytes: this kernel has no kernel TCP memory limit")
            }
        }
    }

    /// Per-device weights (`blkio.weight_device`, else BFQ's), the leaf
    /// weights of CFQ, and the four throttles: a line "MAJ:MIN VALUE" each.
    func writeV1BlkioKnobs(_ m: CgroupLimits.Knobs, dir: String) throws {
        if let w = m.blkioLeafWeight { try putExisting(dir, ["blkio.leaf_weight"], String(w), what: "leaf weight") }
        for d in m.weightDevices {
            if let w = d.weight {
                try putExisting(dir, ["blkio.weight_device", "blkio.bfq.weight_device"], "\(d.major):\(d.minor) \(w)", what: "per-device weight")
            }
            if let w = d.leafWeight {
                try putExisting(dir, ["blkio.leaf_weight_device"], "\(d.major):\(d.minor) \(w)", what: "per-device leaf weight")
            }
        }
        for t in m.throttles {
            try put(dir + "/blkio.throttle.\(t.kind.rawValue)_device", "\(t.major):\(t.minor) \(t.rate)")
        }
    }

    /// The first of `names` the kernel has; an error naming the first when none.
    func putExisting(_ dir: String, _ names: [String], _ value: String, what: String) throws {
        for name in names where CgroupFS.exists(dir + "/" + name) {
            try put(dir + "/" + name, value)
            return
        }
        throw CgroupError(path: dir + "/" + names[0], message:
            "\(names[0]): this host's I/O schedulers take no \(what) (no \(names.joined(separator: " or ")))")
    }

    /// `hugetlb.<size>.limit_in_bytes`, and the reservation limit where the
    /// kernel has one (5.7+), as runc and crun write both: a reservation
    /// above the fault limit would let a mapping reserve pages it then
    /// cannot fault in.
    func writeV1Hugetlb(_ pages: [CgroupLimits.Hugepage], dir: String) throws {
        for p in pages {
            let name = p.kernelName ?? p.pageSize
            let file = dir + "/hugetlb.\(name).limit_in_bytes"
            guard CgroupFS.exists(file) else {
                throw CgroupError(path: file, message: "hugetlb.\(name).limit_in_bytes: this host has no \(p.pageSize) huge pages")
            }
            try put(file, String(p.limit))
            let rsvd = dir + "/hugetlb.\(name).rsvd.limit_in_bytes"
            if CgroupFS.exists(rsvd) { try put(rsvd, String(p.limit)) }
        }
    }
}
