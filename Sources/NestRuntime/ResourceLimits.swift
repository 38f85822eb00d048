import NestOCI

// `linux.resources` and the cgroup writer's limits: what a container's
// state records of them (the fields the writer applies), and what an
// update asks for.

extension CgroupLimits {
    /// The limits a resources document sets; what the writer does not
    /// apply is Preflight's to refuse.
    init(_ r: Spec.Linux.Resources) {
        self.init(memoryLimit: r.memory?.limit, memoryReservation: r.memory?.reservation, memorySwap: r.memory?.swap,
                  cpuShares: r.cpu?.shares, cpuQuota: r.cpu?.quota, cpuPeriod: r.cpu?.period, cpus: r.cpu?.cpus,
                  mems: r.cpu?.mems, pidsLimit: r.pids?.limit, blkioWeight: r.blockIO?.weight, unified: r.unified ?? [:])
        knobs = Knobs(memory: r.memory, blockIO: r.blockIO, hugepages: r.hugepageLimits ?? [], network: r.network)
    }

    /// The limits as a resources document; nil when there are none.
    var resources: Spec.Linux.Resources? {
        var r = Spec.Linux.Resources()
        let memory = Spec.Linux.Resources.Memory(limit: memoryLimit, reservation: memoryReservation, swap: memorySwap)
        if memory != Spec.Linux.Resources.Memory() { r.memory = memory }
        let cpu = Spec.Linux.Resources.CPU(shares: cpuShares, quota: cpuQuota, period: cpuPeriod, cpus: cpus, mems: mems)
        if cpu != Spec.Linux.Resources.CPU() { r.cpu = cpu }
        if let pidsLimit { r.pids = Spec.Linux.Resources.Pids(limit: pidsLimit) }
        if let blkioWeight { r.blockIO = Spec.Linux.Resources.BlockIO(weight: blkioWeight) }
        if !unified.isEmpty { r.unified = unified }
        knobs.add(to: &r)
        return r.isEmpty ? nil : r
    }

    /// These limits with each one `other` sets in its place.
    func overridden(by other: CgroupLimits) -> CgroupLimits {
        var l = self
        if let v = other.memoryLimit { l.memoryLimit = v }
        if let v = other.memoryReservation { l.memoryReservation = v }
        if let v = other.memorySwap { l.memorySwap = v }
        if let v = other.cpuShares { l.cpuShares = v }
        if let v = other.cpuWeight { l.cpuWeight = v }
        if let v = other.cpuQuota { l.cpuQuota = v }
        if let v = other.cpuPeriod { l.cpuPeriod = v }
        if let v = other.cpus { l.cpus = v }
        if let v = other.mems { l.mems = v }
        if let v = other.pidsLimit { l.pidsLimit = v }
        if let v = other.blkioWeight { l.blkioWeight = v }
        l.unified.merge(other.unified) { _, new in new }
        l.knobs = knobs.overridden(by: other.knobs)
        return l
    }
}
