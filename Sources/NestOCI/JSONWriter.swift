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
    public mutating func number(_ text: String) {
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

    private mutating func writeString(_ string: String) {
        Self.appendString(string, to: &bytes)
    }

    /// A JSON string, RFC 8259 escaping: the quote, the backslash and every
    /// control character (\b \f \n \r \t, else \u00XX); everything else,
    /// "/" and non-ASCII included, as is (JSONEncoder's output with
    /// `.withoutEscapingSlashes`). Runs without escapes are copied whole.
    public static func appendString(_ string: String, to bytes: inout [UInt8]) {
        bytes.append(0x22)
        var string = string
        string.withUTF8 { utf8 in
            var start = 0
            for (i, b) in utf8.enumerated() where b < 0x20 || b == 0x22 || b == 0x5C {
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<i]))
                start = i + 1
                switch b {
                case 0x22: bytes += [0x5C, 0x22]
                case 0x5C: bytes += [0x5C, 0x5C]
                case 0x08: bytes += [0x5C, UInt8(ascii: "b")]
                case 0x0C: bytes += [0x5C, UInt8(ascii: "f")]
                case 0x0A: bytes += [0x5C, UInt8(ascii: "n")]
                case 0x0D: bytes += [0x5C, UInt8(ascii: "r")]
                case 0x09: bytes += [0x5C, UInt8(ascii: "t")]
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    bytes += [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(b >> 4)], hex[Int(b & 0xF)]]
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        bytes.append(0x22)
    }
}
