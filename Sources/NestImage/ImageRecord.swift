/// One image as the store shows it.
public struct ImageRecord: Sendable, Codable, Equatable {
    /// the config digest
    public var id: String
    /// every name:tag that points at this image's manifest
    public var names: [String]
    public var manifestDigest: String
    /// lowest layer first
    public var chainIDs: [String]
    /// the manifest's config and layer sizes (the compressed, stored blobs)
    public var size: Int64
    public var created: String?

    public init(id: String, names: [String], manifestDigest: String, chainIDs: [String], size: Int64, created: String?) {
        self.id = id
        self.names = names
        self.manifestDigest = manifestDigest
        self.chainIDs = chainIDs
        self.size = size
        self.created = created
    }
}

/// What a container holds of the store: its layers are never removed, and
/// the image it came from is not removed without force.
public struct LayerUse: Sendable, Equatable {
    public var container: String
    /// the image id (config digest) the container was made from, if known
    public var image: String?
    public var chainIDs: [String]

    public init(container: String, image: String?, chainIDs: [String]) {
        self.container = container
        self.image = image
        self.chainIDs = chainIDs
    }
}

/// What a remove or prune did.
public struct RemoveReport: Sendable, Codable, Equatable {
    public var untagged: [String] = []
    public var deleted: [String] = []
    public var blobsRemoved: Int = 0
    public var layersRemoved: Int = 0
    public init() {}
}

/// ROOT/repositories.json: name:tag -> manifest digest, and every image
/// the store keeps (named or not) by manifest digest.
struct Repositories: Codable, Equatable {
    var names: [String: String] = [:]
    var manifests: [String] = []
}

/// Image names: "busybox" means "busybox:latest".
public enum ImageName {
    public static func normalize(_ name: String) throws(ImageError) -> String {
        // A name pulled by digest (REPO@sha256:HEX) is kept as given.
        if let at = name.firstIndex(of: "@") {
            _ = try Digest.validate(String(name[name.index(after: at)...]), what: "name \(name.prefix(80)):")
            _ = try normalize(String(name[..<at]))
            return name
        }
        guard !name.isEmpty, name.utf8.count <= 255,
              name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "@") }),
              !name.hasPrefix("sha256:"), !name.hasPrefix("/"), !name.hasSuffix(":"), !name.hasSuffix("/") else {
            throw ImageError(.invalid, "name \"\(name.prefix(80))\": not an image name (printable, no spaces or @, at most 255 bytes)")
        }
        let last = name.split(separator: "/").last ?? ""
        return last.contains(":") ? name : name + ":latest"
    }
}
