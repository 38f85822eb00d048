import Glibc

/// The receiving end of a `--console-socket`, as an engine holds it: a unix
/// socket that takes one connection and the pty master sent over it with
/// SCM_RIGHTS.
final class ConsoleReceiver {
    let path: String
    private let sock: Int32

    init(path: String) throws {
        self.path = path
        sock = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard sock >= 0 else { throw ReceiverError("socket: \(String(cString: strerror(errno)))") }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { throw ReceiverError("\(path): too long") }
        withUnsafeMutableBytes(of: &addr.sun_path) { buf in
            for (i, b) in bytes.enumerated() { buf[i] = b }
        }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(sock, 1) == 0 else {
            close(sock)
            throw ReceiverError("\(path): \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        close(sock)
        unlink(path)
    }

    /// Accepts the one connection and returns the fd it carries.
    func receive() throws -> Int32 {
        let conn = accept(sock, nil, nil)
        guard conn >= 0 else { throw ReceiverError("accept: \(String(cString: strerror(errno)))") }
        defer { close(conn) }
        var data = [UInt8](repeating: 0, count: 256)
        var control = [UInt64](repeating: 0, count: 8)
        let fd: Int32 = data.withUnsafeMutableBytes { d in
            control.withUnsafeMutableBytes { c in
                var iov = iovec(iov_base: d.baseAddress, iov_len: d.count)
                return withUnsafeMutablePointer(to: &iov) { iovp in
                    var msg = msghdr()
                    msg.msg_iov = iovp
                    msg.msg_iovlen = 1
                    msg.msg_control = c.baseAddress
                    msg.msg_controllen = c.count
                    guard recvmsg(conn, &msg, Int32(MSG_CMSG_CLOEXEC)) >= 0 else { return -1 }
                    // struct cmsghdr: its length (size_t), level, type, then the fd
                    guard msg.msg_controllen >= 20, c.load(fromByteOffset: 8, as: Int32.self) == SOL_SOCKET,
                          c.load(fromByteOffset: 12, as: Int32.self) == 1 /* SCM_RIGHTS */ else { return -1 }
                    return c.load(fromByteOffset: 16, as: Int32.self)
                }
            }
        }
        guard fd >= 0 else { throw ReceiverError("no fd came over \(path)") }
        return fd
    }

    /// Everything readable from FD until EOF or EIO (a pty master once its
    /// last slave is closed); closes FD.
    static func drain(_ fd: Int32) -> String {
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            out += buf[0..<n]
        }
        close(fd)
        return String(decoding: out, as: UTF8.self)
    }

    struct ReceiverError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
