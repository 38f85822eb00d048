import Foundation

/// A JSON value as the daemon sent it, keeping booleans, integers and other
/// numbers apart.
indirect enum JSONValue: Decodable {
    case null, bool(Bool), int(Int), double(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    static func parse(_ bytes: [UInt8]) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }
}

/// Checks VALUE against an OpenAPI schema of DOC: types, required
/// properties, enums, and that no property is left undocumented. Returns the
/// problems, each with its JSON path.
func schemaProblems(_ value: JSONValue, _ schemaNode: YAML, doc: YAML, at path: String = "$") -> [String] {
    let schema = schemaNode.resolved(in: doc)
    guard let type = schema["type"]?.string else { return ["\(path): schema without a type"] }
    var out: [String] = []
    switch (type, value) {
    case ("object", .object(let obj)):
        for key in schema["required"]?.strings ?? [] where obj[key] == nil {
            out.append("\(path): required property \(key) is missing")
        }
        let props = schema["properties"]
        for (key, v) in obj.sorted(by: { $0.key < $1.key }) {
            if let p = props?[key] {
                out += schemaProblems(v, p, doc: doc, at: path + "." + key)
            } else if let extra = schema["additionalProperties"] {
                out += schemaProblems(v, extra, doc: doc, at: path + "." + key)
            } else {
                out.append("\(path): property \(key) is not in the schema")
            }
        }
    case ("array", .array(let items)):
        guard let itemSchema = schema["items"] else { return ["\(path): array schema without items"] }
        for (i, v) in items.enumerated() { out += schemaProblems(v, itemSchema, doc: doc, at: "\(path)[\(i)]") }
    case ("string", .string(let s)):
        if let allowed = schema["enum"]?.strings, !allowed.isEmpty, !allowed.contains(s) {
            out.append("\(path): \(s) is not one of \(allowed)")
        }
        if schema["format"]?.string == "date-time", Date.ISO8601FormatStyle(includingFractionalSeconds: true)
            .parseOrNil(s) == nil, (try? Date.ISO8601FormatStyle().parse(s)) == nil {
            out.append("\(path): \(s) is not an RFC 3339 date-time")
        }
    case ("integer", .int), ("number", .int), ("number", .double), ("boolean", .bool):
        break
    default:
        out.append("\(path): expected \(type), got \(value)")
    }
    return out
}

extension Date.ISO8601FormatStyle {
    func parseOrNil(_ s: String) -> Date? { try? parse(s) }
}
