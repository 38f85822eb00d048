import NestOCI

extension Subsystem {
    /// Reads a subsystem config. Syntax errors name the line and column,
    /// structural ones the element path (`subsystem/start[1]/config/vfs@root`).
    /// Routes are not checked here: see `check()`.
    public static func read(xml text: String) throws(SpecError) -> Subsystem {
        let root: XMLElement
        do {
            root = try XMLReader.parse(text)
        } catch {
            throw SpecError(path: "", message: "XML: \(error.description)")
        }
        do {
            return try read(XMLNode(root, path: "subsystem"))
        } catch let error as SpecError {
            throw error
        } catch {
            throw SpecError(path: "", message: "\(error)")
        }
    }

    static func read(_ node: XMLNode) throws -> Subsystem {
        guard node.element.name == "subsystem" else {
            throw SpecError(path: "", message: "the root element is <\(node.element.name)>, expected <subsystem>")
        }
        try node.check(attributes: ["name", "version", "oci-version", "bundle"],
                       children: ["annotation", "parent-provides", "share", "cgroup", "resource", "start"])
        let version: Int = try node.reqInt("version")
        guard version == formatVersion else {
            throw node.error("version \(version) is not supported (this Nest reads version \(formatVersion))", attribute: "version")
        }
        var s = Subsystem(name: try node.req("name"), ociVersion: try node.req("oci-version"), bundle: node.str("bundle") ?? "",
                          parentProvides: [])
        s.annotations = try node.kids("annotation").map { a in
            try a.check(attributes: ["key", "value"])
            return KeyValue(try a.req("key"), try a.req("value"))
        }
        if let pp = try node.one("parent-provides") {
            try pp.check(attributes: [], children: ["service"])
            s.parentProvides = try serviceNames(pp)
        }
        s.shared = try node.kids("share").map { e in
            try e.check(attributes: ["namespace", "nic"])
            let type = try e.req("namespace")
            if let nic = e.str("nic") {
                guard type == "network" else { throw e.error("only the network namespace is joined through a Nic", attribute: "nic") }
                s.sharedNic = nic
            }
            return type
        }
        if try node.one("cgroup") != nil { s.quota = try Quota.read(node) } else if !node.kids("resource").isEmpty {
            throw SpecError(path: "subsystem/cgroup", message: "a subsystem with resources needs <cgroup path=...>")
        }
        s.starts = try node.kids("start").map(Start.read)
        return s
    }

    static func serviceNames(_ node: XMLNode) throws -> [String] {
        try node.kids("service").map { svc in
            try svc.check(attributes: ["name"])
            return try svc.req("name")
        }
    }
}

extension Start {
    static func read(_ node: XMLNode) throws -> Start {
        let name = try node.req("name")
        let node = XMLNode(node.element, path: "subsystem/start[\(name)]")
        try node.check(attributes: ["name"], children: ["binary", "provides", "resource", "cgroup", "config", "route"])
        guard let b = try node.one("binary") else { throw SpecError(path: "\(node.path)/binary", message: "missing <binary name=...>") }
        try b.check(attributes: ["name"])
        var start = Start(name: name, binary: try b.req("name"))
        if let p = try node.one("provides") {
            try p.check(attributes: [], children: ["service"])
            start.provides = try Subsystem.serviceNames(p)
        }
        let config = try node.one("config") ?? XMLNode(XMLElement("config"), path: "\(node.path)/config")
        switch start.binary {
        case Binary.vfs:
            try config.check(attributes: [], children: ["vfs"])
            guard let v = try config.one("vfs") else { throw SpecError(path: "\(config.path)/vfs", message: "missing <vfs>") }
            start.vfs = try VFSConfig.read(v)
        case Binary.log:
            try config.check(attributes: [], children: ["log"])
            let l = try config.one("log")
            try l?.check(attributes: ["format", "file"])
            start.log = LogConfig(format: l?.str("format") ?? "rfc3339nano", file: l?.str("file"))
        case Binary.rom:
            try config.check(attributes: [], children: ["rom"])
            start.rom = ROMConfig(modules: try config.kids("rom").map { r in
                try r.check(attributes: ["name", "content", "path"])
                return ROMModule(name: try r.req("name"), content: try r.req("content"), path: r.str("path"))
            })
        case Binary.initProcess:
            start.container = try ContainerConfig.read(config, quota: Quota.read(node))
        case Binary.net:
            try config.check(attributes: [], children: ["net"])
            guard let n = try config.one("net") else { throw SpecError(path: "\(config.path)/net", message: "missing <net>") }
            try n.check(attributes: ["network", "netns", "address"])
            start.net = NetConfig(network: try n.req("network"), netns: try n.req("netns"), address: n.str("address"))
        default:
            throw b.error("unknown binary '\(start.binary)' (one of: \(Binary.all.joined(separator: ", ")))", attribute: "name")
        }
        if start.binary != Binary.initProcess, !node.kids("resource").isEmpty || !node.kids("cgroup").isEmpty {
            throw SpecError(path: "\(node.path)/resource", message: "only a nest-init start node has resources")
        }
        if let r = try node.one("route") {
            try r.check(attributes: [], children: ["service"])
            start.routes = try r.kids("service").map { svc in
                try svc.check(attributes: ["name", "label"], children: ["parent", "child"])
                let service = try svc.req("name")
                guard svc.element.children.count == 1 else {
                    throw svc.error("a route names exactly one target, <parent/> or <child name=.../>")
                }
                if let child = try svc.one("child") {
                    try child.check(attributes: ["name"])
                    return Route(service: service, label: svc.str("label"), child: try child.req("name"))
                }
                try svc.one("parent")?.check(attributes: [])
                return Route(service: service, label: svc.str("label"))
            }
        }
        return start
    }
}

extension VFSConfig {
    static func read(_ node: XMLNode) throws -> VFSConfig {
        try node.check(attributes: ["root", "readonly", "propagation", "mount-label"],
                       children: ["overlay", "mount", "device", "symlink", "masked", "readonly"])
        var v = VFSConfig(root: try node.req("root"), readonly: try node.bool("readonly") ?? false,
                          propagation: node.str("propagation") ?? "rprivate", mountLabel: node.str("mount-label"))
        if let o = try node.one("overlay") {
            try o.check(attributes: ["upper", "work"], children: ["layer"])
            v.overlay = VFSOverlay(upper: try o.req("upper"), work: try o.req("work"), layers: try o.kids("layer").map { l in
                try l.check(attributes: ["chain", "path"])
                return VFSLayer(chain: try l.req("chain"), path: try l.req("path"))
            })
        }
        v.mounts = try node.kids("mount").map { m in
            try m.check(attributes: ["destination", "type", "source", "options"], children: ["option", "uid-map", "gid-map"])
            var options = m.str("options").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) } ?? []
            options += try m.values("option") ?? []
            return VFSMount(destination: try m.req("destination"), type: try m.req("type"), source: try m.req("source"),
                            options: options, uidMappings: try readMaps(m, "uid-map"), gidMappings: try readMaps(m, "gid-map"))
        }
        v.devices = try node.kids("device").map { d in
            try d.check(attributes: ["path", "type", "major", "minor", "mode", "uid", "gid"])
            return VFSDevice(path: try d.req("path"), type: try d.req("type"), major: try d.int("major") ?? 0,
                             minor: try d.int("minor") ?? 0, mode: try d.octal("mode") ?? 0o666,
                             uid: try d.int("uid") ?? 0, gid: try d.int("gid") ?? 0)
        }
        v.symlinks = try node.kids("symlink").map { s in
            try s.check(attributes: ["target", "path"])
            return VFSSymlink(target: try s.req("target"), path: try s.req("path"))
        }
        v.masked = try node.kids("masked").map { m in try m.check(attributes: ["path"]); return try m.req("path") }
        v.readonlyPaths = try node.kids("readonly").map { m in try m.check(attributes: ["path"]); return try m.req("path") }
        return v
    }
}

func readMaps(_ node: XMLNode, _ name: String) throws -> [Spec.IDMapping] {
    try node.kids(name).map { m in
        try m.check(attributes: ["container", "host", "size"])
        return Spec.IDMapping(containerID: try m.reqInt("container"), hostID: try m.reqInt("host"), size: try m.reqInt("size"))
    }
}
