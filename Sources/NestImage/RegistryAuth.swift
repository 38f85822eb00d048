import Foundation

/// A `WWW-Authenticate` challenge: `Bearer realm="…",service="…",scope="…"`
/// or `Basic realm="…"`.
struct RegistryChallenge: Equatable {
    var scheme: String
    var parameters: [String: String]

    /// Parses the scheme and its comma-separated key=value pairs (values
    /// quoted or bare, `\` escaping inside quotes). Nil for a header with no scheme.
    init?(header: String) {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return nil }
        let space = trimmed.firstIndex(of: " ") ?? trimmed.endIndex
        scheme = trimmed[..<space].lowercased()
        parameters = [:]
        var s = trimmed[space...].drop(while: { $0 == " " })
        while !s.isEmpty {
            guard let eq = s.firstIndex(of: "=") else { break }
            let key = s[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            s = s[s.index(after: eq)...]
            var value = ""
            if s.first == "\"" {
                s = s.dropFirst()
                var escaped = false
                while let c = s.first {
                    s = s.dropFirst()
                    if escaped { value.append(c); escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { break } else { value.append(c) }
                }
                s = s.drop(while: { $0 != "," })
            } else {
                let end = s.firstIndex(of: ",") ?? s.endIndex
                value = s[..<end].trimmingCharacters(in: .whitespaces)
                s = s[end...]
            }
            s = s.drop(while: { $0 == "," || $0 == " " })
            parameters[key] = value
        }
    }
}
