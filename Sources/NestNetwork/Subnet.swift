/// An IPv4 subnet in CIDR form, aligned (no host bits set).
public struct Subnet: Sendable, Equatable, CustomStringConvertible {
    public var address: UInt32
    public var prefix: Int

    public init(address: UInt32, prefix: Int) {
        self.address = address
        self.prefix = prefix
    }

    /// Reads `A.B.C.D/N`; nil with the reason when it is not one Nest can
    /// give containers (a prefix of 8 to 29: room for a gateway and hosts).
    public static func parse(_ text: String) -> Result<Subnet, NetworkError> {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let address = parseAddress(String(parts[0])),
              let prefix = Int(parts[1]), String(prefix) == parts[1] else {
            return .failure(NetworkError(.invalid, "subnet must be an IPv4 CIDR like 10.89.1.0/24, got \(text.prefix(64))", field: "subnet"))
        }
        guard (8...29).contains(prefix) else {
            return .failure(NetworkError(.invalid, "subnet prefix must be 8 to 29, got /\(prefix)", field: "subnet"))
        }
        let s = Subnet(address: address, prefix: prefix)
        guard address & ~s.mask == 0 else {
            return .failure(NetworkError(.invalid, "subnet \(text) has host bits set (the network is \(Subnet(address: address & s.mask, prefix: prefix)))", field: "subnet"))
        }
        return .success(s)
    }

    static func parseAddress(_ text: String) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var value: UInt32 = 0
        for o in octets {
            guard let n = UInt32(o), n <= 255, String(n) == o else { return nil }
            value = value << 8 | n
        }
        return value
    }

    static func format(_ a: UInt32) -> String { "\(a >> 24).\(a >> 16 & 255).\(a >> 8 & 255).\(a & 255)" }

    public var mask: UInt32 { prefix == 0 ? 0 : UInt32.max << UInt32(32 - prefix) }
    /// The first host address: the bridge's, the containers' gateway.
    public var gateway: String { Self.format(address + 1) }
    public var description: String { "\(Self.format(address))/\(prefix)" }

    public func overlaps(_ other: Subnet) -> Bool {
        let m = prefix < other.prefix ? mask : other.mask
        return address & m == other.address & m
    }
}
