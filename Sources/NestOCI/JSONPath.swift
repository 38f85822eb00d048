/// Builds the JSON paths that errors name: `mounts[3].destination`,
/// `linux.sysctl["net.ipv4.ip_forward"]`.
public enum JSONPath {
    /// `base` followed by member `key`; keys that are not plain identifiers
    /// are quoted so that a dot inside a key cannot be mistaken for nesting.
    public static func member(_ base: String, _ key: String) -> String {
        let plain = !key.isEmpty && key.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        } && !(0x30...0x39).contains(key.utf8.first!)
        if plain {
            return base.isEmpty ? key : "\(base).\(key)"
        }
        var escaped = ""
        for scalar in key.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            default:
                if scalar.value < 0x20 {
                    escaped += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    escaped.unicodeScalars.append(scalar)
                }
            }
        }
        return "\(base)[\"\(escaped)\"]"
    }

    public static func index(_ base: String, _ index: Int) -> String {
        "\(base)[\(index)]"
    }

    static func render(_ codingPath: [any CodingKey]) -> String {
        var path = ""
        for key in codingPath {
            if let index = key.intValue {
                path = Self.index(path, index)
            } else {
                path = member(path, key.stringValue)
            }
        }
        return path
    }
}
