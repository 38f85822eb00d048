import NestOCI

/// What one process of a subsystem gets, derived from its routes alone:
/// the mount tree its File_system sessions graft together, the ROM modules
/// and the log of its ROM and LOG sessions. The launcher turns this into a
/// plan; nothing is found by a node's name or position.
public struct ProcessLayout: Sendable, Equatable {
    public var name: String
    public var container: ContainerConfig
    /// The server routed at "/": its root is the process's rootfs.
    public var rootServer: String
    public var root: String
    /// The root server's overlay: mounted at `root` first (nil: `root` is bound).
    public var overlay: VFSOverlay? = nil
    public var readonly: Bool
    public var propagation: String
    /// Every mount in the order the launcher makes them: the root server's
    /// own, then each other server's root at its label followed by its own
    /// mounts below that label, shallow labels first.
    public var mounts: [VFSMount]
    public var devices: [VFSDevice]
    public var symlinks: [VFSSymlink]
    public var masked: [String]
    public var readonlyPaths: [String]
    /// The ROM server's modules (nil without a ROM route).
    public var rom: ROMConfig?
    /// The log server's config (nil without a LOG route: the process's
    /// stdio is then its runner's).
    public var log: LogConfig?
    public var logServer: String?
}

extension ProcessLayout {
    /// The process joins the namespaces its subsystem shares, which the
    /// holder (pid `holder`) keeps.
    public mutating func join(shared types: [String], holder: Int32) {
        for type in types {
            let file = type == "network" ? "net" : type
            container.namespaces.append(Spec.Linux.Namespace(type: type, path: "/proc/\(holder)/ns/\(file)"))
        }
    }
}

extension Subsystem {
    /// The layout of the process start node `name`. The subsystem must pass
    /// `check()`; a route this cannot follow is an error naming it.
    public func layout(of name: String) throws(SpecError) -> ProcessLayout {
        guard let start = start(name), let container = start.container else {
            throw SpecError(path: "subsystem/start[\(name)]", message: "no process start node of that name")
        }
        let path = "subsystem/start[\(name)]/route"
        func server(_ route: Route) throws(SpecError) -> Start {
            guard let child = route.child, let s = self.start(child) else {
                throw SpecError(path: path, message: "session \(route.service) has no server")
            }
            return s
        }
        let fsRoutes = start.routes.filter { $0.service == Service.fileSystem }
        guard let rootRoute = fsRoutes.first(where: { $0.label == "/" }) else {
            throw SpecError(path: path, message: "no File_system session with label \"/\" (the root)")
        }
        let rootStart = try server(rootRoute)
        guard let rootVFS = rootStart.vfs else {
            throw SpecError(path: path, message: "File_system \"/\" is routed to \(rootStart.name), which is not a vfs server")
        }
        var layout = ProcessLayout(
            name: name, container: container, rootServer: rootStart.name, root: rootVFS.root, readonly: rootVFS.readonly,
            propagation: rootVFS.propagation, mounts: rootVFS.mounts, devices: rootVFS.devices, symlinks: rootVFS.symlinks,
            masked: rootVFS.masked, readonlyPaths: rootVFS.readonlyPaths)
        layout.overlay = rootVFS.overlay
        let grafts = fsRoutes.filter { $0.label != "/" }.sorted { a, b in
            Self.depth(a.label ?? "") < Self.depth(b.label ?? "")
        }
        for route in grafts {
            let s = try server(route)
            guard let vfs = s.vfs, let label = route.label else {
                throw SpecError(path: path, message: "File_system \(route.label ?? "") is not routed to a vfs server")
            }
            if vfs.overlay != nil {
                throw SpecError(path: "subsystem/start[\(s.name)]/config/vfs/overlay",
                                message: "only the server routed at \"/\" may be an overlay (\(s.name) is routed at \(label))")
            }
            func at(_ p: String) -> String { p == "/" ? label : label + p }
            var options = ["rbind", vfs.readonly ? "ro" : "rw"]
            if vfs.propagation != "rprivate" { options.append(vfs.propagation) }
            layout.mounts.append(VFSMount(destination: label, type: "bind", source: vfs.root, options: options))
            layout.mounts += vfs.mounts.map { m in
                var m = m
                m.destination = at(m.destination)
                return m
            }
            layout.devices += vfs.devices.map { d in
                var d = d
                d.path = at(d.path)
                return d
            }
            layout.symlinks += vfs.symlinks.map { VFSSymlink(target: $0.target, path: at($0.path)) }
            layout.masked += vfs.masked.map(at)
            layout.readonlyPaths += vfs.readonlyPaths.map(at)
        }
        // A Nic route is a join of the net server's namespace file.
        if let route = start.routes.first(where: { $0.service == Service.nic }) {
            let s = try server(route)
            guard let net = s.net else {
                throw SpecError(path: path, message: "session Nic is routed to \(s.name), which is not a net server")
            }
            layout.container.namespaces.removeAll { $0.type == "network" }
            layout.container.namespaces.append(Spec.Linux.Namespace(type: "network", path: net.netns))
        }
        if let route = start.routes.first(where: { $0.service == Service.rom }) {
            let s = try server(route)
            layout.rom = s.rom
        }
        if let route = start.routes.first(where: { $0.service == Service.log }) {
            let s = try server(route)
            layout.log = s.log
            layout.logServer = s.name
        }
        return layout
    }

    static func depth(_ label: String) -> Int { label.split(separator: "/").count }
}
