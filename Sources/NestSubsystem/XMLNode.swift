import NestOCI

/// Reading side of the XML mapping: an element with its path in the
/// document, typed attribute access, and strictness (unknown attributes and
/// elements are errors, so a typo in a hand-written config is found).
struct XMLNode {
    let element: XMLElement
    let path: String

    init(_ element: XMLElement, path: String) {
        self.element = element
        self.path = path
    }

    func error(_ message: String, attribute: String? = nil) -> SpecError {
        SpecError(path: attribute.map { "\(path)@\($0)" } ?? path, message: message)
    }

    func check(attributes: Set<String>, children: Set<String> = []) throws {
        for (key, _) in element.attributes where !attributes.contains(key) {
            throw error("unknown attribute", attribute: key)
        }
        for child in element.children where !children.contains(child.name) {
            throw SpecError(path: "\(path)/\(child.name)", message: "unknown element <\(child.name)> in <\(element.name)>")
        }
    }

    func str(_ key: String) -> String? { element[key] }

    func req(_ key: String) throws -> String {
        guard let value = element[key] else { throw error("missing attribute", attribute: key) }
        return value
    }

    func int<T: FixedWidthInteger>(_ key: String, as: T.Type = T.self) throws -> T? {
        guard let text = element[key] else { return nil }
        guard let value = T(text) else { throw error("'\(text)' is not a valid \(T.self)", attribute: key) }
        return value
    }

    func reqInt<T: FixedWidthInteger>(_ key: String, as: T.Type = T.self) throws -> T {
        guard let value: T = try int(key) else { throw error("missing attribute", attribute: key) }
        return value
    }

    func octal(_ key: String) throws -> UInt32? {
        guard let text = element[key] else { return nil }
        guard let value = UInt32(text, radix: 8) else { throw error("'\(text)' is not an octal mode", attribute: key) }
        return value
    }

    func bool(_ key: String) throws -> Bool? {
        switch element[key] {
        case nil: return nil
        case "yes": return true
        case "no": return false
        case let other?: throw error("'\(other)' is neither yes nor no", attribute: key)
        }
    }

    /// A space-separated list; an empty attribute is an empty list, a missing one nil.
    func list(_ key: String) -> [String]? {
        element[key].map { $0.split(separator: " ").map(String.init) }
    }

    func kids(_ name: String) -> [XMLNode] {
        let matching = element.children(named: name)
        return matching.enumerated().map { index, child in
            XMLNode(child, path: "\(path)/\(name)" + (matching.count > 1 ? "[\(index)]" : ""))
        }
    }

    func one(_ name: String) throws -> XMLNode? {
        let matching = kids(name)
        if matching.count > 1 { throw SpecError(path: "\(path)/\(name)", message: "<\(name)> given \(matching.count) times") }
        return matching.first
    }

    /// `<NAME value="..."/>` children as strings, nil when there are none.
    func values(_ name: String) throws -> [String]? {
        let items = try kids(name).map { node in
            try node.check(attributes: ["value"])
            return try node.req("value")
        }
        return items.isEmpty ? nil : items
    }
}

// Writing side helpers.
extension XMLElement {
    mutating func set<T: BinaryInteger>(_ key: String, _ value: T?) {
        if let value { attributes.append((key, String(value))) }
    }

    mutating func set(_ key: String, _ value: Bool?) {
        if let value { attributes.append((key, value ? "yes" : "no")) }
    }

    mutating func set(_ key: String, list: [String]?) {
        if let list { attributes.append((key, list.joined(separator: " "))) }
    }

    mutating func set(_ key: String, octal value: UInt32?) {
        if let value {
            let digits = String(value, radix: 8)
            attributes.append((key, String(repeating: "0", count: max(0, 4 - digits.count)) + digits))
        }
    }

    mutating func add(values: [String]?, as name: String) {
        for value in values ?? [] { children.append(XMLElement(name, [("value", value)])) }
    }
}
