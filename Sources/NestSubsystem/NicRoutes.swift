import NestOCI

/// Networks a runner attaches to a subsystem: each is a `net` server
/// (`net-NAME`) naming the namespace file the network's plugins configured,
/// and the process routes its `Nic` session to it, so `nestctl subsystem ID`
/// shows who is connected to what. A subsystem whose network namespace is
/// shared gets the Nic on its `<share>` instead: the holder joins it.
extension Subsystem {
    /// The server name a network gets: `net-NAME`.
    public static func netServerName(_ network: String) -> String { "net-" + network }

    /// Adds the server of `network` (namespace file `netns`, the address it
    /// gave) and routes the process `process` (default: the first) to it;
    /// the process's own network namespace, if it listed one, goes: it runs
    /// in the server's. Several networks of one process share its one
    /// namespace file (an interface each); the routes after the first are
    /// labelled with the network's name.
    @discardableResult
    public mutating func attachNetwork(_ network: String, netns: String, address: String?, process: String? = nil) -> String {
        let name = Self.netServerName(network)
        if start(name) == nil {
            let server = Start(name: name, binary: Binary.net, provides: [Service.nic],
                               net: NetConfig(network: network, netns: netns, address: address),
                               routes: [Route(service: Service.hostNet)])
            starts.insert(server, at: starts.firstIndex { $0.binary == Binary.initProcess } ?? starts.endIndex)
        }
        if !parentProvides.contains(Service.hostNet) { parentProvides.append(Service.hostNet) }
        if shared.contains("network") {
            if sharedNic == nil { sharedNic = name }
            return name
        }
        guard let p = starts.firstIndex(where: { $0.binary == Binary.initProcess && (process == nil || $0.name == process) }) else {
            return name
        }
        starts[p].container?.namespaces.removeAll { $0.type == "network" }
        let first = !starts[p].routes.contains { $0.service == Service.nic }
        starts[p].routes.append(Route(service: Service.nic, label: first ? nil : network, child: name))
        return name
    }

    /// Sets the ROM module `name` (at `path` in the container) of the ROM
    /// server the process `process` (default: the first) routes to, making
    /// a server `rom` and the route when it has none.
    public mutating func setROM(_ name: String, content: String, path: String, process: String? = nil) {
        guard let p = starts.firstIndex(where: { $0.binary == Binary.initProcess && (process == nil || $0.name == process) }) else { return }
        let server: String
        if let routed = starts[p].routes.first(where: { $0.service == Service.rom })?.child {
            server = routed
        } else {
            var n = "rom"
            var i = 1
            while start(n) != nil { i += 1; n = "rom-\(i)" }
            starts.insert(Start(name: n, binary: Binary.rom, provides: [Service.rom], rom: ROMConfig()), at: p)
            starts[p + 1].routes.append(Route(service: Service.rom, child: n))
            server = n
        }
        guard let s = starts.firstIndex(where: { $0.name == server }) else { return }
        starts[s].rom?.modules.removeAll { $0.name == name }
        starts[s].rom?.modules.append(ROMModule(name: name, content: content, path: path))
    }

    /// The networks the subsystem's net servers attach to.
    public var networks: [String] { starts.compactMap { $0.net?.network } }
}
