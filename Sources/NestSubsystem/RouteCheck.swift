import NestOCI

extension Subsystem {
    /// Namespace types a subsystem can own for its processes.
    public static let shareableNamespaces = ["network", "ipc", "uts"]

    /// Every problem of the config at once, named like spec errors: routes
    /// (a session with no route, a route to a missing server or to one that
    /// does not provide the session, two routes for one label, a label that
    /// escapes the root, a server no route uses), the quota tree, the shape
    /// the launcher relies on (absolute paths, known names). Every path
    /// into the launcher runs this, hand-written configs included.
    public func check() -> [SpecError] {
        var errors: [SpecError] = []
        func fail(_ path: String, _ message: String) { errors.append(SpecError(path: path, message: message)) }

        if name.isEmpty { fail("subsystem@name", "must not be empty") }
        var names: Set<String> = []
        for start in starts {
            if !names.insert(start.name).inserted { fail("subsystem/start[\(start.name)]", "start name given twice") }
            if start.name.isEmpty || start.name.contains("/") || start.name.hasPrefix(".") {
                fail("subsystem/start[\(start.name)]@name", "must be a non-empty name without '/' that does not start with '.'")
            }
        }
        if processes.isEmpty { fail("subsystem", "has no process (a start node running \(Binary.initProcess))") }
        for service in parentProvides where !Service.knownHostServices.contains(service) {
            fail("subsystem/parent-provides", "the host does not provide \(service)")
        }
        var sharedSeen: Set<String> = []
        for (i, type) in shared.enumerated() {
            if !Self.shareableNamespaces.contains(type) {
                fail("subsystem/share[\(i)]@namespace", "a subsystem can share \(Self.shareableNamespaces.joined(separator: ", ")), not '\(type)'")
            }
            if !sharedSeen.insert(type).inserted { fail("subsystem/share[\(i)]@namespace", "namespace \(type) shared twice") }
        }
        var used: Set<String> = []
        errors += nicErrors(used: &used)
        for start in starts {
            let path = "subsystem/start[\(start.name)]"
            errors += start.shapeErrors(path: path)
            var routed: Set<String> = []
            var labels: Set<String> = []
            for route in start.routes {
                let key = route.service + "\u{0}" + (route.label ?? "")
                if !labels.insert(key).inserted {
                    fail("\(path)/route", route.label.map { "session \(route.service) with label \($0) routed twice" }
                        ?? "session \(route.service) routed twice")
                }
                routed.insert(route.service)
                if route.service == Service.fileSystem {
                    if let label = route.label {
                        if let problem = Self.labelProblem(label) { fail("\(path)/route", "label \(label) \(problem)") }
                    } else {
                        fail("\(path)/route", "session File_system needs a label: where the server appears (\"/\" for the root)")
                    }
                }
                if let child = route.child {
                    used.insert(child)
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
            if start.container != nil {
                let fs = start.routes.filter { $0.service == Service.fileSystem }
                if !fs.isEmpty && !fs.contains(where: { $0.label == "/" }) {
                    fail("\(path)/route", "no File_system session with label \"/\" (the process's root)")
                }
                // A server grafted below a label stays below it: its own
                // paths may not climb out with "..".
                for route in start.routes where route.service == Service.fileSystem && route.label != "/" {
                    guard let child = route.child, let vfs = self.start(child)?.vfs else { continue }
                    let paths = vfs.mounts.map(\.destination) + vfs.devices.map(\.path) + vfs.symlinks.map(\.path)
                        + vfs.masked + vfs.readonlyPaths
                    if paths.contains(where: { $0.split(separator: "/").contains("..") }) {
                        fail("\(path)/route", "server \(child) is grafted at \(route.label ?? "") but has a path with '..', which would leave it")
                    }
                }
                for route in start.routes where route.service != Service.fileSystem && route.service != Service.nic && route.label != nil {
                    fail("\(path)/route", "session \(route.service) takes no label")
                }
                for (i, ns) in (start.container?.namespaces ?? []).enumerated() where shared.contains(ns.type) {
                    fail("\(path)/config/namespace[\(i)]@type", "namespace \(ns.type) is the subsystem's (<share>); the process joins it")
                }
            }
        }
        for start in starts where !start.provides.isEmpty && !used.contains(start.name) {
            fail("subsystem/start[\(start.name)]", "server \(start.name) is used by no route")
        }
        errors += quotaTreeErrors()
        return errors
    }

    /// Why a File_system label cannot be a place in the process's tree, or nil.
    static func labelProblem(_ label: String) -> String? {
        guard label.hasPrefix("/") else { return "must be an absolute path" }
        if label == "/" { return nil }
        let parts = label.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        if parts.contains(where: { $0.isEmpty }) { return "has an empty component" }
        if parts.contains(where: { $0 == ".." }) { return "escapes the root (..)" }
        if parts.contains(where: { $0 == "." }) { return "has a '.' component" }
        return nil
    }

    /// The subsystem node is the parent cgroup of its processes': each
    /// process's cgroup lies below it and asks no more than it has.
    func quotaTreeErrors() -> [SpecError] {
        guard let parent = quota else { return [] }
        var errors: [SpecError] = []
        let base = parent.cgroupsPath.hasSuffix("/") ? String(parent.cgroupsPath.dropLast()) : parent.cgroupsPath
        if !base.hasPrefix("/") { errors.append(SpecError(path: "subsystem/cgroup@path", message: "must be an absolute path")) }
        for start in processes {
            guard let q = start.container?.resources else { continue }
            let path = "subsystem/start[\(start.name)]"
            if !q.cgroupsPath.hasPrefix(base + "/") {
                errors.append(SpecError(path: "\(path)/cgroup@path",
                                        message: "\(q.cgroupsPath) is not below the subsystem's cgroup \(parent.cgroupsPath)"))
            }
            func over(_ what: String, _ child: Int64?, _ limit: Int64?) {
                guard let limit, limit > 0, let child else { return }
                if child <= 0 || child > limit {
                    errors.append(SpecError(path: "\(path)/resource[\(what)]",
                                            message: "asks \(child <= 0 ? "no limit" : String(child)), more than the subsystem's \(what) limit \(limit)"))
                }
            }
            over("RAM", q.memory?.limit ?? (parent.memory?.limit != nil ? -1 : nil), parent.memory?.limit)
            over("PIDS", q.pids?.limit ?? (parent.pids?.limit != nil ? -1 : nil), parent.pids?.limit)
            if let pq = parent.cpu?.quota, pq > 0, let pp = parent.cpu?.period, pp > 0 {
                let cq = q.cpu?.quota ?? -1
                let cp = Int64(q.cpu?.period ?? pp)
                if cq <= 0 || Double(cq) / Double(cp) > Double(pq) / Double(pp) {
                    errors.append(SpecError(path: "\(path)/resource[CPU]",
                                            message: "asks \(cq <= 0 ? "no limit" : "\(cq)/\(cp)"), more than the subsystem's CPU limit \(pq)/\(pp)"))
                }
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
        if net != nil { out.append(Service.hostNet) }
        if let container {
            out += [Service.fileSystem, Service.pd, Service.cgroup]
            if container.namespaces.contains(where: { $0.path != nil }) { out.append(Service.namespace) }
            if !container.hooks.isEmpty { out.append(Service.hook) }
        }
        return out
    }

    func shapeErrors(path: String) -> [SpecError] {
        var errors: [SpecError] = []
        func fail(_ p: String, _ message: String) { errors.append(SpecError(path: p, message: message)) }
        let configs = [vfs != nil, log != nil, rom != nil, container != nil, net != nil].filter { $0 }.count
        let expected: Bool = switch binary {
        case Binary.vfs: vfs != nil
        case Binary.log: log != nil
        case Binary.rom: rom != nil
        case Binary.initProcess: container != nil
        case Binary.net: net != nil
        default: false
        }
        if !Binary.all.contains(binary) {
            fail("\(path)/binary", "unknown binary '\(binary)'")
        } else if !expected || configs != 1 {
            fail("\(path)/config", "the config does not match binary \(binary)")
        }
        for service in provides where service == Service.fileSystem && vfs == nil || service == Service.log && log == nil
            || service == Service.rom && rom == nil || service == Service.nic && net == nil {
            fail("\(path)/provides", "\(binary) cannot provide \(service)")
        }
        if let vfs {
            let p = "\(path)/config/vfs"
            if !vfs.root.hasPrefix("/") { fail("\(p)@root", "must be an absolute path") }
            for (at, message) in vfs.overlay?.problems() ?? [] { fail("\(p)/overlay\(at)", message) }
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
        if let net {
            let p = "\(path)/config/net"
            if net.network.isEmpty { fail("\(p)@network", "must not be empty") }
            if !net.netns.hasPrefix("/") { fail("\(p)@netns", "must be an absolute path") }
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

extension Subsystem {
    /// The Nic wiring: a process routed to a net server runs in its network
    /// namespace, so it lists none of its own; a subsystem whose network
    /// namespace is shared puts the Nic on `<share>` (the holder joins it)
    /// and its processes route none. Marks the net servers `<share>` uses.
    func nicErrors(used: inout Set<String>) -> [SpecError] {
        var errors: [SpecError] = []
        func fail(_ path: String, _ message: String) { errors.append(SpecError(path: path, message: message)) }
        if let nic = sharedNic {
            let i = shared.firstIndex(of: "network") ?? 0
            used.insert(nic)
            if let server = start(nic) {
                if !server.provides.contains(Service.nic) || server.net == nil {
                    fail("subsystem/share[\(i)]@nic", "\(nic) is not a net server providing \(Service.nic)")
                }
            } else {
                fail("subsystem/share[\(i)]@nic", "\(nic) is not a start node")
            }
        }
        for start in processes {
            let nics = start.routes.filter { $0.service == Service.nic }
            guard !nics.isEmpty else { continue }
            let path = "subsystem/start[\(start.name)]"
            if shared.contains("network") {
                fail("\(path)/route", "session Nic: the network namespace is the subsystem's (<share>); put nic= on <share namespace=\"network\">")
            }
            if nics.contains(where: { $0.child == nil }) {
                fail("\(path)/route", "session Nic is routed to a net server (<child name=...>), not the parent")
            }
            let files = Set(nics.compactMap { $0.child.flatMap { self.start($0)?.net?.netns } })
            if files.count > 1 {
                fail("\(path)/route", "session Nic is routed to net servers with different namespace files (\(files.sorted().joined(separator: ", "))): a process runs in one network namespace")
            }
            for (i, ns) in (start.container?.namespaces ?? []).enumerated() where ns.type == "network" {
                fail("\(path)/config/namespace[\(i)]@type", "the process has a Nic route: it runs in the net server's network namespace and lists none of its own")
            }
        }
        return errors
    }
}
