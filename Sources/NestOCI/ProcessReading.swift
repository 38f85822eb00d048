// Readers of `process` (see SpecReading.swift for why by hand and in
// declaration order).

extension Spec.Process {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        terminal = try o.optional("terminal")?.bool()
        consoleSize = try o.optional("consoleSize").map(ConsoleSize.init(json:))
        user = try User(json: o.required("user"))
        args = try o.optional("args")?.strings()
        commandLine = try o.optional("commandLine")?.string()
        env = try o.optional("env")?.strings()
        cwd = try o.required("cwd").string()
        capabilities = try o.optional("capabilities").map(Capabilities.init(json:))
        rlimits = try o.optional("rlimits")?.array(Rlimit.init(json:))
        noNewPrivileges = try o.optional("noNewPrivileges")?.bool()
        apparmorProfile = try o.optional("apparmorProfile")?.string()
        oomScoreAdj = try o.optional("oomScoreAdj")?.integer()
        selinuxLabel = try o.optional("selinuxLabel")?.string()
        ioPriority = try o.optional("ioPriority").map(IOPriority.init(json:))
        scheduler = try o.optional("scheduler").map(Scheduler.init(json:))
        execCPUAffinity = try o.optional("execCPUAffinity").map(CPUAffinity.init(json:))
    }
}

extension Spec.Process.ConsoleSize {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        height = try o.required("height").integer()
        width = try o.required("width").integer()
    }
}

extension Spec.Process.User {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        uid = try o.required("uid").integer()
        gid = try o.required("gid").integer()
        umask = try o.optional("umask")?.integer()
        additionalGids = try o.optional("additionalGids")?.array { g throws(SpecError) in try g.integer(UInt32.self) }
        username = try o.optional("username")?.string()
    }
}

extension Spec.Process.Capabilities {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        bounding = try o.optional("bounding")?.strings()
        effective = try o.optional("effective")?.strings()
        inheritable = try o.optional("inheritable")?.strings()
        permitted = try o.optional("permitted")?.strings()
        ambient = try o.optional("ambient")?.strings()
    }
}

extension Spec.Process.Rlimit {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        type = try o.required("type").string()
        soft = try o.required("soft").integer()
        hard = try o.required("hard").integer()
    }
}

extension Spec.Process.IOPriority {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        ioClass = try o.required("class").string()
        priority = try o.required("priority").integer()
    }
}

extension Spec.Process.Scheduler {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        policy = try o.required("policy").string()
        nice = try o.optional("nice")?.integer()
        priority = try o.optional("priority")?.integer()
        flags = try o.optional("flags")?.strings()
        runtime = try o.optional("runtime")?.integer()
        deadline = try o.optional("deadline")?.integer()
        period = try o.optional("period")?.integer()
    }
}

extension Spec.Process.CPUAffinity {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        initial = try o.optional("initial")?.string()
        final = try o.optional("final")?.string()
    }
}

extension Spec.Process {
    /// An OCI process document on its own (what `runc exec --process`
    /// reads), its errors named by their path under `process`. Does not
    /// validate: call `validate()`.
    public static func decode(_ bytes: [UInt8]) throws(SpecError) -> Spec.Process {
        try Spec.Process(json: JSONReader(try JSONParser.parse(bytes), base: "process"))
    }
}
