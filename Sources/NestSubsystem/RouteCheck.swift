import NestOCI

extension Subsystem {
    /// Every problem of the config at once, named like spec errors: routes
    /// (a session a start node uses with no route to a provider), the shape
    /// the launcher relies on (one VFS server, one nest-init, absolute
    /// paths), and names it would not know.
    public func check() -> [SpecError] {
        var errors: [SpecError] = []
        func fail(_ path: String, _ message: String) { errors.append(SpecError(path: path, message: message)) }

        if name.isEmpty { fail("subsystem@name", "must not be empty") }
        var names: Set<String> = []
        for start in starts {
            if !names.insert(start.name).inserted { fail("subsystem/start[\(start.name)]", "start name given twice") }
        }
        for binary in [Binary.vfs, Binary.initProcess] {
            let count = starts.filter { $0.binary == binary }.count
            if count != 1 { fail("subsystem", "needs exactly one start node running \(binary), has \(count)") }
        }
        for service in parentProvides where !Service.hostServices.contains(service) {
            fail("subsystem/parent-provides", "the host does not provide \(service)")
        }
        for start in starts {
            let path = "subsystem/start[\(start.name)]"
            errors += start.shapeErrors(path: path)
            var routed: Set<String> = []
            for route in start.routes {
                if !routed.insert(route.service).inserted { fail("\(path)/route", "session \(route.service) routed twice") }
                if let child = route.child {
                    if child == start.name {
                        fail("\(path)/route", "session \(route.service) is routed to the start node itself")
                    } else if let provider = self.start(child) {
                        if !provider.provides.contains(route.service) {
                            fail("\(path)/route", "session \(route.service) is routed to \(child), which does not provide it")
                        }
                    } else {
                        fail("\(path)/route", "session \(route.service) is routed to \(child), which is not a start node")
                    }
                } else if !parentProvides.contains(route.service) {
                    fail("\(path)/route", "session \(route.service) is routed to the parent, which does not provide it")
                }
            }
            for session in start.sessions where !routed.contains(session) {
                fail("\(path)/route", "session \(session) has no route to a provider")
            }
        }
        return errors
    }
}

extension Start {
    /// The sessions this start node opens, from what its config asks for.
    public var sessions: [String] {
        var out: [String] = []
        if let vfs {
            out.append(Service.hostFS)
            if !vfs.devices.isEmpty { out.append(Service.device) }
        }
        if log != nil { out.append(Service.hostFS) }
        if let container {
            out += [Service.fileSystem, Service.log, Service.rom, Service.pd, Service.cgroup]
            if container.namespaces.contains(where: { $0.path != nil }) { out.append(Service.namespace) }
            if !container.hooks.isEmpty { out.append(Service.hook) }
        }
        return out
    }

    func shapeErrors(path: String) -> [SpecError] {
        var errors: [SpecError] = []
        func fail(_ p: String, _ message: String) { errors.append(SpecError(path: p, message: message)) }
        let configs = [vfs != nil, log != nil, rom != nil, container != nil].filter { $0 }.count
        let expected: Bool = switch binary {
        case Binary.vfs: vfs != nil
        case Binary.log: log != nil
        case Binary.rom: rom != nil
        case Binary.initProcess: container != nil
        default: false
        }
        if !Binary.all.contains(binary) {
            fail("\(path)/binary", "unknown binary '\(binary)'")
        } else if !expected || configs != 1 {
            fail("\(path)/config", "the config does not match binary \(binary)")
        }
        for service in provides where service == Service.fileSystem && vfs == nil || service == Service.log && log == nil
            || service == Service.rom && rom == nil {
            fail("\(path)/provides", "\(binary) cannot provide \(service)")
        }
        if let vfs {
            let p = "\(path)/config/vfs"
            if !vfs.root.hasPrefix("/") { fail("\(p)@root", "must be an absolute path") }
            if !OCINames.rootfsPropagations.contains(vfs.propagation) { fail("\(p)@propagation", "unknown propagation '\(vfs.propagation)'") }
            for (i, m) in vfs.mounts.enumerated() where !m.destination.hasPrefix("/") {
                fail("\(p)/mount[\(i)]@destination", "must be an absolute path")
            }
            for (i, d) in vfs.devices.enumerated() {
                if !d.path.hasPrefix("/") { fail("\(p)/device[\(i)]@path", "must be an absolute path") }
                if !OCINames.deviceTypes.contains(d.type) { fail("\(p)/device[\(i)]@type", "unknown device type '\(d.type)'") }
            }
            for (i, m) in vfs.masked.enumerated() where !m.hasPrefix("/") { fail("\(p)/masked[\(i)]@path", "must be an absolute path") }
            for (i, m) in vfs.readonlyPaths.enumerated() where !m.hasPrefix("/") { fail("\(p)/readonly[\(i)]@path", "must be an absolute path") }
        }
        if let c = container {
            let p = "\(path)/config"
            var seen: Set<String> = []
            for (i, ns) in c.namespaces.enumerated() {
                if !OCINames.namespaceTypes.contains(ns.type) { fail("\(p)/namespace[\(i)]@type", "unknown namespace type '\(ns.type)'") }
                if !seen.insert(ns.type).inserted { fail("\(p)/namespace[\(i)]@type", "namespace \(ns.type) given twice") }
                if let nsPath = ns.path, !nsPath.hasPrefix("/") { fail("\(p)/namespace[\(i)]@path", "must be an absolute path") }
            }
            if c.namespace("user") == nil && !(c.uidMappings.isEmpty && c.gidMappings.isEmpty) {
                fail("\(p)/uid-map", "id mappings need a user namespace")
            }
            if let proc = c.process {
                if proc.args?.isEmpty ?? true { fail("\(p)/process/arg", "the process needs at least one argument") }
                if !proc.cwd.hasPrefix("/") { fail("\(p)/process@cwd", "must be an absolute path") }
                for (set, caps) in proc.capabilities?.all ?? [] {
                    for cap in caps where !OCINames.capabilities.contains(cap) {
                        fail("\(p)/process/capabilities@\(set)", "unknown capability '\(cap)'")
                    }
                }
                for (i, r) in (proc.rlimits ?? []).enumerated() where !OCINames.rlimits.contains(r.type) {
                    fail("\(p)/process/rlimit[\(i)]@type", "unknown rlimit '\(r.type)'")
                }
            }
            if let s = c.seccomp {
                if !OCINames.seccompActions.contains(s.defaultAction) { fail("\(p)/seccomp@default-action", "unknown action '\(s.defaultAction)'") }
                for (i, sc) in (s.syscalls ?? []).enumerated() {
                    if !OCINames.seccompActions.contains(sc.action) { fail("\(p)/seccomp/syscall[\(i)]@action", "unknown action '\(sc.action)'") }
                    for a in sc.args ?? [] where !OCINames.seccompOperators.contains(a.op) {
                        fail("\(p)/seccomp/syscall[\(i)]/arg@op", "unknown operator '\(a.op)'")
                    }
                }
            }
            let kinds = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]
            for (i, h) in c.hooks.enumerated() {
                if !kinds.contains(h.kind) { fail("\(p)/hook[\(i)]@kind", "unknown hook kind '\(h.kind)'") }
                if !h.hook.path.hasPrefix("/") { fail("\(p)/hook[\(i)]@path", "must be an absolute path") }
            }
        }
        return errors
    }
}
