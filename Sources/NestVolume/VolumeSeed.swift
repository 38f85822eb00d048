import CNestShims
import Glibc

/// Docker's behaviour for a volume a container makes on first use: what
/// the container's rootfs has at the mount point is copied in.
public enum VolumeSeed {
    /// Where a new volume's content comes from.
    public enum Source: Sendable, Equatable {
        /// A bundle's rootfs directory.
        case rootfs(String)
        /// An image's layer dirs, top first.
        case layers([String])
    }

    /// Copies what SOURCE has at `path` into `into`.
    public static func copy(_ source: Source, path: String, into: String) throws(VolumeError) {
        switch source {
        case .rootfs(let r): try copy(rootfs: r, path: path, into: into)
        case .layers(let l): try copy(layers: l, path: path, into: into)
        }
    }

    /// Copies the directory at `path` of `rootfs` (resolved as the
    /// container would: symlinks and ".." stay inside the rootfs) into
    /// `into`. Nothing to copy when the rootfs has no directory there.
    public static func copy(rootfs: String, path: String, into: String) throws(VolumeError) {
        let rootFD = nest_open_dir_path(rootfs)
        guard rootFD >= 0 else { throw VolumeError(.system, "seed: open rootfs \(rootfs): \(String(cString: strerror(errno)))") }
        defer { close(rootFD) }
        try copy(root: rootFD, source: "rootfs \(rootfs)", path: path, into: into)
    }

    /// The same from an image's layer dirs (top first), as its containers
    /// see them: through a read-only overlay of the layers that is never
    /// attached to any mount namespace, so whiteouts and opaque dirs hide
    /// what they hide in the container, and no symlink of a layer leads out
    /// of it. One layer is its own view (a whiteout there hides nothing, and
    /// device nodes are not copied).
    public static func copy(layers: [String], path: String, into: String) throws(VolumeError) {
        guard layers.count > 1 else {
            if let only = layers.first { try copy(rootfs: only, path: path, into: into) }
            return
        }
        var why = [CChar](repeating: 0, count: 512)
        let viewFD = withCStrings(layers) { nest_overlay_view($0, Int32(layers.count), &why, why.count) }
        guard viewFD >= 0 else {
            let e = errno
            let reason = String(decoding: why.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw VolumeError(.system, "seed: the image's layers as one view: \(reason.isEmpty ? "" : reason + ": ")\(String(cString: strerror(e)))")
        }
        defer { close(viewFD) }
        try copy(root: viewFD, source: "the image's layers", path: path, into: into)
    }

    private static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
        let dup = strings.map { strdup($0) }
        defer { dup.forEach { free($0) } }
        let ptrs = dup.map { UnsafePointer($0) }
        return ptrs.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    private static func copy(root rootFD: Int32, source: String, path: String, into: String) throws(VolumeError) {
        let src = nest_open_in_root(rootFD, path, 1)
        if src < 0 {
            if errno == ENOENT || errno == ENOTDIR { return }
            throw VolumeError(.system, "seed: open \(path) in \(source): \(String(cString: strerror(errno)))")
        }
        defer { close(src) }
        var st = stat()
        guard fstat(src, &st) == 0, st.st_mode & S_IFMT == S_IFDIR else { return }
        let dst = open(into, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard dst >= 0 else { throw VolumeError(.system, "seed: open \(into): \(String(cString: strerror(errno)))") }
        defer { close(dst) }
        var whereBuf = [CChar](repeating: 0, count: 4096)
        if nest_copy_tree(src, dst, &whereBuf, whereBuf.count) != 0 {
            let e = errno
            let entry = String(decoding: whereBuf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw VolumeError(.system, "seed: copying \(path)\(entry == "." ? "" : "/" + entry.dropFirst(2)) from \(source): \(String(cString: strerror(e)))")
        }
    }
}
