/// A rootfs that is an overlay: read-only layers shared by every container
/// of an image (one inode per file, so one page cache), and a writable upper
/// dir of the container's own. The vfs server's `root` is where it is
/// mounted (an empty directory); the mount exists only in the container's
/// mount namespace, so nothing is left on the host when the container goes.
public struct VFSOverlay: Codable, Sendable, Equatable {
    /// The container's upper and work dirs (absolute host paths, on one file system).
    public var upper: String
    public var work: String
    /// Lowest first, as an image lists its layers (`rootfs.diff_ids`).
    public var layers: [VFSLayer]

    public init(upper: String, work: String, layers: [VFSLayer]) {
        self.upper = upper
        self.work = work
        self.layers = layers
    }

    /// overlayfs's mount options take these as separators (`:` between
    /// lower dirs, `,` between options, `\` escapes): a path with one is
    /// refused rather than escaped.
    public static let forbiddenPathCharacters: Set<Character> = [":", ",", "\\"]

    /// Each problem as (attribute path relative to `<overlay>`, message).
    public func problems() -> [(String, String)] {
        var out: [(String, String)] = []
        func path(_ p: String, _ at: String) {
            if !p.hasPrefix("/") { out.append((at, "must be an absolute path")) }
            if p.contains(where: { Self.forbiddenPathCharacters.contains($0) }) {
                out.append((at, "an overlay path may not hold ':', ',' or '\\'"))
            }
        }
        path(upper, "@upper")
        path(work, "@work")
        if layers.isEmpty { out.append(("/layer", "an overlay needs at least one layer")) }
        for (i, l) in layers.enumerated() {
            path(l.path, "/layer[\(i)]@path")
            if l.chain.isEmpty { out.append(("/layer[\(i)]@chain", "must not be empty")) }
        }
        return out
    }
}

/// One read-only layer: its chain ID (what `nestctl subsystem` shows, and
/// what several containers share) and the directory it is unpacked in.
public struct VFSLayer: Codable, Sendable, Equatable {
    public var chain: String
    public var path: String

    public init(chain: String, path: String) {
        self.chain = chain
        self.path = path
    }
}
