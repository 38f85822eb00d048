import Foundation

/// The manifest media types a registry may answer with: OCI image-spec and
/// Docker schema 2, each a single-image manifest or a per-platform index.
public enum RegistryMediaType {
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let accept = [ociIndex, ociManifest, dockerList, dockerManifest]
    public static let indexTypes: Set<String> = [ociIndex, dockerList]
    public static let manifestTypes: Set<String> = [ociManifest, dockerManifest]
}

/// The fields of a manifest or index the pull reads; the bytes themselves are
/// kept as fetched, since their digest is what names them.
struct RegistryDescriptor: Codable, Sendable, Equatable {
    var mediaType: String?
    var digest: String
    var size: Int64
    var platform: RegistryPlatform?
}

struct RegistryPlatform: Codable, Sendable, Equatable {
    var architecture: String
    var os: String
    var variant: String?
}

/// One document that is either an index (`manifests`) or an image manifest
/// (`config` + `layers`); registries do not always send a mediaType field,
/// so the Content-Type header decides when the body does not say.
struct RegistryDocument: Decodable {
    var schemaVersion: Int?
    var mediaType: String?
    var manifests: [RegistryDescriptor]?
    var config: RegistryDescriptor?
    var layers: [RegistryDescriptor]?
}

/// The host's platform in the names images use (GOARCH, GOOS).
public struct HostPlatform: Sendable, Equatable, CustomStringConvertible {
    public var os: String
    public var architecture: String
    public var variant: String?

    public init(os: String, architecture: String, variant: String?) {
        self.os = os; self.architecture = architecture; self.variant = variant
    }

    public var description: String { "\(os)/\(architecture)" + (variant.map { "/\($0)" } ?? "") }

    /// Maps `uname -m` to Go's architecture names.
    public static func fromMachine(_ machine: String) -> HostPlatform {
        switch machine {
        case "x86_64", "amd64": return .init(os: "linux", architecture: "amd64", variant: nil)
        case "aarch64", "arm64": return .init(os: "linux", architecture: "arm64", variant: "v8")
        case "armv7l", "armv7": return .init(os: "linux", architecture: "arm", variant: "v7")
        case "armv6l": return .init(os: "linux", architecture: "arm", variant: "v6")
        case "armv5tel", "armv5l": return .init(os: "linux", architecture: "arm", variant: "v5")
        case "i386", "i486", "i586", "i686": return .init(os: "linux", architecture: "386", variant: nil)
        case "ppc64le": return .init(os: "linux", architecture: "ppc64le", variant: nil)
        case "s390x": return .init(os: "linux", architecture: "s390x", variant: nil)
        case "riscv64": return .init(os: "linux", architecture: "riscv64", variant: nil)
        case "mips64": return .init(os: "linux", architecture: "mips64", variant: nil)
        default: return .init(os: "linux", architecture: machine, variant: nil)
        }
    }

    public static var current: HostPlatform {
        var u = utsname()
        uname(&u)
        let machine = withUnsafeBytes(of: &u.machine) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        return fromMachine(machine)
    }

    /// The index entry for this platform: an exact variant match first, then
    /// one without a variant (arm64 images often omit "v8").
    func select(from manifests: [RegistryDescriptor]) -> RegistryDescriptor? {
        let candidates = manifests.filter { $0.platform?.os == os && $0.platform?.architecture == architecture }
        if let exact = candidates.first(where: { $0.platform?.variant == variant }) { return exact }
        if let loose = candidates.first(where: { $0.platform?.variant == nil }) { return loose }
        return variant == nil ? nil : candidates.first { $0.platform?.variant == nil || architecture == "arm64" }
    }
}
