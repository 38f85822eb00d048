#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// POST /v1/images/pull.
public struct PullRequest: Codable, Sendable, Equatable {
    public var ref: String
    /// Plain HTTP for a registry on localhost, 127.0.0.1 or ::1.
    public var insecure: Bool?
    /// Registries (host[:port]) allowed plain HTTP wherever they are.
    public var insecureRegistries: [String]?

    public init(ref: String, insecure: Bool? = nil, insecureRegistries: [String]? = nil) {
        self.ref = ref; self.insecure = insecure; self.insecureRegistries = insecureRegistries
    }
}

/// The image a pull made, as the last line of its stream names it.
public struct PulledImageInfo: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var manifestDigest: String
    public var layers: [String]
    public var size: Int64

    public init(id: String, name: String, manifestDigest: String, layers: [String], size: Int64) {
        self.id = id; self.name = name; self.manifestDigest = manifestDigest; self.layers = layers; self.size = size
    }
}

/// One line of the pull's application/x-ndjson answer: a layer's progress
/// (`layer`, `done`, `total`, `rate` in bytes per second, `cached` when it was
/// already stored), then `image` or `error`.
public struct PullLine: Codable, Sendable, Equatable {
    public var layer: String?
    public var done: Int64?
    public var total: Int64?
    public var rate: Double?
    public var cached: Bool?
    public var image: PulledImageInfo?
    public var error: String?

    public init(layer: String? = nil, done: Int64? = nil, total: Int64? = nil, rate: Double? = nil, cached: Bool? = nil,
                image: PulledImageInfo? = nil, error: String? = nil) {
        self.layer = layer; self.done = done; self.total = total; self.rate = rate; self.cached = cached
        self.image = image; self.error = error
    }
}

/// POST /v1/auth: credentials for a registry, checked against it before
/// `nestctl login` stores them. The password is never logged or kept.
public struct LoginRequest: Codable, Sendable, Equatable {
    /// host[:port], as an image reference names it (docker.io for Docker Hub).
    public var registry: String
    public var username: String
    public var password: String
    /// Plain HTTP for a registry on localhost, 127.0.0.1 or ::1.
    public var insecure: Bool?

    public init(registry: String, username: String, password: String, insecure: Bool? = nil) {
        self.registry = registry; self.username = username; self.password = password; self.insecure = insecure
    }
}

/// The answer to a login the registry accepted.
public struct LoginResponse: Codable, Sendable, Equatable {
    public var status: String
    public init(status: String) { self.status = status }
}
