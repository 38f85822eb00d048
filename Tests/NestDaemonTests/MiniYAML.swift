import Foundation

/// The subset of YAML that docs/api/openapi.yaml is written in: block
/// mappings, block sequences (of scalars or mappings), flow sequences of
/// scalars (`[a, b]`), plain and quoted scalars, whole-line comments.
/// Enough to read the API description without a YAML package.
indirect enum YAML: Equatable {
    case map([String: YAML], order: [String])
    case list([YAML])
    case scalar(String)

    subscript(_ key: String) -> YAML? {
        if case .map(let m, _) = self { return m[key] }
        return nil
    }
    var keys: [String] { if case .map(_, let o) = self { return o }; return [] }
    var items: [YAML] { if case .list(let l) = self { return l }; return [] }
    var string: String? { if case .scalar(let s) = self { return s }; return nil }
    var strings: [String] { items.compactMap(\.string) }

    /// Follows `$ref: "#/a/b/c"` within DOC.
    func resolved(in doc: YAML) -> YAML {
        guard let ref = self["$ref"]?.string, ref.hasPrefix("#/") else { return self }
        var node: YAML? = doc
        for part in ref.dropFirst(2).split(separator: "/") { node = node?[String(part)] }
        return node?.resolved(in: doc) ?? self
    }

    static func parse(_ text: String) throws -> YAML {
        var lines: [(indent: Int, text: String)] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let body = raw.drop { $0 == " " }
            if body.isEmpty || body.hasPrefix("#") { continue }
            lines.append((raw.count - body.count, String(body)))
        }
        var p = Parser(lines: lines)
        return try p.block(indent: lines.first?.indent ?? 0)
    }

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    private struct Parser {
        var lines: [(indent: Int, text: String)]
        var i = 0

        mutating func block(indent: Int) throws -> YAML {
            guard i < lines.count else { return .scalar("") }
            if lines[i].text == "-" || lines[i].text.hasPrefix("- ") { return try list(indent: indent) }
            var m: [String: YAML] = [:], order: [String] = []
            while i < lines.count, lines[i].indent == indent {
                let t = lines[i].text
                guard let (key, rest) = Self.splitKey(t) else { throw ParseError(description: "line \(i): expected KEY: \(t)") }
                i += 1
                let value: YAML
                if rest.isEmpty {
                    if i < lines.count, lines[i].indent > indent { value = try block(indent: lines[i].indent) }
                    else if i < lines.count, lines[i].indent == indent, lines[i].text.hasPrefix("- ") { value = try list(indent: indent) }
                    else { value = .scalar("") }
                } else {
                    value = Self.inline(rest)
                }
                m[key] = value
                order.append(key)
            }
            if i < lines.count, lines[i].indent > indent { throw ParseError(description: "line \(i): bad indentation") }
            return .map(m, order: order)
        }

        mutating func list(indent: Int) throws -> YAML {
            var out: [YAML] = []
            while i < lines.count, lines[i].indent == indent, lines[i].text.hasPrefix("- ") {
                let rest = String(lines[i].text.dropFirst(2))
                if Self.splitKey(rest) != nil {
                    // a mapping item: its first key continues at indent + 2
                    lines[i] = (indent + 2, rest)
                    out.append(try block(indent: indent + 2))
                } else {
                    out.append(Self.inline(rest))
                    i += 1
                }
            }
            return .list(out)
        }

        static func splitKey(_ t: String) -> (String, String)? {
            if t.hasPrefix("\"") || t.hasPrefix("'") {
                let q = t.first!
                guard let close = t.dropFirst().firstIndex(of: q) else { return nil }
                let after = t[t.index(after: close)...]
                guard after.hasPrefix(":") else { return nil }
                return (String(t[t.index(after: t.startIndex)..<close]), after.dropFirst().trimmingCharacters(in: .whitespaces))
            }
            if t.hasSuffix(":") && !t.contains(": ") { return (String(t.dropLast()), "") }
            guard let r = t.range(of: ": ") else { return nil }
            return (String(t[..<r.lowerBound]), String(t[r.upperBound...]).trimmingCharacters(in: .whitespaces))
        }

        static func inline(_ s: String) -> YAML {
            if s.hasPrefix("[") && s.hasSuffix("]") {
                let inner = s.dropFirst().dropLast()
                return .list(inner.split(separator: ",").map { .scalar(unquote($0.trimmingCharacters(in: .whitespaces))) })
            }
            return .scalar(unquote(s))
        }

        static func unquote(_ s: String) -> String {
            guard s.count >= 2, let f = s.first, f == "\"" || f == "'", s.last == f else { return s }
            return String(s.dropFirst().dropLast())
        }
    }
}
