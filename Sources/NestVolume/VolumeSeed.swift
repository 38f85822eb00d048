import CNestShims
import Glibc

/// Docker's behaviour for a volume a container makes on first use: what
/// the container's rootfs has at the mount point is copied in.
public enum VolumeSeed {
    /// Copies the directory at `path` of `rootfs` (resolved as the
    /// container would: symlinks and ".." stay inside the rootfs) into
    /// `into`. Nothing to copy when the rootfs has no directory there.
    public static func copy(rootfs: String, path: String, into: String) throws(VolumeError) {
        let rootFD = nest_open_dir_path(rootfs)
        guard rootFD >= 0 else { throw VolumeError(.system, "seed: open rootfs \(rootfs): \(String(cString: strerror(errno)))") }
        defer { close(rootFD) }
        let src = nest_open_in_root(rootFD, path, 1)
        if src < 0 {
            if errno == ENOENT || errno == ENOTDIR { return }
            throw VolumeError(.system, "seed: open \(path) in \(rootfs): \(String(cString: strerror(errno)))")
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
            throw VolumeError(.system, "seed: copying \(path)\(entry == "." ? "" : "/" + entry.dropFirst(2)) from the rootfs: \(String(cString: strerror(e)))")
        }
    }
}
