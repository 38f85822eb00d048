/// Writes JSON text for the small records Nest keeps (container state),
/// without Foundation's encoder, whose Codable machinery costs more CPU per
/// container than the rest of writing the record.
///
/// The output is what `JSONEncoder` with `.prettyPrinted` (when `pretty`)
/// and `.withoutEscapingSlashes` writes, so files look as they always did.
/// Key order is the caller's: write members in sorted order where the
/// output must be stable.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    private let pretty: Bool
    /// One entry per open object or array: whether it has a member yet.
    private var open: [Bool] = []
    /// A key was just written: the value follows it on the same line.
    private var afterKey = false

    public init(pretty: Bool = true) {
        self.pretty = pretty
    }

    public mutating func beginObject() {
        beginValue()
        bytes.append(UInt8(ascii: "{"))
        open.append(false)
    }

    public mutating func endObject() { end(UInt8(ascii: "}")) }

    public mutating func beginArray() {
        beginValue()
        bytes.append(UInt8(ascii: "["))
        open.append(false)
    }

    public mutating func endArray() { end(UInt8(ascii: "]")) }

    /// The name of the next member of the open object.
    public mutating func key(_ key: String) {
        beginValue()
        writeString(key)
        bytes.append(contentsOf: pretty ? [0x20, UInt8(ascii: ":"), 0x20] : [UInt8(ascii: ":")])
        afterKey = true
    }

    public mutating func string(_ value: String) {
        beginValue()
        writeString(value)
    }

    public mutating func integer<I: BinaryInteger>(_ value: I) {
        beginValue()
        bytes.append(contentsOf: String(value).utf8)
    }

    /// A number as the parser kept it (the text of the document).
    mutating func number(_ text: String) {
        beginValue()
        bytes.append(contentsOf: text.utf8)
    }

    public mutating func bool(_ value: Bool) {
        beginValue()
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    public mutating func null() {
        beginValue()
        bytes.append(contentsOf: "null".utf8)
    }

    /// Comma and indentation before a value or key; nothing after a key.
    private mutating func beginValue() {
        if afterKey {
            afterKey = false
            return
        }
        guard let hasMember = open.last else { return }
        if hasMember { bytes.append(UInt8(ascii: ",")) }
        open[open.count - 1] = true
        newline(depth: open.count)
    }

    private mutating func end(_ closer: UInt8) {
        let hadMember = open.removeLast()
        // JSONEncoder writes an empty container as an empty line.
        if pretty && !hadMember { bytes.append(UInt8(ascii: "\n")) }
        newline(depth: open.count)
        bytes.append(closer)
    }

    private mutating func newline(depth: Int) {
        guard pretty else { return }
        bytes.append(UInt8(ascii: "\n"))
        bytes.append(contentsOf: repeatElement(0x20, count: 2 * depth))
    }

    /// RFC 8259 escaping: the quote, the backslash and every control
    /// character; everything else, "/" and non-ASCII included, as is.
    private mutating func writeString(_ string: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, UInt8(ascii: "\"")])
            case 0x5C: bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x08: bytes.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                          hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
