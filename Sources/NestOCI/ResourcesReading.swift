// Readers of `linux.resources` (see SpecReading.swift for why by hand and in
// declaration order).

extension Spec.Linux.Resources {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        devices = try o.optional("devices")?.array(DeviceRule.init(json:))
        memory = try o.optional("memory").map(Memory.init(json:))
        cpu = try o.optional("cpu").map(CPU.init(json:))
        pids = try o.optional("pids").map(Pids.init(json:))
        blockIO = try o.optional("blockIO").map(BlockIO.init(json:))
        hugepageLimits = try o.optional("hugepageLimits")?.array(HugepageLimit.init(json:))
        network = try o.optional("network").map(Network.init(json:))
        rdma = try o.optional("rdma")?.map(Rdma.init(json:))
        unified = try o.optional("unified")?.stringMap()
    }
}

extension Spec.Linux.Resources.DeviceRule {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        allow = try o.required("allow").bool()
        type = try o.optional("type")?.string()
        major = try o.optional("major")?.integer()
        minor = try o.optional("minor")?.integer()
        access = try o.optional("access")?.string()
    }
}

extension Spec.Linux.Resources.Memory {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        limit = try o.optional("limit")?.integer()
        reservation = try o.optional("reservation")?.integer()
        swap = try o.optional("swap")?.integer()
        kernel = try o.optional("kernel")?.integer()
        kernelTCP = try o.optional("kernelTCP")?.integer()
        swappiness = try o.optional("swappiness")?.integer()
        disableOOMKiller = try o.optional("disableOOMKiller")?.bool()
        useHierarchy = try o.optional("useHierarchy")?.bool()
        checkBeforeUpdate = try o.optional("checkBeforeUpdate")?.bool()
    }
}

extension Spec.Linux.Resources.CPU {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        shares = try o.optional("shares")?.integer()
        quota = try o.optional("quota")?.integer()
        burst = try o.optional("burst")?.integer()
        period = try o.optional("period")?.integer()
        realtimeRuntime = try o.optional("realtimeRuntime")?.integer()
        realtimePeriod = try o.optional("realtimePeriod")?.integer()
        cpus = try o.optional("cpus")?.string()
        mems = try o.optional("mems")?.string()
        idle = try o.optional("idle")?.integer()
    }
}

extension Spec.Linux.Resources.Pids {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        limit = try o.optional("limit")?.integer()
    }
}

extension Spec.Linux.Resources.BlockIO {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        func throttle(_ key: String) throws(SpecError) -> [ThrottleDevice]? {
            try o.optional(key)?.array(ThrottleDevice.init(json:))
        }
        weight = try o.optional("weight")?.integer()
        leafWeight = try o.optional("leafWeight")?.integer()
        weightDevice = try o.optional("weightDevice")?.array(WeightDevice.init(json:))
        throttleReadBpsDevice = try throttle("throttleReadBpsDevice")
        throttleWriteBpsDevice = try throttle("throttleWriteBpsDevice")
        throttleReadIOPSDevice = try throttle("throttleReadIOPSDevice")
        throttleWriteIOPSDevice = try throttle("throttleWriteIOPSDevice")
    }
}

extension Spec.Linux.Resources.BlockIO.WeightDevice {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        major = try o.required("major").integer()
        minor = try o.required("minor").integer()
        weight = try o.optional("weight")?.integer()
        leafWeight = try o.optional("leafWeight")?.integer()
    }
}

extension Spec.Linux.Resources.BlockIO.ThrottleDevice {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        major = try o.required("major").integer()
        minor = try o.required("minor").integer()
        rate = try o.required("rate").integer()
    }
}

extension Spec.Linux.Resources.HugepageLimit {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        pageSize = try o.required("pageSize").string()
        limit = try o.required("limit").integer()
    }
}

extension Spec.Linux.Resources.Network {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        classID = try o.optional("classID")?.integer()
        priorities = try o.optional("priorities")?.array(Priority.init(json:))
    }
}

extension Spec.Linux.Resources.Network.Priority {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        name = try o.required("name").string()
        priority = try o.required("priority").integer()
    }
}

extension Spec.Linux.Resources.Rdma {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        hcaHandles = try o.optional("hcaHandles")?.integer()
        hcaObjects = try o.optional("hcaObjects")?.integer()
    }
}
