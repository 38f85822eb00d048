import Glibc

/// A container without a mount namespace of its own (no `mount` entry in
/// `linux.namespaces`) has its rootfs built in the caller's: the rootfs
/// bind and every mount under it outlive the container's processes. Before
/// the monitor runs, the create records the rootfs and the mounts already at
/// or below it (ROOT/ID/host-rootfs); delete, `delete -f` and a failed
/// create unmount every other mount at or below it, so that a crash at any
/// instant leaves nothing `delete -f` does not undo, and a mount that was
/// there before (an overlay a caller mounted at the rootfs) stays.
enum HostRootfs {
    static let fileName = "host-rootfs"

    struct Mount: Equatable {
        var id: Int
        var point: String
    }

    /// Writes the record into the state dir `dir`: the rootfs, then the
    /// ids of the mounts at or below it, one a line.
    static func record(rootfs: String, stateDir dir: String) throws(RuntimeError) {
        let root = resolved(rootfs)
        let before = mounts(under: root).map { String($0.id) }
        try Sys.writeAtomic(dir + "/" + fileName, Array(([root] + before).joined(separator: "\n").utf8) + [10])
    }

    /// Unmounts what the container made at or below its rootfs (nothing
    /// when the state dir has no record), deepest first. Returns the mount
    /// points that could not be unmounted.
    @discardableResult
    static func undo(stateDir dir: String) -> [String] {
        guard let bytes = Sys.readFile(dir + "/" + fileName) else { return [] }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
        guard let root = lines.first else { return [] }
        let before = Set(lines.dropFirst().compactMap { Int($0) })
        var left: [Mount] = []
        // A detached mount takes those below it along: each round reads
        // what is left, until nothing of the container's is or nothing
        // more goes.
        for _ in 0..<8 {
            let ours = mounts(under: root).filter { !before.contains($0.id) }
            if ours.isEmpty || ours == left { return ours.map(\.point) }
            left = ours
            // Deepest first; at one point, the later (upper) mount first.
            let order = ours.enumerated().sorted { a, b in
                let da = a.element.point.split(separator: "/").count, db = b.element.point.split(separator: "/").count
                return da != db ? da > db : a.offset > b.offset
            }
            // The container can write below its rootfs: a symlink left at
            // a mount point's name is not followed out of it.
            for m in order { _ = umount2(m.element.point, Int32(MNT_DETACH) | Int32(UMOUNT_NOFOLLOW)) }
        }
        return mounts(under: root).filter { !before.contains($0.id) }.map(\.point)
    }

    /// The mounts of this process's namespace at or below `root`, in
    /// mountinfo's order (a mount after the one it is on).
    static func mounts(under root: String, mountinfo: String = "/proc/self/mountinfo") -> [Mount] {
        guard let bytes = Sys.readFile(mountinfo) else { return [] }
        let prefix = root == "/" ? "/" : root + "/"
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ", maxSplits: 5)
            guard f.count > 4, let id = Int(f[0]) else { return nil }
            let point = CgroupManager.unescapeMountinfo(f[4])
            return point == root || point.hasPrefix(prefix) ? Mount(id: id, point: point) : nil
        }
    }

    /// The path mountinfo shows for `path`: symlinks resolved.
    static func resolved(_ path: String) -> String {
        guard let r = realpath(path, nil) else { return path }
        defer { free(r) }
        return String(cString: r)
    }
}
