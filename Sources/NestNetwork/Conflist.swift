import Foundation

/// A network's CNI config list (cniVersion 1.0.0): a bridge with host-local
/// addresses from the subnet, the bridge's address the gateway; portmap for
/// `-p` (with snat, so that the host's 127.0.0.1 reaches a mapped port).
/// What the bridge plugin's ipMasq and the firewall plugin would do for each
/// container (four to eight iptables runs per ADD and again per DEL) is
/// done once per network instead, by rules of the network's own
/// (`HostRules`): the masquerade of the subnet's outgoing traffic, the
/// accepts a FORWARD policy of DROP needs, and the isolation between networks.
public struct Conflist: Sendable, Equatable {
    public static let cniVersion = "1.0.0"
    public var name: String
    public var bridge: String
    public var subnet: Subnet
    /// host-local's lease dir (shared by every network: one dir per network below it).
    public var ipamDir: String

    public init(name: String, bridge: String, subnet: Subnet, ipamDir: String) {
        self.name = name
        self.bridge = bridge
        self.subnet = subnet
        self.ipamDir = ipamDir
    }

    /// The plugins in ADD order, each without name and cniVersion (the
    /// runner adds them as the spec says).
    public var plugins: [[String: Any]] {
        [
            ["type": "bridge", "bridge": bridge, "isGateway": true, "ipMasq": false, "hairpinMode": true,
             "ipam": ["type": "host-local", "ranges": [[["subnet": subnet.description, "gateway": subnet.gateway]]],
                      "routes": [["dst": "0.0.0.0/0"]], "dataDir": ipamDir] as [String: Any]] as [String: Any],
            ["type": "portmap", "capabilities": ["portMappings": true], "snat": true] as [String: Any],
        ]
    }

    public func json() -> [UInt8] {
        let doc: [String: Any] = ["cniVersion": Self.cniVersion, "name": name, "plugins": plugins]
        let data = (try? JSONSerialization.data(withJSONObject: doc, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return Array(data) + [0x0a]
    }

    /// Reads a conflist Nest wrote: the name, the bridge and the subnet of
    /// its first (bridge) plugin; an error naming the field it lacks.
    public static func read(_ bytes: [UInt8], ipamDir: String) throws(NetworkError) -> Conflist {
        func bad(_ what: String) -> NetworkError { NetworkError(.system, "conflist: \(what)") }
        guard let doc = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else { throw bad("not a JSON object") }
        guard let name = doc["name"] as? String else { throw bad("no name") }
        guard let plugins = doc["plugins"] as? [[String: Any]], let bridge = plugins.first, bridge["type"] as? String == "bridge",
              let br = bridge["bridge"] as? String else { throw bad("plugins[0] is not a bridge with a name") }
        guard let ipam = bridge["ipam"] as? [String: Any], let ranges = ipam["ranges"] as? [[[String: Any]]],
              let text = ranges.first?.first?["subnet"] as? String, case .success(let subnet) = Subnet.parse(text) else {
            throw bad("plugins[0].ipam.ranges[0][0].subnet is not a subnet")
        }
        return Conflist(name: name, bridge: br, subnet: subnet, ipamDir: ipamDir)
    }
}
