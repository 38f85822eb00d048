/// A docker-style image reference: `busybox`, `busybox:1.36`,
/// `localhost:5000/x/y:tag`, `name@sha256:…`. The first path component is a
/// registry host only when it looks like one (has a dot or a colon, or is
/// `localhost`), as Docker decides; otherwise the image is on Docker Hub.
public struct RegistryReference: Sendable, Equatable, CustomStringConvertible {
    /// The host (and port) as written, e.g. `docker.io`, `127.0.0.1:5000`.
    public var registry: String
    /// The repository path inside the registry, e.g. `library/busybox`.
    public var repository: String
    public var tag: String?
    public var digest: String?

    public static let dockerHub = "docker.io"

    /// The host the /v2 API is served on: Docker Hub's API is not on docker.io.
    public var apiHost: String { registry == Self.dockerHub ? "registry-1.docker.io" : registry }

    /// What the manifest is fetched by: the digest when one is given.
    public var manifestReference: String { digest ?? tag ?? "latest" }

    /// The name images are recorded under: `registry/repository:tag`, with
    /// Docker Hub's prefixes left out as people write them.
    public var familiarName: String {
        var repo = repository
        if registry == Self.dockerHub {
            if repo.hasPrefix("library/") { repo.removeFirst("library/".count) }
        } else {
            repo = registry + "/" + repo
        }
        if let digest { return tag.map { "\(repo):\($0)@\(digest)" } ?? "\(repo)@\(digest)" }
        return "\(repo):\(tag ?? "latest")"
    }

    public var description: String { familiarName }

    public init(registry: String, repository: String, tag: String?, digest: String?) {
        self.registry = registry; self.repository = repository; self.tag = tag; self.digest = digest
    }

    public init(parsing text: String) throws(RegistryError) {
        func bad(_ why: String) -> RegistryError { RegistryError("image reference \"\(text)\": \(why)") }
        guard !text.isEmpty else { throw bad("empty") }
        guard !text.contains(where: \.isWhitespace) else { throw bad("contains white space") }
        var rest = Substring(text)
        var digest: String?
        if let at = rest.firstIndex(of: "@") {
            let d = String(rest[rest.index(after: at)...])
            guard Self.isDigest(d) else { throw bad("digest \"\(d)\" is not sha256: and 64 lower-case hex digits") }
            digest = d
            rest = rest[..<at]
        }
        var tag: String?
        // A colon after the last slash is a tag; one before it is a port.
        let lastSlash = rest.lastIndex(of: "/")
        if let colon = rest.lastIndex(of: ":"), lastSlash.map({ colon > $0 }) ?? true {
            let t = String(rest[rest.index(after: colon)...])
            guard Self.isTag(t) else { throw bad("tag \"\(t)\" is not 1 to 128 of [A-Za-z0-9_.-], not starting with . or -") }
            tag = t
            rest = rest[..<colon]
        }
        var components = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !components.isEmpty, !components.contains(where: \.isEmpty) else { throw bad("empty path component") }
        var registry = Self.dockerHub
        if components.count > 1, components[0].contains(".") || components[0].contains(":") || components[0] == "localhost" {
            registry = components.removeFirst()
            guard Self.isHost(registry) else { throw bad("registry \"\(registry)\" is not a host name with an optional port") }
        }
        if registry == "index.docker.io" { registry = Self.dockerHub }
        for c in components where !Self.isPathComponent(c) {
            throw bad("repository component \"\(c)\" is not lower-case letters, digits and . _ - separators")
        }
        if registry == Self.dockerHub && components.count == 1 { components.insert("library", at: 0) }
        if tag == nil && digest == nil { tag = "latest" }
        self.init(registry: registry, repository: components.joined(separator: "/"), tag: tag, digest: digest)
    }

    static func isDigest(_ s: String) -> Bool {
        guard s.hasPrefix("sha256:") else { return false }
        let hex = s.dropFirst(7)
        return hex.count == 64 && hex.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
    }

    static func isTag(_ s: String) -> Bool {
        guard (1...128).contains(s.count), let f = s.first, f != ".", f != "-" else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }
    }

    static func isPathComponent(_ s: String) -> Bool {
        guard let f = s.first, let l = s.last, f.isASCII, f.isLowercase || f.isNumber, l.isLowercase || l.isNumber
        else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || "._-".contains($0)) }
    }

    static func isHost(_ s: String) -> Bool {
        if s.hasPrefix("[") { return s.contains("]") }   // [::1]:5000
        let parts = s.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, let host = parts.first, !host.isEmpty,
              host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-".contains($0)) }) else { return false }
        if parts.count == 2 { return UInt16(parts[1]) != nil }
        return true
    }

    /// The host part without the port, for the loopback check.
    public var hostName: String {
        if registry.hasPrefix("["), let end = registry.firstIndex(of: "]") {
            return String(registry[registry.index(after: registry.startIndex)..<end])
        }
        return String(registry.split(separator: ":").first ?? "")
    }

    public var isLoopback: Bool { ["localhost", "127.0.0.1", "::1"].contains(hostName) }
}
