import NestAPI
/// One image as the store shows it, one type with the REST API's listing:
/// the config digest as id, every name:tag pointing at its manifest, the
/// layers' chain IDs lowest first, and the stored (compressed) size.
public typealias ImageRecord = ImageInfo

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
public typealias RemoveReport = ImageRemoveResponse

extension ImageRemoveResponse {
    public init() { self.init(untagged: [], deleted: [], blobsRemoved: 0, layersRemoved: 0) }
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
