/// The volume and mount bodies of the REST API (`/v1/volumes`, the create
/// request's `mounts`), and the `-v` and `--tmpfs` flags read into mounts.

/// One mount a create request asks for: a named volume, a host directory
/// or file bound in, or a fresh tmpfs.
public struct MountRequest: Codable, Sendable, Equatable {
    /// `volume`, `bind` or `tmpfs`.
    public var type: String
    /// The volume's name, or the absolute host path of a bind; absent for tmpfs.
    public var source: String?
    /// Absolute path in the container.
    public var destination: String
    public var readOnly: Bool?
    /// Mount options: for tmpfs `size=64m`, `mode=1777`...
    public var options: [String]?

    public init(type: String, source: String? = nil, destination: String, readOnly: Bool? = nil, options: [String]? = nil) {
        self.type = type; self.source = source; self.destination = destination; self.readOnly = readOnly; self.options = options
    }

    /// The command-line flag this mount comes from, for error messages.
    public var flag: String { type == "tmpfs" ? "--tmpfs" : "-v" }

    /// `-v SOURCE:DEST[:OPTS]`: a SOURCE that looks like a path (a '/' or
    /// a leading '.') is a bind, anything else a volume name. The daemon
    /// checks the parts; only the shape is checked here.
    public static func volumeFlag(_ text: String) -> MountRequest? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 || parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        let source = parts[0]
        let isPath = source.hasPrefix(".") || source.contains("/")
        var m = MountRequest(type: isPath ? "bind" : "volume", source: source, destination: parts[1])
        if parts.count == 3 {
            let opts = parts[2].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            if opts.contains("ro") { m.readOnly = true }
            let other = opts.filter { $0 != "ro" && $0 != "rw" }
            if !other.isEmpty { m.options = other }
        }
        return m
    }

    /// `--tmpfs DEST[:OPTS]`, OPTS comma-separated mount options (`ro` too).
    public static func tmpfsFlag(_ text: String) -> MountRequest? {
        guard let colon = text.firstIndex(of: ":") else {
            return text.isEmpty ? nil : MountRequest(type: "tmpfs", destination: text)
        }
        let dest = String(text[..<colon])
        guard !dest.isEmpty else { return nil }
        var opts = text[text.index(after: colon)...].split(separator: ",").map(String.init)
        var m = MountRequest(type: "tmpfs", destination: dest)
        if opts.contains("ro") { m.readOnly = true }
        opts.removeAll { $0 == "ro" || $0 == "rw" }
        if !opts.isEmpty { m.options = opts }
        return m
    }
}

/// POST /v1/volumes
public struct VolumeCreateRequest: Codable, Sendable {
    public var name: String
    public var labels: [String: String]?
    public init(name: String, labels: [String: String]? = nil) { self.name = name; self.labels = labels }
}

/// A volume as the API shows it.
public struct VolumeInfo: Codable, Sendable, Equatable {
    public var name: String
    /// Always `local`: a directory on this host.
    public var driver: String
    /// The host directory the containers mount.
    public var mountpoint: String
    public var created: String
    public var labels: [String: String]
    /// Ids of the containers whose configs route to it (from their
    /// subsystem files, read when asked).
    public var usedBy: [String]
    public init(name: String, driver: String, mountpoint: String, created: String, labels: [String: String], usedBy: [String]) {
        self.name = name; self.driver = driver; self.mountpoint = mountpoint; self.created = created
        self.labels = labels; self.usedBy = usedBy
    }
}

/// POST /v1/volumes/prune
public struct VolumePruneResponse: Codable, Sendable, Equatable {
    public var removed: [String]
    public init(removed: [String]) { self.removed = removed }
}
