// Thin syscall wrappers for cgroup files: one open + write, errno in errors.

import Glibc

enum CgroupFS {
    static func errnoText(_ e: Int32) -> String {
        String(cString: strerror(e))
    }

    static func lastPathComponent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    static func error(_ path: String, _ e: Int32, hint: String = "") -> CgroupError {
        CgroupError(path: path, message: "\(lastPathComponent(path)): \(errnoText(e))\(hint)", errno: e)
    }

    /// open(O_WRONLY|O_CLOEXEC) + one write of the whole value.
    static func write(_ path: String, _ value: String) throws {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        if fd < 0 { throw error(path, errno) }
        defer { close(fd) }
        var bytes = Array(value.utf8)
        if bytes.isEmpty { bytes = [UInt8(ascii: "\n")] }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { buf in
                Glibc.write(fd, buf.baseAddress! + done, buf.count - done)
            }
            if n < 0 {
                let e = errno
                if e == EINTR { continue }
                throw error(path, e)
            }
            done += n
        }
    }

    /// Reads a whole (small) file; cgroup files report a fake st_size, so read to EOF.
    static func read(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw error(path, errno) }
        defer { close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if n < 0 {
                let e = errno
                if e == EINTR { continue }
                throw error(path, e)
            }
            if n == 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The file's content without surrounding whitespace, nil when unreadable.
    static func readTrimmed(_ path: String) -> String? {
        guard let s = try? read(path) else { return nil }
        return trim(s)
    }

    static func trim(_ s: String) -> String {
        var sub = Substring(s)
        while let c = sub.first, c.isWhitespace { sub.removeFirst() }
        while let c = sub.last, c.isWhitespace { sub.removeLast() }
        return String(sub)
    }

    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// mkdir(0755); returns errno (0 on success).
    static func mkdir(_ path: String) -> Int32 {
        Glibc.mkdir(path, 0o755) == 0 ? 0 : errno
    }

    /// rmdir; returns errno (0 on success).
    static func rmdir(_ path: String) -> Int32 {
        Glibc.rmdir(path) == 0 ? 0 : errno
    }

    /// Names of the subdirectories of `path` (not recursive).
    static func subdirs(_ path: String) -> [String] {
        guard let d = opendir(path) else { return [] }
        defer { closedir(d) }
        var names: [String] = []
        while let ent = readdir(d) {
            guard ent.pointee.d_type == UInt8(DT_DIR) else { continue }
            let name = withUnsafePointer(to: ent.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func sleepMillis(_ ms: Int) {
        var req = timespec(tv_sec: ms / 1000, tv_nsec: (ms % 1000) * 1_000_000)
        var rem = timespec()
        while nanosleep(&req, &rem) != 0 && errno == EINTR { req = rem }
    }
}
