import Glibc

/// The few file operations the store repeats: whole-file reads and atomic
/// writes, directory fsync, and a removal that never follows a symlink.
enum FileOps {
    static func mkdirs(_ path: String, mode: mode_t = 0o700) throws(ImageError) {
        var p = ""
        for c in path.split(separator: "/") {
            p += "/" + c
            if mkdir(p, mode) != 0 && errno != EEXIST { throw .errno("cannot create", p) }
        }
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    /// The whole of PATH, refused past LIMIT bytes (manifests and configs
    /// are small; a huge one is hostile).
    static func read(_ path: String, limit: Int = 16 << 20) throws(ImageError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        if fd < 0 { throw errno == ENOENT ? ImageError(.notFound, "no such file: \(path)") : .errno("cannot open", path) }
        defer { close(fd) }
        return try readAll(fd, name: path, limit: limit)
    }

    static func readAll(_ fd: Int32, name: String, limit: Int) throws(ImageError) -> [UInt8] {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; throw .errno("cannot read", name) }
            if n == 0 { return out }
            out += buf[0..<n]
            if out.count > limit { throw ImageError(.invalid, "\(name): larger than \(limit) bytes") }
        }
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, name: String) throws(ImageError) {
        var off = 0
        while off < bytes.count {
            let n = write(fd, bytes.baseAddress! + off, bytes.count - off)
            if n < 0 { if errno == EINTR { continue }; throw .errno("cannot write", name) }
            off += n
        }
    }

    /// Write, fsync, rename, fsync the directory: a reader sees the old file
    /// or the new one, after a crash too.
    static func atomicWrite(_ path: String, _ bytes: [UInt8]) throws(ImageError) {
        let tmp = path + ".tmp\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 { throw .errno("cannot create", tmp) }
        do throws(ImageError) {
            try bytes.bytes { (b) throws(ImageError) in try writeAll(fd, b, name: tmp) }
            if fsync(fd) != 0 { throw ImageError.errno("cannot fsync", tmp) }
        } catch {
            close(fd); unlink(tmp); throw error
        }
        close(fd)
        if rename(tmp, path) != 0 { let e = errno; unlink(tmp); throw .errno("cannot rename to", path, e) }
        fsyncDir(parent(path))
    }

    static func fsyncDir(_ dir: String) {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { fsync(fd); close(fd) }
    }

    static func parent(_ path: String) -> String {
        guard let i = path.lastIndex(of: "/") else { return "." }
        return i == path.startIndex ? "/" : String(path[..<i])
    }

    static func randomName() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 16)
    }

    /// Names in DIR (not . and ..); empty when DIR does not exist.
    static func list(_ dir: String) -> [String] {
        guard let d = opendir(dir) else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) { $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) } }
            if name != "." && name != ".." { out.append(name) }
        }
        return out
    }

    /// Removes PATH and everything under it. Walks with openat and
    /// O_NOFOLLOW: a symlink inside a layer is removed, never followed.
    /// Read-only directories (a finished layer's top) are made writable
    /// first, for a caller without CAP_DAC_OVERRIDE.
    static func removeTree(_ path: String) throws(ImageError) {
        var st = stat()
        if lstat(path, &st) != 0 { if errno == ENOENT { return }; throw .errno("cannot stat", path) }
        if (st.st_mode & S_IFMT) != S_IFDIR {
            if unlink(path) != 0 && errno != ENOENT { throw .errno("cannot remove", path) }
            return
        }
        chmod(path, 0o700)
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if fd < 0 { throw .errno("cannot open", path) }
        defer { close(fd) }
        try removeContents(fd, name: path)
        if rmdir(path) != 0 && errno != ENOENT { throw .errno("cannot remove", path) }
    }

    private static func removeContents(_ dirfd: Int32, name: String) throws(ImageError) {
        let dup = fcntl(dirfd, F_DUPFD_CLOEXEC, 0)
        guard dup >= 0, let d = fdopendir(dup) else { throw .errno("cannot read", name) }
        var entries: [String] = []
        while let e = readdir(d) {
            let n = withUnsafePointer(to: e.pointee.d_name) { $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) } }
            if n != "." && n != ".." { entries.append(n) }
        }
        closedir(d)
        for n in entries {
            if unlinkat(dirfd, n, 0) == 0 || errno == ENOENT { continue }
            guard errno == EISDIR else { throw .errno("cannot remove", name + "/" + n) }
            fchmodat(dirfd, n, 0o700, 0)
            let sub = openat(dirfd, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if sub < 0 { throw .errno("cannot open", name + "/" + n) }
            do throws(ImageError) { try removeContents(sub, name: name + "/" + n) } catch { close(sub); throw error }
            close(sub)
            if unlinkat(dirfd, n, AT_REMOVEDIR) != 0 && errno != ENOENT { throw .errno("cannot remove", name + "/" + n) }
        }
    }
}

/// An exclusive flock on a file: the store's mutations (commit, remove,
/// prune) run one at a time, across threads and processes.
final class StoreLock {
    private let fd: Int32
    init(_ path: String) throws(ImageError) {
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd < 0 { throw .errno("cannot open", path) }
        while flock(fd, LOCK_EX) != 0 {
            if errno != EINTR { let e = ImageError.errno("cannot lock", path); close(fd); throw e }
        }
    }
    deinit { close(fd) }
}

/// withUnsafeBytes rethrows `any Error`; these keep the store's typed throws.
extension Array where Element == UInt8 {
    func bytes<R>(_ body: (UnsafeRawBufferPointer) throws(ImageError) -> R) throws(ImageError) -> R {
        let r: Result<R, ImageError> = withUnsafeBytes { b in Result { () throws(ImageError) in try body(b) } }
        return try r.get()
    }

    mutating func mutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws(ImageError) -> R) throws(ImageError) -> R {
        let r: Result<R, ImageError> = withUnsafeMutableBytes { b in Result { () throws(ImageError) in try body(b) } }
        return try r.get()
    }
}
