// A writer of `linux.resources` for the records that keep a container's
// limits (its state, the daemon's answers): what JSONEncoder with sorted
// keys writes, without its cost on every state write (see JSONWriter).
// Members are written in byte order of their keys; absent ones are left out.

extension Spec.Linux.Resources {
    public func write(to w: inout JSONWriter) {
        w.beginObject()
        if let blockIO { w.key("blockIO"); blockIO.write(to: &w) }
        if let cpu { w.key("cpu"); cpu.write(to: &w) }
        if let devices {
            w.key("devices")
            w.beginArray()
            for rule in devices { rule.write(to: &w) }
            w.endArray()
        }
        if let hugepageLimits {
            w.key("hugepageLimits")
            w.beginArray()
            for limit in hugepageLimits {
                w.beginObject()
                w.key("limit"); w.integer(limit.limit)
                w.key("pageSize"); w.string(limit.pageSize)
                w.endObject()
            }
            w.endArray()
        }
        if let memory { w.key("memory"); memory.write(to: &w) }
        if let network { w.key("network"); network.write(to: &w) }
        if let pids {
            w.key("pids")
            w.beginObject()
            if let limit = pids.limit { w.key("limit"); w.integer(limit) }
            w.endObject()
        }
        if let rdma {
            w.key("rdma")
            w.beginObject()
            for device in rdma.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
                let r = rdma[device]!
                w.key(device)
                w.beginObject()
                if let v = r.hcaHandles { w.key("hcaHandles"); w.integer(v) }
                if let v = r.hcaObjects { w.key("hcaObjects"); w.integer(v) }
                w.endObject()
            }
            w.endObject()
        }
        if let unified {
            w.key("unified")
            w.beginObject()
            for key in unified.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
                w.key(key)
                w.string(unified[key]!)
            }
            w.endObject()
        }
        w.endObject()
    }

    /// Whether no member is set: `{}`.
    public var isEmpty: Bool { self == Spec.Linux.Resources() }
}

extension Spec.Linux.Resources.BlockIO {
    func write(to w: inout JSONWriter) {
        func throttle(_ key: String, _ list: [ThrottleDevice]?) {
            guard let list else { return }
            w.key(key)
            w.beginArray()
            for d in list {
                w.beginObject()
                w.key("major"); w.integer(d.major)
                w.key("minor"); w.integer(d.minor)
                w.key("rate"); w.integer(d.rate)
                w.endObject()
            }
            w.endArray()
        }
        w.beginObject()
        if let leafWeight { w.key("leafWeight"); w.integer(leafWeight) }
        throttle("throttleReadBpsDevice", throttleReadBpsDevice)
        throttle("throttleReadIOPSDevice", throttleReadIOPSDevice)
        throttle("throttleWriteBpsDevice", throttleWriteBpsDevice)
        throttle("throttleWriteIOPSDevice", throttleWriteIOPSDevice)
        if let weight { w.key("weight"); w.integer(weight) }
        if let weightDevice {
            w.key("weightDevice")
            w.beginArray()
            for d in weightDevice {
                w.beginObject()
                if let v = d.leafWeight { w.key("leafWeight"); w.integer(v) }
                w.key("major"); w.integer(d.major)
                w.key("minor"); w.integer(d.minor)
                if let v = d.weight { w.key("weight"); w.integer(v) }
                w.endObject()
            }
            w.endArray()
        }
        w.endObject()
    }
}

extension Spec.Linux.Resources.CPU {
    func write(to w: inout JSONWriter) {
        w.beginObject()
        if let burst { w.key("burst"); w.integer(burst) }
        if let cpus { w.key("cpus"); w.string(cpus) }
        if let idle { w.key("idle"); w.integer(idle) }
        if let mems { w.key("mems"); w.string(mems) }
        if let period { w.key("period"); w.integer(period) }
        if let quota { w.key("quota"); w.integer(quota) }
        if let realtimePeriod { w.key("realtimePeriod"); w.integer(realtimePeriod) }
        if let realtimeRuntime { w.key("realtimeRuntime"); w.integer(realtimeRuntime) }
        if let shares { w.key("shares"); w.integer(shares) }
        w.endObject()
    }
}

extension Spec.Linux.Resources.DeviceRule {
    func write(to w: inout JSONWriter) {
        w.beginObject()
        if let access { w.key("access"); w.string(access) }
        w.key("allow"); w.bool(allow)
        if let major { w.key("major"); w.integer(major) }
        if let minor { w.key("minor"); w.integer(minor) }
        if let type { w.key("type"); w.string(type) }
        w.endObject()
    }
}

extension Spec.Linux.Resources.Memory {
    func write(to w: inout JSONWriter) {
        w.beginObject()
        if let checkBeforeUpdate { w.key("checkBeforeUpdate"); w.bool(checkBeforeUpdate) }
        if let disableOOMKiller { w.key("disableOOMKiller"); w.bool(disableOOMKiller) }
        if let kernel { w.key("kernel"); w.integer(kernel) }
        if let kernelTCP { w.key("kernelTCP"); w.integer(kernelTCP) }
        if let limit { w.key("limit"); w.integer(limit) }
        if let reservation { w.key("reservation"); w.integer(reservation) }
        if let swap { w.key("swap"); w.integer(swap) }
        if let swappiness { w.key("swappiness"); w.integer(swappiness) }
        if let useHierarchy { w.key("useHierarchy"); w.bool(useHierarchy) }
        w.endObject()
    }
}

extension Spec.Linux.Resources.Network {
    func write(to w: inout JSONWriter) {
        w.beginObject()
        if let classID { w.key("classID"); w.integer(classID) }
        if let priorities {
            w.key("priorities")
            w.beginArray()
            for p in priorities {
                w.beginObject()
                w.key("name"); w.string(p.name)
                w.key("priority"); w.integer(p.priority)
                w.endObject()
            }
            w.endArray()
        }
        w.endObject()
    }
}
