import Glibc

/// The daemon's socket file: a second nestd on the same path must not take
/// it over (and unlink it on exit, leaving the first one unreachable).
enum SocketPath {
    struct InUse: Error, CustomStringConvertible {
        let path: String
        var description: String {
            "another nestd is already listening on \(path); stop it first, or give this one another --socket"
        }
    }

    /// Makes room for the listener: a socket nobody accepts on is a stale
    /// one left by a killed daemon, and is removed; a live one is refused.
    static func claim(_ path: String) throws {
        if isListening(path) { throw InUse(path: path) }
        var st = stat()
        if lstat(path, &st) == 0, st.st_mode & S_IFMT == S_IFSOCK { unlink(path) }
    }

    /// Whether something accepts connections on the unix socket `path`.
    static func isListening(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { return false }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        // EAGAIN: a listener whose backlog is full is still a listener
        return rc == 0 || errno == EAGAIN
    }

    /// The socket file's identity, so that exit removes only the file this
    /// daemon made, not one another daemon put there since.
    static func identity(_ path: String) -> (dev_t, ino_t)? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        return (st.st_dev, st.st_ino)
    }
}
