#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

public struct CredentialsError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Registry credentials, in the file `nestctl login` writes: Docker's
/// config.json shape, `{"auths": {"REGISTRY": {"auth": base64("user:password")}}}`,
/// mode 0600. nestd does the pulls, so the file is nestd's:
/// DATA/auth.json (`/var/lib/nest/auth.json` by default).
public struct RegistryCredentials: Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable { public var auth: String }
    private struct File: Codable { var auths: [String: Entry] }

    public var auths: [String: Entry] = [:]

    public init() {}

    public static func defaultPath(dataRoot: String = "/var/lib/nest") -> String { dataRoot + "/auth.json" }

    /// A missing file is no credentials; an unreadable one is an error naming it.
    public static func load(path: String) throws(CredentialsError) -> RegistryCredentials {
        guard let data = FileManager.default.contents(atPath: path) else {
            if access(path, F_OK) != 0 { return RegistryCredentials() }
            throw CredentialsError("\(path): cannot read")
        }
        do {
            var c = RegistryCredentials()
            c.auths = try JSONDecoder().decode(File.self, from: data).auths
            return c
        } catch { throw CredentialsError("\(path): not a credentials file (\(error))") }
    }

    /// Written to a temporary file created 0600 and renamed, so the secret is
    /// never readable by others, not even for a moment.
    public func save(path: String) throws(CredentialsError) {
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            try? FileManager.default.createDirectory(atPath: String(path[..<slash]), withIntermediateDirectories: true,
                                                     attributes: [.posixPermissions: 0o700])
        }
        let enc = JSONEncoder(); enc.outputFormatting = [.sortedKeys, .prettyPrinted]
        guard let data = try? enc.encode(File(auths: auths)) else { throw CredentialsError("\(path): cannot encode") }
        let tmp = path + ".tmp"
        unlink(tmp)
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw CredentialsError("\(tmp): \(String(cString: strerror(errno)))") }
        let ok = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) == $0.count } && fchmod(fd, 0o600) == 0 && fsync(fd) == 0
        close(fd)
        guard ok, rename(tmp, path) == 0 else {
            let e = errno; unlink(tmp)
            throw CredentialsError("\(path): \(String(cString: strerror(e)))")
        }
    }

    public mutating func set(registry: String, username: String, password: String) {
        auths[Self.key(registry)] = Entry(auth: Data("\(username):\(password)".utf8).base64EncodedString())
    }

    @discardableResult
    public mutating func remove(registry: String) -> Bool { auths.removeValue(forKey: Self.key(registry)) != nil }

    /// The `Basic` header value for a registry, if logged in.
    public func basic(for registry: String) -> String? {
        auths[Self.key(registry)].map { "Basic " + $0.auth }
    }

    public func username(for registry: String) -> String? {
        guard let e = auths[Self.key(registry)], let d = Data(base64Encoded: e.auth),
              let s = String(data: d, encoding: .utf8), let colon = s.firstIndex(of: ":") else { return nil }
        return String(s[..<colon])
    }

    /// Docker Hub is stored under one key whatever name was typed.
    static func key(_ registry: String) -> String {
        ["docker.io", "index.docker.io", "registry-1.docker.io"].contains(registry) ? "docker.io" : registry
    }
}
