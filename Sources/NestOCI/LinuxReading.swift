// Readers of `linux` (see SpecReading.swift for why by hand and in
// declaration order).

extension Spec.Linux {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        namespaces = try o.optional("namespaces")?.array(Namespace.init(json:))
        uidMappings = try o.optional("uidMappings")?.array(Spec.IDMapping.init(json:))
        gidMappings = try o.optional("gidMappings")?.array(Spec.IDMapping.init(json:))
        timeOffsets = try o.optional("timeOffsets")?.map(TimeOffset.init(json:))
        devices = try o.optional("devices")?.array(Device.init(json:))
        netDevices = try o.optional("netDevices")?.map(NetDevice.init(json:))
        cgroupsPath = try o.optional("cgroupsPath")?.string()
        resources = try o.optional("resources").map(Resources.init(json:))
        sysctl = try o.optional("sysctl")?.stringMap()
        seccomp = try o.optional("seccomp").map(Seccomp.init(json:))
        rootfsPropagation = try o.optional("rootfsPropagation")?.string()
        maskedPaths = try o.optional("maskedPaths")?.strings()
        readonlyPaths = try o.optional("readonlyPaths")?.strings()
        mountLabel = try o.optional("mountLabel")?.string()
        personality = try o.optional("personality").map(Personality.init(json:))
        intelRdt = try o.optional("intelRdt").map(IntelRdt.init(json:))
        memoryPolicy = try o.optional("memoryPolicy").map(MemoryPolicy.init(json:))
    }
}

extension Spec.Linux.Namespace {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        type = try o.required("type").string()
        path = try o.optional("path")?.string()
    }
}

extension Spec.Linux.TimeOffset {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        secs = try o.optional("secs")?.integer()
        nanosecs = try o.optional("nanosecs")?.integer()
    }
}

extension Spec.Linux.Device {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        type = try o.required("type").string()
        path = try o.required("path").string()
        major = try o.optional("major")?.integer()
        minor = try o.optional("minor")?.integer()
        fileMode = try o.optional("fileMode")?.integer()
        uid = try o.optional("uid")?.integer()
        gid = try o.optional("gid")?.integer()
    }
}

extension Spec.Linux.NetDevice {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        name = try o.optional("name")?.string()
    }
}

extension Spec.Linux.Personality {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        domain = try o.required("domain").string()
        flags = try o.optional("flags")?.strings()
    }
}

extension Spec.Linux.IntelRdt {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        closID = try o.optional("closID")?.string()
        l3CacheSchema = try o.optional("l3CacheSchema")?.string()
        memBwSchema = try o.optional("memBwSchema")?.string()
        schemata = try o.optional("schemata")?.strings()
        enableMonitoring = try o.optional("enableMonitoring")?.bool()
        enableCMT = try o.optional("enableCMT")?.bool()
        enableMBM = try o.optional("enableMBM")?.bool()
    }
}

extension Spec.Linux.MemoryPolicy {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        mode = try o.required("mode").string()
        nodes = try o.optional("nodes")?.string()
        flags = try o.optional("flags")?.strings()
    }
}

extension Spec.Linux.Seccomp {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        defaultAction = try o.required("defaultAction").string()
        defaultErrnoRet = try o.optional("defaultErrnoRet")?.integer()
        architectures = try o.optional("architectures")?.strings()
        flags = try o.optional("flags")?.strings()
        listenerPath = try o.optional("listenerPath")?.string()
        listenerMetadata = try o.optional("listenerMetadata")?.string()
        syscalls = try o.optional("syscalls")?.array(Syscall.init(json:))
    }
}

extension Spec.Linux.Seccomp.Syscall {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        names = try o.required("names").strings()
        action = try o.required("action").string()
        errnoRet = try o.optional("errnoRet")?.integer()
        args = try o.optional("args")?.array(Spec.Linux.Seccomp.Arg.init(json:))
    }
}

extension Spec.Linux.Seccomp.Arg {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        index = try o.required("index").integer()
        value = try o.required("value").integer()
        valueTwo = try o.optional("valueTwo")?.integer()
        op = try o.required("op").string()
    }
}
