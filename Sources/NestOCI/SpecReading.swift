// Hand-written readers of config.json, one per spec type. Each reads its
// members in the order the type declares its properties, as the synthesized
// Decodable initializers do, so that a config with several problems reports
// the same first one either way.

extension Spec {
    /// Reads a config.json document. Throws `SpecError` naming the JSON path of
    /// the first problem; does not validate.
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        ociVersion = try o.required("ociVersion").string()
        root = try o.optional("root").map(Root.init(json:))
        mounts = try o.optional("mounts")?.array(Mount.init(json:))
        process = try o.optional("process").map(Process.init(json:))
        hostname = try o.optional("hostname")?.string()
        domainname = try o.optional("domainname")?.string()
        hooks = try o.optional("hooks").map(Hooks.init(json:))
        annotations = try o.optional("annotations")?.stringMap()
        linux = try o.optional("linux").map(Linux.init(json:))
    }
}

extension Spec.Root {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        path = try o.required("path").string()
        readonly = try o.optional("readonly")?.bool()
    }
}

extension Spec.Mount {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        destination = try o.required("destination").string()
        type = try o.optional("type")?.string()
        source = try o.optional("source")?.string()
        options = try o.optional("options")?.strings()
        uidMappings = try o.optional("uidMappings")?.array(Spec.IDMapping.init(json:))
        gidMappings = try o.optional("gidMappings")?.array(Spec.IDMapping.init(json:))
    }
}

extension Spec.IDMapping {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        containerID = try o.required("containerID").integer()
        hostID = try o.required("hostID").integer()
        size = try o.required("size").integer()
    }
}

extension Spec.Hooks {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        func list(_ key: String) throws(SpecError) -> [Spec.Hook]? {
            try o.optional(key)?.array(Spec.Hook.init(json:))
        }
        prestart = try list("prestart")
        createRuntime = try list("createRuntime")
        createContainer = try list("createContainer")
        startContainer = try list("startContainer")
        poststart = try list("poststart")
        poststop = try list("poststop")
    }
}

extension Spec.Hook {
    public init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        path = try o.required("path").string()
        args = try o.optional("args")?.strings()
        env = try o.optional("env")?.strings()
        timeout = try o.optional("timeout")?.integer()
    }
}
