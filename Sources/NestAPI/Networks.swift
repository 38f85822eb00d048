/// The network bodies of the REST API (`/v1/networks`, the create
/// request's `networks` and `ports`) and the `-p` flag.

/// POST /v1/networks.
public struct NetworkCreateRequest: Codable, Sendable, Equatable {
    public var name: String
    /// IPv4 CIDR (`10.89.1.0/24`); absent: a free 10.89.N.0/24.
    public var subnet: String?
    public init(name: String, subnet: String? = nil) { self.name = name; self.subnet = subnet }
}

/// A network as GET /v1/networks[/{name}] shows it.
public struct NetworkInfo: Codable, Sendable, Equatable {
    public var name: String
    public var driver: String
    public var subnet: String
    public var gateway: String
    /// The host bridge the network's containers are attached to.
    public var bridge: String
    /// The CNI config list under the data root.
    public var conflist: String
    /// Names of the containers attached (ids when unknown).
    public var containers: [String]

    public init(name: String, driver: String = "bridge", subnet: String, gateway: String, bridge: String, conflist: String,
                containers: [String]) {
        self.name = name; self.driver = driver; self.subnet = subnet; self.gateway = gateway; self.bridge = bridge
        self.conflist = conflist; self.containers = containers
    }
}

/// One published port of a create request (`-p HOST:CONTAINER[/udp]`).
public struct PortRequest: Codable, Sendable, Equatable {
    public var host: Int
    public var container: Int
    /// `tcp` (default) or `udp`.
    public var proto: String?

    public init(host: Int, container: Int, proto: String? = nil) { self.host = host; self.container = container; self.proto = proto }

    /// `-p HOST:CONTAINER[/udp|/tcp]`; nil when it is not of that shape
    /// (the daemon checks the numbers).
    public static func flag(_ text: String) -> PortRequest? {
        var body = Substring(text)
        var proto: String? = nil
        if let slash = body.lastIndex(of: "/") {
            proto = String(body[body.index(after: slash)...])
            body = body[..<slash]
        }
        let parts = body.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let h = Int(parts[0]), let c = Int(parts[1]) else { return nil }
        return PortRequest(host: h, container: c, proto: proto)
    }
}
