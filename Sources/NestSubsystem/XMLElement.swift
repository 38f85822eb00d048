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
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        out.append(contentsOf: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n".utf8)
        write(to: &out, indent: 0)
        return String(decoding: out, as: UTF8.self)
    }

    /// Into bytes: a daemon writes one document per container, and String
    /// appends of small pieces were most of that.
    func write(to out: inout [UInt8], indent: Int) {
        out.append(contentsOf: repeatElement(0x20, count: 2 * indent))
        out.append(UInt8(ascii: "<"))
        out.append(contentsOf: name.utf8)
        for (key, value) in attributes {
            out.append(0x20)
            out.append(contentsOf: key.utf8)
            out.append(contentsOf: [UInt8(ascii: "="), 0x22])
            Self.escape(value, into: &out)
            out.append(0x22)
        }
        if children.isEmpty {
            out.append(contentsOf: [UInt8(ascii: "/"), UInt8(ascii: ">"), 0x0a])
            return
        }
        out.append(contentsOf: [UInt8(ascii: ">"), 0x0a])
        for child in children { child.write(to: &out, indent: indent + 1) }
        out.append(contentsOf: repeatElement(0x20, count: 2 * indent))
        out.append(contentsOf: [UInt8(ascii: "<"), UInt8(ascii: "/")])
        out.append(contentsOf: name.utf8)
        out.append(contentsOf: [UInt8(ascii: ">"), 0x0a])
    }

    /// `& < > "` and CR, LF, TAB as references; other control characters,
    /// not representable in XML 1.0 at all, as `&#xN;` (visible and
    /// reversible). Runs without any are copied whole.
    static func escape(_ value: String, into out: inout [UInt8]) {
        var value = value
        value.withUTF8 { utf8 in
            var start = 0
            for (i, b) in utf8.enumerated() where b < 0x20 || b == UInt8(ascii: "&") || b == UInt8(ascii: "<")
                || b == UInt8(ascii: ">") || b == 0x22 {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<i]))
                start = i + 1
                switch b {
                case UInt8(ascii: "&"): out.append(contentsOf: "&amp;".utf8)
                case UInt8(ascii: "<"): out.append(contentsOf: "&lt;".utf8)
                case UInt8(ascii: ">"): out.append(contentsOf: "&gt;".utf8)
                case 0x22: out.append(contentsOf: "&quot;".utf8)
                case 0x0a: out.append(contentsOf: "&#10;".utf8)
                case 0x0d: out.append(contentsOf: "&#13;".utf8)
                case 0x09: out.append(contentsOf: "&#9;".utf8)
                default: out.append(contentsOf: ("&#x" + String(b, radix: 16) + ";").utf8)
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
    }
}
