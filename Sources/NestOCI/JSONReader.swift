/// A value of a parsed JSON document together with where it is, for reading
/// it into typed fields by hand. It replaces a Codable `Decoder` on the hot
/// path: generic containers and protocol casts cost more at run time (metadata
/// instantiation, conformance scans) than parsing the document does.
///
/// The errors are those the `SpecDecoder` gives for the same input, message
/// and path alike, so both readers can be checked against each other.
public struct JSONReader: Sendable {
    let value: JSONValue
    /// Rendered path of the enclosing object or array ("" at the top).
    let base: String
    let step: Step

    enum Step: Sendable {
        case top
        case member(String)
        case index(Int)
    }

    init(_ value: JSONValue, base: String = "", step: Step = .top) {
        self.value = value
        self.base = base
        self.step = step
    }

    /// Parses a whole document; syntax errors name line and column.
    public static func parse(_ bytes: [UInt8]) throws(SpecError) -> JSONReader {
        JSONReader(try JSONParser.parse(bytes))
    }

    /// The JSON path of this value. Rendered only when needed (an error, a
    /// nested object or array) so that reading a plain field costs nothing.
    public var path: String {
        switch step {
        case .top: base
        case .member(let key): JSONPath.member(base, key)
        case .index(let index): JSONPath.index(base, index)
        }
    }

    public var isNull: Bool {
        if case .null = value { return true }
        return false
    }

    func mismatch(_ expected: String) -> SpecError {
        SpecError(path: path, message: "must be \(expected), found \(value.kindDescription)")
    }

    public func object() throws(SpecError) -> JSONObject {
        guard case .object(let members) = value else { throw mismatch("an object") }
        return JSONObject(members: members, path: path)
    }

    public func array<T>(_ element: (JSONReader) throws(SpecError) -> T) throws(SpecError) -> [T] {
        guard case .array(let elements) = value else { throw mismatch("an array") }
        let path = path
        var result: [T] = []
        result.reserveCapacity(elements.count)
        for (index, item) in elements.enumerated() {
            result.append(try element(JSONReader(item, base: path, step: .index(index))))
        }
        return result
    }

    /// An object read as a dictionary of `element`s.
    public func map<T>(_ element: (JSONReader) throws(SpecError) -> T) throws(SpecError) -> [String: T] {
        guard case .object(let members) = value else { throw mismatch("an object") }
        let path = path
        var result: [String: T] = [:]
        result.reserveCapacity(members.count)
        // In key order, so that of several bad entries the same one is
        // reported every time (a dictionary's order changes between runs;
        // the Codable path reports whichever it meets first).
        for (key, item) in members.sorted(by: { $0.key < $1.key }) {
            // Swift's Dictionary decoding makes keys that read as integers
            // integer coding keys, which paths render as an index (`[5]`,
            // not `["5"]`); kept so that both readers name the same path.
            let step: Step = Int(key).map { .index($0) } ?? .member(key)
            result[key] = try element(JSONReader(item, base: path, step: step))
        }
        return result
    }

    public func string() throws(SpecError) -> String {
        guard case .string(let string) = value else { throw mismatch("a string") }
        return string
    }

    public func bool() throws(SpecError) -> Bool {
        guard case .bool(let bool) = value else { throw mismatch("a boolean") }
        return bool
    }

    public func integer<I: FixedWidthInteger>(_ type: I.Type = I.self) throws(SpecError) -> I {
        let expected = "an integer between \(I.min) and \(I.max)"
        guard case .number(let text) = value else { throw mismatch(expected) }
        if let result = I(text, radix: 10) {
            return result
        }
        if text.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 | 0x20 == UInt8(ascii: "e") }) {
            throw SpecError(path: path, message: "must be \(expected), found \(text)")
        }
        throw SpecError(path: path, message: "number \(text) is out of range (must be between \(I.min) and \(I.max))")
    }

    public func strings() throws(SpecError) -> [String] {
        try array { item throws(SpecError) in try item.string() }
    }

    public func stringMap() throws(SpecError) -> [String: String] {
        try map { item throws(SpecError) in try item.string() }
    }
}

/// The members of a JSON object. Unknown members are ignored: the spec
/// requires it of runtimes, and it lets older readers take newer files.
public struct JSONObject: Sendable {
    let members: [String: JSONValue]
    public let path: String

    /// The member `key`; "is required" when it is absent (null is returned
    /// as is, for the reading function to reject).
    public func required(_ key: String) throws(SpecError) -> JSONReader {
        guard let value = members[key] else {
            throw SpecError(path: JSONPath.member(path, key), message: "is required")
        }
        return JSONReader(value, base: path, step: .member(key))
    }

    /// The member `key`, nil when it is absent or null: an optional field
    /// given as null means the same as a missing one.
    public func optional(_ key: String) -> JSONReader? {
        guard let value = members[key] else { return nil }
        if case .null = value { return nil }
        return JSONReader(value, base: path, step: .member(key))
    }
}
