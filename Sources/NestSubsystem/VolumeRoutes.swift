/// Mounts a runner adds to a translated (or hand-written) subsystem of one
/// process: a named volume is a `vfs` server of its own that the process
/// routes to with the mount point as the label, so `nestctl subsystem ID`
/// shows which containers share it; binds and tmpfs mounts join the root
/// server's mounts, as the spec's own would.
extension Subsystem {
    /// The server name a volume gets: `volume-NAME`.
    public static func volumeServerName(_ volume: String) -> String { "volume-" + volume }

    /// Grafts the directory `root` (a volume's) at `destination` of the
    /// process `process` (default: the first), read-only when `readonly`.
    /// Returns the name of the server it routes to.
    @discardableResult
    public mutating func attachVolume(_ volume: String, root: String, at destination: String, readonly: Bool,
                                      process: String? = nil) -> String {
        let vfs = VFSConfig(root: root, readonly: readonly)
        let base = Self.volumeServerName(volume)
        var name = base
        var n = 1
        // One server per (volume, access) within a subsystem; the same volume
        // mounted twice with the same access routes twice to one server.
        while let existing = start(name), existing.vfs != vfs {
            n += 1
            name = readonly && n == 2 ? base + "-ro" : base + "-\(n)"
        }
        if start(name) == nil {
            let server = Start(name: name, binary: Binary.vfs, provides: [Service.fileSystem], vfs: vfs,
                               routes: [Route(service: Service.hostFS)])
            starts.insert(server, at: starts.firstIndex { $0.binary == Binary.initProcess } ?? starts.endIndex)
        }
        guard let p = processIndex(process) else { return name }
        let route = Route(service: Service.fileSystem, label: destination, child: name)
        let after = starts[p].routes.lastIndex { $0.service == Service.fileSystem }.map { $0 + 1 } ?? 0
        starts[p].routes.insert(route, at: after)
        return name
    }

    /// Adds `mount` to the server the process `process` (default: the
    /// first) has at "/", after that server's own mounts.
    public mutating func addRootMount(_ mount: VFSMount, process: String? = nil) {
        guard let p = processIndex(process),
              let server = starts[p].routes.first(where: { $0.service == Service.fileSystem && $0.label == "/" })?.child,
              let s = starts.firstIndex(where: { $0.name == server && $0.vfs != nil }) else { return }
        starts[s].vfs?.mounts.append(mount)
        if mount.isBind, !starts[s].routes.contains(where: { $0.service == Service.hostFS }) {
            starts[s].routes.append(Route(service: Service.hostFS))
        }
    }

    /// The host directory of the server the process has at "/" (its rootfs).
    public func rootDirectory(process: String? = nil) -> String? {
        guard let p = processIndex(process),
              let server = starts[p].routes.first(where: { $0.service == Service.fileSystem && $0.label == "/" })?.child
        else { return nil }
        return start(server)?.vfs?.root
    }

    private func processIndex(_ name: String?) -> Int? {
        starts.firstIndex { $0.binary == Binary.initProcess && (name == nil || $0.name == name) }
    }
}
