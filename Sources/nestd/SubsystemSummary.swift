import NestAPI

/// The components of a subsystem config and what each provides, for
/// GET /v1/containers/{id}. Reads only the `<start>`, `<provides>`/`<service>`
/// and `<resource>` elements; the full config is served as XML.
enum SubsystemSummary {
    static func components(_ xml: String) -> [ComponentSummary] {
        var out: [ComponentSummary] = []
        var current: ComponentSummary?
        var inProvides = false
        var depth = 0
        var startDepth = -1
        var i = xml.startIndex
        while let open = xml[i...].firstIndex(of: "<") {
            guard let close = xml[open...].firstIndex(of: ">") else { break }
            let tag = xml[xml.index(after: open)..<close]
            i = xml.index(after: close)
            if tag.hasPrefix("?") || tag.hasPrefix("!") { continue }
            let selfClosing = tag.hasSuffix("/")
            if tag.hasPrefix("/") {
                let name = tag.dropFirst()
                if name == "provides" { inProvides = false }
                depth -= 1
                if name == "start", depth == startDepth, let c = current { out.append(c); current = nil; startDepth = -1 }
                continue
            }
            let name = tag.prefix { $0 != " " && $0 != "/" }
            let attrs = attributes(String(tag))
            if name == "start", current == nil {
                current = ComponentSummary(name: attrs["name"] ?? "?", provides: [])
                startDepth = depth
            } else if name == "provides" {
                inProvides = !selfClosing
            } else if name == "service", inProvides, let n = attrs["name"] {
                current?.provides.append(n)
            } else if name == "resource", current != nil, let n = attrs["name"] {
                var res = current?.resources ?? [:]
                res[n] = attrs["quantum"] ?? attrs["limit"] ?? attrs.filter { $0.key != "name" }.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ",")
                current?.resources = res
            }
            if !selfClosing { depth += 1 }
        }
        return out
    }

    private static func attributes(_ tag: String) -> [String: String] {
        var out: [String: String] = [:]
        var rest = Substring(tag)
        while let eq = rest.firstIndex(of: "=") {
            let key = rest[..<eq].split(separator: " ").last.map(String.init) ?? ""
            let afterEq = rest.index(after: eq)
            guard afterEq < rest.endIndex else { break }
            let quote = rest[afterEq]
            guard quote == "\"" || quote == "'" else { break }
            let valStart = rest.index(after: afterEq)
            guard let valEnd = rest[valStart...].firstIndex(of: quote) else { break }
            out[key] = String(rest[valStart..<valEnd])
                .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&lt;", with: "<")
                .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
            rest = rest[rest.index(after: valEnd)...]
        }
        return out
    }
}
