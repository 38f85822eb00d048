import NestSubsystem

/// Which volumes a container uses, read from its subsystem config: every
/// vfs server whose root is a volume's directory (or below it), and every
/// bind mount from one. The configs are the truth; nothing about users is
/// kept anywhere else.
public enum VolumeUsers {
    public static func volumes(in sub: Subsystem, store: VolumeStore) -> Set<String> {
        var out: Set<String> = []
        for start in sub.starts {
            guard let vfs = start.vfs else { continue }
            if let v = volume(of: vfs.root, store: store) { out.insert(v) }
            for m in vfs.mounts where m.isBind {
                if let v = volume(of: m.source, store: store) { out.insert(v) }
            }
        }
        return out
    }

    /// The volume whose directory `path` is or lies in, or nil.
    static func volume(of path: String, store: VolumeStore) -> String? {
        let prefix = store.root + "/"
        guard path.hasPrefix(prefix) else { return nil }
        let parts = path.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count >= 2, parts[1] == "_data", VolumeRecord.isValidName(String(parts[0])) else { return nil }
        return String(parts[0])
    }

    /// Volume name → the ids of the containers that use it, over every
    /// container's config.
    public static func users(_ configs: [(id: String, subsystem: Subsystem)], store: VolumeStore) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for (id, sub) in configs {
            for v in volumes(in: sub, store: store) { out[v, default: []].append(id) }
        }
        return out.mapValues { $0.sorted() }
    }
}
