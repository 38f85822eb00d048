/// DATA/volumes/NAME/volume.json: what a volume is besides its directory.
public struct VolumeRecord: Codable, Sendable, Equatable {
    public var name: String
    /// RFC 3339, when it was made.
    public var created: String
    public var labels: [String: String]
    /// `local`: a directory on this host (the only driver).
    public var driver: String

    public init(name: String, created: String, labels: [String: String] = [:], driver: String = "local") {
        self.name = name
        self.created = created
        self.labels = labels
        self.driver = driver
    }

    /// `[a-zA-Z0-9][a-zA-Z0-9_.-]*`, at most 128 bytes: a single path
    /// component that is never "." or "..", and a start node name; not
    /// "prune", which /v1/volumes/prune keeps for the action.
    public static func isValidName(_ name: String) -> Bool {
        guard name != "prune" else { return false }
        let bytes = Array(name.utf8)
        func alnum(_ b: UInt8) -> Bool { (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) }
        guard let first = bytes.first, alnum(first), bytes.count <= 128 else { return false }
        return bytes.allSatisfy { alnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    public static let namePattern = "[a-zA-Z0-9][a-zA-Z0-9_.-]*"
}
