import CNestShims
import Glibc

/// One file of an image as its containers will see it, read from the
/// image's layer dirs before any overlay is mounted: the topmost layer that
/// has it wins, and a whiteout (a 0/0 character device) or an opaque
/// directory (`trusted.overlay.opaque` = `y`) hides what the layers below
/// have, as overlayfs does. The layers are an image's and may be hostile:
/// no symlink is followed (one on the way is refused), and only a regular
/// file of at most `limit` bytes is read.
public enum LayerFiles {
    public enum File: Sendable, Equatable {
        case bytes([UInt8])
        case missing
        /// Found but not read: why.
        case refused(String)
    }

    /// `path` (absolute) in `layers`, top first.
    public static func read(_ path: String, layers: [String], limit: Int = 1 << 20) -> File {
        let parts = path.split(separator: "/").map(String.init)
        guard let name = parts.last, !parts.contains(".."), !parts.contains(".") else {
            return .refused("not a plain absolute path")
        }
        for layer in layers {
            switch look(parts.dropLast(), name, in: layer, limit: limit) {
            case .found(let file): return file
            case .hidden: return .missing
            case .absent: continue
            }
        }
        return .missing
    }

    private enum Look { case found(File), hidden, absent }

    private static func look(_ dirs: ArraySlice<String>, _ name: String, in layer: String, limit: Int) -> Look {
        var fd = open(layer, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return .absent }
        defer { close(fd) }
        var opaque = false
        for dir in dirs {
            var st = stat()
            guard fstatat(fd, dir, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return opaque ? .hidden : .absent }
            let type = st.st_mode & S_IFMT
            if isWhiteout(st) { return .hidden }
            if type == S_IFLNK { return .found(.refused("\(dir) is a symlink in a layer; it is not followed")) }
            // a file where a directory was: the directories below are hidden
            guard type == S_IFDIR else { return .hidden }
            let next = openat(fd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            guard next >= 0 else { return .found(.refused("\(dir): \(String(cString: strerror(errno)))")) }
            close(fd)
            fd = next
            if isOpaque(fd) { opaque = true }
        }
        var st = stat()
        guard fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return opaque ? .hidden : .absent }
        if isWhiteout(st) { return .hidden }
        switch st.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFLNK: return .found(.refused("a symlink in a layer; it is not followed"))
        default: return .found(.refused("not a regular file"))
        }
        if st.st_size > limit { return .found(.refused("larger than \(limit) bytes")) }
        let file = openat(fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard file >= 0 else { return .found(.refused(String(cString: strerror(errno)))) }
        defer { close(file) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { Glibc.read(file, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return .found(.refused(String(cString: strerror(errno)))) }
            if n == 0 { break }
            out += buf[0..<n]
            if out.count > limit { return .found(.refused("larger than \(limit) bytes")) }
        }
        return .found(.bytes(out))
    }

    static func isWhiteout(_ st: stat) -> Bool {
        (st.st_mode & S_IFMT) == S_IFCHR && st.st_rdev == 0
    }

    static func isOpaque(_ fd: Int32) -> Bool {
        var value: UInt8 = 0
        return nest_fgetxattr(fd, "trusted.overlay.opaque", &value, 1) == 1 && value == UInt8(ascii: "y")
    }
}
