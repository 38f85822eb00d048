import NestOCI

// The field of a resources document behind a file of CgroupLimits.Knobs
// the kernel refused, or that this kernel lacks.

extension Runtime {
    static func knobField(_ file: String, _ r: Spec.Linux.Resources) -> String? {
        switch file {
        case "memory.swappiness": return "memory.swappiness"
        case "memory.oom_control": return "memory.disableOOMKiller"
        case "memory.kmem.tcp.limit_in_bytes": return "memory.kernelTCP"
        case "blkio.leaf_weight": return "blockIO.leafWeight"
        case "blkio.weight_device", "blkio.bfq.weight_device", "blkio.leaf_weight_device": return "blockIO.weightDevice"
        case "blkio.throttle.read_bps_device": return "blockIO.throttleReadBpsDevice"
        case "blkio.throttle.write_bps_device": return "blockIO.throttleWriteBpsDevice"
        case "blkio.throttle.read_iops_device": return "blockIO.throttleReadIOPSDevice"
        case "blkio.throttle.write_iops_device": return "blockIO.throttleWriteIOPSDevice"
        case "io.max": return "blockIO"
        case "net_cls.classid": return "network.classID"
        case "net_prio.ifpriomap": return "network.priorities"
        default:
            guard file.hasPrefix("hugetlb.") else { return nil }
            let name = file.dropFirst(8).prefix { $0 != "." }
            let i = (r.hugepageLimits ?? []).firstIndex {
                CgroupLimits.Hugepage(pageSize: $0.pageSize, limit: $0.limit).kernelName == String(name)
            }
            return i.map { "hugepageLimits[\($0)]" } ?? "hugepageLimits"
        }
    }

    /// A create's cgroup error as a field of `linux.resources`.
    static func resourceField(of e: CgroupError, _ r: Spec.Linux.Resources) -> String {
        let f = field(of: e, r)
        return f == "resources" ? "linux.resources" : "linux.resources." + f
    }
}
