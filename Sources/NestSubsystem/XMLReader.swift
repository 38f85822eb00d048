/// A strict parser for the subset of XML the subsystem format uses: a
/// prolog, comments, elements with attributes, whitespace between elements.
/// Text content, CDATA, DTDs and processing instructions other than the
/// prolog are refused with the line and column where they start.
public struct XMLSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var message: String
    public var description: String { "line \(line), column \(column): \(message)" }

    public init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }
}

public enum XMLReader {
    /// Elements nest a few levels deep in a subsystem; the cap keeps a
    /// hostile document from exhausting the stack.
    public static let maxDepth = 64

    public static func parse(_ text: String) throws(XMLSyntaxError) -> XMLElement {
        var parser = Parser(bytes: Array(text.utf8))
        return try parser.document()
    }
}

private struct Parser {
    let bytes: [UInt8]
    var pos = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    func fail(_ message: String, at offset: Int? = nil) -> XMLSyntaxError {
        let end = min(offset ?? pos, bytes.count)
        var line = 1, column = 1
        for b in bytes[0..<end] {
            if b == UInt8(ascii: "\n") { line += 1; column = 1 } else { column += 1 }
        }
        return XMLSyntaxError(line: line, column: column, message: message)
    }

    var atEnd: Bool { pos >= bytes.count }

    func peek(_ s: String) -> Bool {
        let u = Array(s.utf8)
        return pos + u.count <= bytes.count && Array(bytes[pos..<pos + u.count]) == u
    }

    mutating func skipSpace() {
        while !atEnd, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[pos]) { pos += 1 }
    }

    mutating func skipMisc() throws(XMLSyntaxError) {
        while true {
            skipSpace()
            if peek("<!--") {
                let start = pos
                pos += 4
                while !atEnd && !peek("-->") { pos += 1 }
                if atEnd { throw fail("unterminated comment", at: start) }
                pos += 3
            } else {
                return
            }
        }
    }

    mutating func document() throws(XMLSyntaxError) -> XMLElement {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { pos = 3 }
        skipSpace()
        if peek("<?xml") {
            let start = pos
            while !atEnd && !peek("?>") { pos += 1 }
            if atEnd { throw fail("unterminated XML declaration", at: start) }
            pos += 2
        }
        try skipMisc()
        guard peek("<") else { throw fail(atEnd ? "no root element" : "expected an element") }
        let root = try element(depth: 1)
        try skipMisc()
        if !atEnd { throw fail("content after the root element") }
        return root
    }

    mutating func name() throws(XMLSyntaxError) -> String {
        let start = pos
        while !atEnd {
            let b = bytes[pos]
            let ok = (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39)
                || b == UInt8(ascii: "-") || b == UInt8(ascii: "_") || b == UInt8(ascii: ".") || b == UInt8(ascii: ":")
            if !ok { break }
            pos += 1
        }
        if start == pos { throw fail("expected a name") }
        return String(decoding: bytes[start..<pos], as: UTF8.self)
    }

    mutating func element(depth: Int) throws(XMLSyntaxError) -> XMLElement {
        if depth > XMLReader.maxDepth { throw fail("elements nested deeper than \(XMLReader.maxDepth)") }
        pos += 1  // <
        if peek("!") || peek("?") { throw fail("unsupported markup") }
        var element = XMLElement(try name())
        while true {
            let hadSpace = !atEnd && [0x20, 0x09, 0x0A, 0x0D].contains(bytes[pos])
            skipSpace()
            if atEnd { throw fail("unterminated element <\(element.name)>") }
            if peek("/>") { pos += 2; return element }
            if peek(">") { pos += 1; break }
            if !hadSpace { throw fail("expected whitespace before an attribute") }
            let key = try name()
            if element[key] != nil { throw fail("attribute \(key) given twice") }
            skipSpace()
            guard peek("=") else { throw fail("expected = after attribute \(key)") }
            pos += 1
            skipSpace()
            element.attributes.append((key, try quoted()))
        }
        while true {
            try skipMisc()
            if atEnd { throw fail("unterminated element <\(element.name)>") }
            if peek("</") {
                let tagStart = pos
                pos += 2
                let closing = try name()
                if closing != element.name { throw fail("</\(closing)> closes <\(element.name)>", at: tagStart) }
                skipSpace()
                guard peek(">") else { throw fail("expected >") }
                pos += 1
                return element
            }
            guard peek("<") else { throw fail("text content is not allowed in <\(element.name)>") }
            element.children.append(try self.element(depth: depth + 1))
        }
    }

    mutating func quoted() throws(XMLSyntaxError) -> String {
        guard !atEnd, bytes[pos] == UInt8(ascii: "\"") || bytes[pos] == UInt8(ascii: "'") else {
            throw fail("expected a quoted attribute value")
        }
        let quote = bytes[pos]
        pos += 1
        var out: [UInt8] = []
        while true {
            if atEnd { throw fail("unterminated attribute value") }
            let b = bytes[pos]
            if b == quote { pos += 1; break }
            if b == UInt8(ascii: "<") { throw fail("< in an attribute value") }
            if b == UInt8(ascii: "&") {
                out += try reference()
                continue
            }
            // XML 1.0 has no other C0 control characters, and the writer
            // never puts one in raw (a NUL is not written at all): taking a
            // raw NUL here would read what the writer cannot write back.
            if b < 0x20 && b != 0x0A && b != 0x09 && b != 0x0D {
                throw fail("control character 0x\(String(b, radix: 16)) in an attribute value")
            }
            // Attribute-value normalization: literal whitespace becomes a space.
            out.append(b == 0x0A || b == 0x09 || b == 0x0D ? 0x20 : b)
            pos += 1
        }
        guard let text = String(validating: out, as: UTF8.self) else { throw fail("attribute value is not UTF-8") }
        return text
    }

    mutating func reference() throws(XMLSyntaxError) -> [UInt8] {
        let start = pos
        pos += 1
        while !atEnd && bytes[pos] != UInt8(ascii: ";") && pos - start < 12 { pos += 1 }
        guard !atEnd, bytes[pos] == UInt8(ascii: ";") else { throw fail("unterminated character reference", at: start) }
        let body = String(decoding: bytes[(start + 1)..<pos], as: UTF8.self)
        pos += 1
        switch body {
        case "amp": return Array("&".utf8)
        case "lt": return Array("<".utf8)
        case "gt": return Array(">".utf8)
        case "quot": return Array("\"".utf8)
        case "apos": return Array("'".utf8)
        default:
            var value: UInt32?
            if body.hasPrefix("#x") { value = UInt32(body.dropFirst(2), radix: 16) }
            else if body.hasPrefix("#") { value = UInt32(body.dropFirst(1)) }
            guard let v = value, let scalar = Unicode.Scalar(v), v != 0 else {
                throw fail("unknown reference &\(body);", at: start)
            }
            return Array(String(Character(scalar)).utf8)
        }
    }
}
