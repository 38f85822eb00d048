/// A minimal XML element tree: what the subsystem format needs and nothing
/// more. Everything the format carries is in attributes (newlines and TABs
/// are written as character references, so values round-trip exactly);
/// elements have no text content.
public struct XMLElement: Sendable, Equatable {
    public var name: String
    /// Attributes in document order: the writer keeps the order it is given,
    /// so one model always gives the same bytes.
    public var attributes: [(String, String)]
    public var children: [XMLElement]

    public init(_ name: String, _ attributes: [(String, String)] = [], children: [XMLElement] = []) {
        self.name = name
        self.attributes = attributes
        self.children = children
    }

    public static func == (a: XMLElement, b: XMLElement) -> Bool {
        a.name == b.name && a.children == b.children
            && a.attributes.map(\.0) == b.attributes.map(\.0)
            && a.attributes.map(\.1) == b.attributes.map(\.1)
    }

    public subscript(attribute: String) -> String? {
        attributes.first { $0.0 == attribute }?.1
    }

    public func children(named name: String) -> [XMLElement] {
        children.filter { $0.name == name }
    }

    mutating func set(_ key: String, _ value: String?) {
        if let value { attributes.append((key, value)) }
    }

    mutating func add(_ child: XMLElement?) {
        if let child { children.append(child) }
    }
}

// MARK: - Writing

extension XMLElement {
    /// The document: two-space indentation, one element per line, a final newline.
    public func document() -> String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        write(to: &out, indent: 0)
        return out
    }

    func write(to out: inout String, indent: Int) {
        out += String(repeating: "  ", count: indent) + "<" + name
        for (key, value) in attributes {
            out += " " + key + "=\"" + XMLElement.escape(value) + "\""
        }
        if children.isEmpty {
            out += "/>\n"
            return
        }
        out += ">\n"
        for child in children { child.write(to: &out, indent: indent + 1) }
        out += String(repeating: "  ", count: indent) + "</" + name + ">\n"
    }

    static func escape(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "\n": out += "&#10;"
            case "\r": out += "&#13;"
            case "\t": out += "&#9;"
            default:
                if scalar.value < 0x20 {
                    // Not representable in XML 1.0 at all; keep it visible and reversible.
                    out += "&#x" + String(scalar.value, radix: 16) + ";"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
