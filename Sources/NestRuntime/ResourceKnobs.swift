import NestOCI

// `linux.resources` <-> CgroupLimits.Knobs: the fields create and update
// apply beyond memory/cpu/pids/weight, and what a container's state records
// of them.

typealias SpecResources = Spec.Linux.Resources

extension CgroupLimits.Knobs {
    init(memory: SpecResources.Memory?, blockIO: SpecResources.BlockIO?,
         hugepages: [SpecResources.HugepageLimit], network: SpecResources.Network?) {
        self.init()
        swappiness = memory?.swappiness
        disableOOMKiller = memory?.disableOOMKiller
        kernelTCP = memory?.kernelTCP
        blkioLeafWeight = blockIO?.leafWeight == 0 ? nil : blockIO?.leafWeight
        weightDevices = (blockIO?.weightDevice ?? []).map {
            CgroupLimits.WeightDevice(major: $0.major, minor: $0.minor, weight: $0.weight, leafWeight: $0.leafWeight)
        }
        let kinds: [(CgroupLimits.Throttle.Kind, [SpecResources.BlockIO.ThrottleDevice]?)] = [
            (.readBps, blockIO?.throttleReadBpsDevice), (.writeBps, blockIO?.throttleWriteBpsDevice),
            (.readIOPS, blockIO?.throttleReadIOPSDevice), (.writeIOPS, blockIO?.throttleWriteIOPSDevice),
        ]
        for (kind, list) in kinds {
            throttles += (list ?? []).map { CgroupLimits.Throttle(kind: kind, major: $0.major, minor: $0.minor, rate: $0.rate) }
        }
        self.hugepages = hugepages.map { CgroupLimits.Hugepage(pageSize: $0.pageSize, limit: $0.limit) }
        netClassID = network?.classID
        netPriorities = (network?.priorities ?? []).map { CgroupLimits.NetPriority(name: $0.name, priority: $0.priority) }
    }

    /// Adds these to a resources document (the inverse of the init).
    func add(to r: inout SpecResources) {
        if swappiness != nil || disableOOMKiller != nil || kernelTCP != nil {
            var m = r.memory ?? SpecResources.Memory()
            m.swappiness = swappiness
            m.disableOOMKiller = disableOOMKiller
            m.kernelTCP = kernelTCP
            r.memory = m
        }
        if blkioLeafWeight != nil || !weightDevices.isEmpty || !throttles.isEmpty {
            var b = r.blockIO ?? SpecResources.BlockIO()
            b.leafWeight = blkioLeafWeight
            b.weightDevice = weightDevices.map {
                SpecResources.BlockIO.WeightDevice(major: $0.major, minor: $0.minor, weight: $0.weight, leafWeight: $0.leafWeight)
            }.nilIfEmpty
            func list(_ kind: CgroupLimits.Throttle.Kind) -> [SpecResources.BlockIO.ThrottleDevice]? {
                throttles.filter { $0.kind == kind }.map { SpecResources.BlockIO.ThrottleDevice(major: $0.major, minor: $0.minor, rate: $0.rate) }.nilIfEmpty
            }
            b.throttleReadBpsDevice = list(.readBps)
            b.throttleWriteBpsDevice = list(.writeBps)
            b.throttleReadIOPSDevice = list(.readIOPS)
            b.throttleWriteIOPSDevice = list(.writeIOPS)
            r.blockIO = b
        }
        if !hugepages.isEmpty {
            r.hugepageLimits = hugepages.map { SpecResources.HugepageLimit(pageSize: $0.pageSize, limit: $0.limit) }
        }
        if netClassID != nil || !netPriorities.isEmpty {
            r.network = SpecResources.Network(
                classID: netClassID,
                priorities: netPriorities.map { SpecResources.Network.Priority(name: $0.name, priority: $0.priority) }.nilIfEmpty)
        }
    }
}

extension Array {
    fileprivate var nilIfEmpty: [Element]? { isEmpty ? nil : self }
}
