import NestOCI

/// A pod is a subsystem that grows one process at a time: the pod's own
/// part (the shared namespaces, the quota node and one ROM server for every
/// container: one hostname, one /etc/hosts), then each container's process
/// with its servers, renamed after the container so that two containers of
/// one image do not collide. Pure: the runner decides names and files.
extension Subsystem {
    /// The name of a pod's ROM server, which every container routes to.
    public static let podROM = "rom"

    /// A pod with no container yet: it shares network, IPC and UTS, and its
    /// cgroup is the quota node of the containers' cgroups.
    public static func pod(name: String, hostname: String, quota: Quota) -> Subsystem {
        let hosts = "127.0.0.1\tlocalhost \(hostname)\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        let rom = Start(name: podROM, binary: Binary.rom, provides: [Service.rom], rom: ROMConfig(modules: [
            ROMModule(name: "hostname", content: hostname),
            ROMModule(name: "hosts", content: hosts, path: "/etc/hosts"),
        ]))
        return Subsystem(name: name, ociVersion: "1.2.0", shared: ["network", "ipc", "uts"], quota: quota, starts: [rom])
    }

    /// A quota of the memory, CPU and pids flags (nil: no limit).
    public static func quota(cgroupsPath: String, memory: Int64?, cpus: Double?, pids: Int64?) -> Quota {
        var q = Quota(cgroupsPath: cgroupsPath)
        if let memory { q.memory = Spec.Linux.Resources.Memory(limit: memory) }
        if let cpus { q.cpu = Spec.Linux.Resources.CPU(quota: Int64((cpus * 100_000).rounded()), period: 100_000) }
        if let pids { q.pids = Spec.Linux.Resources.Pids(limit: pids) }
        return q
    }

    /// Adds the one process of `single` (a translated container, with its
    /// volumes and mounts) as the process `name`: its servers become
    /// `NAME.SERVER` (a volume server `volume-V` keeps its name, and is
    /// shared by the containers that mount V with the same access), its log goes to
    /// `logFile`, its ROM is the pod's, it lists none of the pod's shared
    /// namespaces, and its cgroup is `name` below the pod's. A limit it
    /// does not set is the pod's (a child never has more than its parent;
    /// one it sets above the parent's is left for check() to name).
    public mutating func addContainer(_ single: Subsystem, as name: String, logFile: String?) throws(SpecError) {
        guard let process = single.processes.first, single.processes.count == 1 else {
            throw SpecError(path: "subsystem", message: "a container added to a pod has exactly one process")
        }
        if start(name) != nil {
            throw SpecError(path: "subsystem/start[\(name)]", message: "the pod has a component named \(name) already")
        }
        var renamed: [String: String] = [:]
        var added: [Start] = []
        for var server in single.starts where server.binary != Binary.initProcess {
            if server.rom != nil {
                renamed[server.name] = Self.podROM
                continue
            }
            // a volume keeps its server's name: the first container to use
            // it names it, later ones with the same access share it
            let isVolume = server.name.hasPrefix("volume-")
            if isVolume, let existing = start(server.name), existing.vfs == server.vfs {
                renamed[server.name] = server.name
                continue
            }
            let newName = isVolume && start(server.name) == nil ? server.name : name + "." + server.name
            if start(newName) != nil {
                throw SpecError(path: "subsystem/start[\(newName)]", message: "the pod has a component named \(newName) already")
            }
            renamed[server.name] = newName
            server.name = newName
            if server.log != nil { server.log?.file = logFile }
            added.append(server)
        }
        var p = process
        p.name = name
        p.routes = p.routes.compactMap { route in
            var route = route
            if route.service == Service.rom { return nil }
            if let child = route.child { route.child = renamed[child] ?? child }
            return route
        }
        if start(Self.podROM)?.rom != nil {
            let at = p.routes.firstIndex { $0.child == nil } ?? p.routes.endIndex
            p.routes.insert(Route(service: Service.rom, child: Self.podROM), at: at)
        }
        if var c = p.container {
            c.namespaces.removeAll { shared.contains($0.type) }
            let base = quota?.cgroupsPath ?? "/nest/\(self.name)"
            c.resources.cgroupsPath = (base.hasSuffix("/") ? String(base.dropLast()) : base) + "/" + name
            if let parent = quota {
                if c.resources.memory?.limit == nil, let limit = parent.memory?.limit {
                    c.resources.memory = c.resources.memory ?? Spec.Linux.Resources.Memory()
                    c.resources.memory?.limit = limit
                }
                if c.resources.pids?.limit == nil, let limit = parent.pids?.limit {
                    c.resources.pids = Spec.Linux.Resources.Pids(limit: limit)
                }
                if c.resources.cpu?.quota == nil, let q = parent.cpu?.quota {
                    c.resources.cpu = c.resources.cpu ?? Spec.Linux.Resources.CPU()
                    c.resources.cpu?.quota = q
                    c.resources.cpu?.period = parent.cpu?.period
                }
            }
            p.container = c
        }
        starts += added
        starts.append(p)
        for a in single.annotations where !annotations.contains(where: { $0.key == a.key }) { annotations.append(a) }
    }

    /// Drops the process `name` and every server no process routes to any
    /// more, but the pod's ROM server, which the next container routes to.
    public mutating func removeProcess(_ name: String) {
        starts.removeAll { $0.name == name && $0.binary == Binary.initProcess }
        let used = Set(starts.flatMap { $0.routes.compactMap(\.child) })
        starts.removeAll { s in
            s.binary != Binary.initProcess && !s.provides.isEmpty && !used.contains(s.name) && s.rom == nil
        }
    }
}
