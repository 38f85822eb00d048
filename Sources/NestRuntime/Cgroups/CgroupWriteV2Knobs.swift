// Writing limits: the cgroup v2 files of CgroupLimits.Knobs on a pure v2
// host, and what v2 has no file for (an error, never a silent skip).

extension CgroupManager {
    func writeV2Knobs(_ m: CgroupLimits.Knobs, dir: String) throws {
        if m.swappiness != nil {
            throw CgroupError(path: dir + "/memory.swappiness", message: "memory.swappiness: cgroup v2 has no per-cgroup swappiness")
        }
        if m.disableOOMKiller == true {
            throw CgroupError(path: dir + "/memory.oom_control", message: "memory.oom_control: cgroup v2 cannot disable the OOM killer")
        }
        if let k = m.kernelTCP, k != -1 {
            throw CgroupError(path: dir + "/memory.kmem.tcp.limit_in_bytes", message: "memory.kmem.tcp.limit_in_bytes: cgroup v2 has no kernel TCP memory limit")
        }
        if m.blkioLeafWeight != nil || m.weightDevices.contains(where: { $0.leafWeight != nil }) {
            throw CgroupError(path: dir + "/io.weight", message: "blkio.leaf_weight: cgroup v2 has no leaf weights")
        }
        if m.netClassID != nil {
            throw CgroupError(path: dir + "/net_cls.classid", message: "net_cls.classid: cgroup v2 has no net_cls controller")
        }
        if !m.netPriorities.isEmpty {
            throw CgroupError(path: dir + "/net_prio.ifpriomap", message: "net_prio.ifpriomap: cgroup v2 has no net_prio controller")
        }
        for (file, value) in Self.v2IOFiles(m, bfq: CgroupFS.exists(dir + "/io.bfq.weight")) {
            try writeV2File(dir + "/" + file, value)
        }
        try writeV2Hugetlb(m.hugepages, dir: dir)
    }

    /// The io files and lines of the per-device weights and throttles: one
    /// `io.max` line per device with every throttle of it; a weight line
    /// "MAJ:MIN W" to `io.bfq.weight` (BFQ takes the v1 range) or,
    /// converted, to `io.weight`.
    static func v2IOFiles(_ m: CgroupLimits.Knobs, bfq: Bool) -> [(String, String)] {
        var out: [(String, String)] = []
        for d in m.weightDevices {
            guard let w = d.weight else { continue }
            out.append(bfq ? ("io.bfq.weight", "\(d.major):\(d.minor) \(w)")
                           : ("io.weight", "\(d.major):\(d.minor) \(blkioToIOWeight(w))"))
        }
        var devices: [String] = []
        var keys: [String: [String]] = [:]
        for t in m.throttles {
            let dev = "\(t.major):\(t.minor)"
            if keys[dev] == nil { devices.append(dev) }
            keys[dev, default: []].append("\(t.kind.ioMaxKey)=\(t.rate)")
        }
        for dev in devices { out.append(("io.max", ([dev] + keys[dev]!).joined(separator: " "))) }
        return out
    }

    /// `hugetlb.<size>.max`, and `.rsvd.max` where the kernel has it.
    func writeV2Hugetlb(_ pages: [CgroupLimits.Hugepage], dir: String) throws {
        for p in pages {
            let name = p.kernelName ?? p.pageSize
            try writeV2File(dir + "/hugetlb.\(name).max", String(p.limit))
            let rsvd = dir + "/hugetlb.\(name).rsvd.max"
            if CgroupFS.exists(rsvd) { try put(rsvd, String(p.limit)) }
        }
    }
}
