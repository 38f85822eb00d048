/// A `Decoder` over a parsed `JSONValue` whose errors are `SpecError`s
/// naming the JSON path and the expected kind of value.
struct SpecDecoder: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else {
            throw mismatch(value, expected: "an object", at: codingPath)
        }
        return KeyedDecodingContainer(KeyedContainer<Key>(members: members, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else {
            throw mismatch(value, expected: "an array", at: codingPath)
        }
        return UnkeyedContainer(elements: elements, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleValueContainer(value: value, codingPath: codingPath)
    }
}

private struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { "\(intValue!)" }
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

private func mismatch(_ value: JSONValue, expected: String, at path: [any CodingKey]) -> SpecError {
    SpecError(path: JSONPath.render(path), message: "must be \(expected), found \(value.kindDescription)")
}

private func integerDescription<I: FixedWidthInteger>(_ type: I.Type) -> String {
    "an integer between \(I.min) and \(I.max)"
}

private func decodeInteger<I: FixedWidthInteger>(_ type: I.Type, _ value: JSONValue, _ path: [any CodingKey]) throws -> I {
    guard case .number(let text) = value else {
        throw mismatch(value, expected: integerDescription(I.self), at: path)
    }
    if let result = I(text, radix: 10) {
        return result
    }
    if text.utf8.contains(where: { $0 == UInt8(ascii: ".") || $0 | 0x20 == UInt8(ascii: "e") }) {
        throw SpecError(path: JSONPath.render(path), message: "must be \(integerDescription(I.self)), found \(text)")
    }
    throw SpecError(
        path: JSONPath.render(path),
        message: "number \(text) is out of range (must be between \(I.min) and \(I.max))")
}

private func decodeAny<T: Decodable>(_ type: T.Type, _ value: JSONValue, _ path: [any CodingKey]) throws -> T {
    if T.self == String.self {
        guard case .string(let string) = value else { throw mismatch(value, expected: "a string", at: path) }
        return string as! T
    }
    if T.self == Bool.self {
        guard case .bool(let bool) = value else { throw mismatch(value, expected: "a boolean", at: path) }
        return bool as! T
    }
    // Explicit comparisons, not `T.self as? any FixedWidthInteger.Type`: a
    // dynamic protocol cast scans the whole conformance table whenever it
    // fails, which it does for every struct decoded.
    if T.self == Int.self { return try decodeInteger(Int.self, value, path) as! T }
    if T.self == Int8.self { return try decodeInteger(Int8.self, value, path) as! T }
    if T.self == Int16.self { return try decodeInteger(Int16.self, value, path) as! T }
    if T.self == Int32.self { return try decodeInteger(Int32.self, value, path) as! T }
    if T.self == Int64.self { return try decodeInteger(Int64.self, value, path) as! T }
    if T.self == UInt.self { return try decodeInteger(UInt.self, value, path) as! T }
    if T.self == UInt8.self { return try decodeInteger(UInt8.self, value, path) as! T }
    if T.self == UInt16.self { return try decodeInteger(UInt16.self, value, path) as! T }
    if T.self == UInt32.self { return try decodeInteger(UInt32.self, value, path) as! T }
    if T.self == UInt64.self { return try decodeInteger(UInt64.self, value, path) as! T }
    if T.self == Double.self || T.self == Float.self {
        guard case .number(let text) = value, let double = Double(text), double.isFinite else {
            throw mismatch(value, expected: "a finite number", at: path)
        }
        if T.self == Float.self { return Float(double) as! T }
        return double as! T
    }
    return try T(from: SpecDecoder(value: value, codingPath: path))
}

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [String: JSONValue]
    let codingPath: [any CodingKey]

    var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

    private func value(_ key: Key) throws -> JSONValue {
        guard let value = members[key.stringValue] else {
            throw SpecError(path: JSONPath.render(codingPath + [key]), message: "is required")
        }
        return value
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        if case .null = try value(key) { return true }
        return false
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try decodeAny(T.self, value(key), codingPath + [key])
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try decodeAny(type, value(key), codingPath + [key]) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try decodeAny(type, value(key), codingPath + [key]) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try decodeAny(type, value(key), codingPath + [key]) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try decodeAny(type, value(key), codingPath + [key]) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try decodeAny(type, value(key), codingPath + [key]) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try decodeAny(type, value(key), codingPath + [key]) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try decodeAny(type, value(key), codingPath + [key]) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try decodeAny(type, value(key), codingPath + [key]) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try decodeAny(type, value(key), codingPath + [key]) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try decodeAny(type, value(key), codingPath + [key]) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try decodeAny(type, value(key), codingPath + [key]) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try decodeAny(type, value(key), codingPath + [key]) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try decodeAny(type, value(key), codingPath + [key]) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try decodeAny(type, value(key), codingPath + [key]) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try SpecDecoder(value: value(key), codingPath: codingPath + [key]).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try SpecDecoder(value: value(key), codingPath: codingPath + [key]).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        SpecDecoder(value: .object(members), codingPath: codingPath)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        SpecDecoder(value: members[key.stringValue] ?? .null, codingPath: codingPath + [key])
    }
}

private struct UnkeyedContainer: UnkeyedDecodingContainer {
    let elements: [JSONValue]
    let codingPath: [any CodingKey]
    var currentIndex = 0

    init(elements: [JSONValue], codingPath: [any CodingKey]) {
        self.elements = elements
        self.codingPath = codingPath
    }

    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    private mutating func next() throws -> (JSONValue, [any CodingKey]) {
        let path = codingPath + [IndexKey(currentIndex)]
        guard !isAtEnd else {
            throw SpecError(path: JSONPath.render(path), message: "is required (array too short)")
        }
        defer { currentIndex += 1 }
        return (elements[currentIndex], path)
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else { return false }
        if case .null = elements[currentIndex] {
            currentIndex += 1
            return true
        }
        return false
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (value, path) = try next()
        return try decodeAny(T.self, value, path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        let (value, path) = try next()
        return try SpecDecoder(value: value, codingPath: path).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (value, path) = try next()
        return try SpecDecoder(value: value, codingPath: path).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (value, path) = try next()
        return SpecDecoder(value: value, codingPath: path)
    }
}

private struct SingleValueContainer: SingleValueDecodingContainer {
    let value: JSONValue
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool {
        if case .null = value { return true }
        return false
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decodeAny(T.self, value, codingPath) }
    func decode(_ type: Bool.Type) throws -> Bool { try decodeAny(type, value, codingPath) }
    func decode(_ type: String.Type) throws -> String { try decodeAny(type, value, codingPath) }
    func decode(_ type: Double.Type) throws -> Double { try decodeAny(type, value, codingPath) }
    func decode(_ type: Float.Type) throws -> Float { try decodeAny(type, value, codingPath) }
    func decode(_ type: Int.Type) throws -> Int { try decodeAny(type, value, codingPath) }
    func decode(_ type: Int8.Type) throws -> Int8 { try decodeAny(type, value, codingPath) }
    func decode(_ type: Int16.Type) throws -> Int16 { try decodeAny(type, value, codingPath) }
    func decode(_ type: Int32.Type) throws -> Int32 { try decodeAny(type, value, codingPath) }
    func decode(_ type: Int64.Type) throws -> Int64 { try decodeAny(type, value, codingPath) }
    func decode(_ type: UInt.Type) throws -> UInt { try decodeAny(type, value, codingPath) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try decodeAny(type, value, codingPath) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try decodeAny(type, value, codingPath) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try decodeAny(type, value, codingPath) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decodeAny(type, value, codingPath) }
}

extension Spec {
    /// Decodes a config.json. Throws `SpecError` naming the JSON path of the
    /// first problem (syntax errors name line and column instead). Does not
    /// validate: call `validate()` or `validated()` for the spec's MUSTs.
    ///
    /// Reads the parsed document with the hand-written `init(json:)`s, not
    /// with Codable: this runs for every container, and Codable's generic
    /// containers cost more CPU than the rest of reading the bundle.
    public static func decode(_ bytes: [UInt8]) throws(SpecError) -> Spec {
        try Spec(json: JSONReader.parse(bytes))
    }

    public static func decode(_ json: String) throws(SpecError) -> Spec {
        try decode(Array(json.utf8))
    }

    /// The same through `Decodable` and `SpecDecoder`: kept so that tests can
    /// hold the two readers to the same results and errors.
    static func decodeWithCodable(_ bytes: [UInt8]) throws(SpecError) -> Spec {
        let value = try JSONParser.parse(bytes)
        do {
            return try Spec(from: SpecDecoder(value: value, codingPath: []))
        } catch let error as SpecError {
            throw error
        } catch let error as DecodingError {
            throw SpecError(decodingError: error)
        } catch {
            throw SpecError(path: "", message: "\(error)")
        }
    }
}

extension SpecError {
    /// For decoders other than Nest's own (a Spec embedded in another JSON type).
    public init(decodingError: DecodingError) {
        switch decodingError {
        case .typeMismatch(let type, let context):
            self.init(path: JSONPath.render(context.codingPath), message: "must be of type \(type)")
        case .valueNotFound(let type, let context):
            self.init(path: JSONPath.render(context.codingPath), message: "must be of type \(type), found null")
        case .keyNotFound(let key, let context):
            self.init(path: JSONPath.render(context.codingPath + [key]), message: "is required")
        case .dataCorrupted(let context):
            self.init(path: JSONPath.render(context.codingPath), message: context.debugDescription)
        @unknown default:
            self.init(path: "", message: "\(decodingError)")
        }
    }
}
