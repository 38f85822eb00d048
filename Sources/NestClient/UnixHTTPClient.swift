#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import NestAPI
import Synchronization

/// HTTP/1.1 over a unix socket with blocking POSIX calls. nestctl is a
/// short-lived process whose start-up time is part of every `nestctl run`;
/// an event-loop client would cost more to start than the request itself.
public struct UnixHTTPClient: Sendable {
    public let socketPath: String

    public init(socketPath: String) { self.socketPath = socketPath }

    public struct Response: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: [UInt8]
        public var text: String { String(decoding: body, as: UTF8.self) }
        public init(status: Int, headers: [String: String], body: [UInt8]) {
            self.status = status; self.headers = headers; self.body = body
        }
    }

    public enum ClientError: Error, CustomStringConvertible {
        case connect(path: String, errno: Int32)
        case io(String)
        case protocolError(String)
        public var description: String {
            switch self {
            case .connect(let path, let e):
                let reason = "cannot reach nestd at \(path): \(String(cString: strerror(e)))"
                switch e {
                case EACCES, EPERM:
                    // nestd runs; this user may not use its socket
                    return reason + "; only root and members of the group nest may: add yourself to it (sudo usermod -aG nest $USER, then log in again), or use sudo"
                case ENOENT, ECONNREFUSED:
                    return reason + "; is nestd running? start it with: sudo systemctl start nestd.socket (or sudo nestd)"
                default:
                    return reason
                }
            case .io(let m): return "connection to nestd: \(m)"
            case .protocolError(let m): return "bad response from nestd: \(m)"
            }
        }
    }

    /// Sends one request and reads the whole response.
    public func request(_ method: String, _ path: String, body: [UInt8]? = nil) throws -> Response {
        var collected: [UInt8] = []
        var head: (Int, [String: String]) = (0, [:])
        try stream(method, path, body: body, onHead: { head = ($0, $1) }, onData: { collected += $0; return true })
        return Response(status: head.0, headers: head.1, body: collected)
    }

    /// Sends one request and hands the body to `onData` as it arrives (chunked
    /// responses of followed logs and events). `onData` returns false to stop.
    public func stream(_ method: String, _ path: String, body: [UInt8]? = nil,
                       onHead: (Int, [String: String]) -> Void,
                       onData: ([UInt8]) -> Bool) throws {
        let fd = try connect()
        defer { close(fd) }
        var req = "\(method) \(path) HTTP/1.1\r\nHost: nestd\r\nConnection: close\r\n"
        if let body { req += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" }
        req += "\r\n"
        try writeAll(fd, Array(req.utf8) + (body ?? []))
        var reader = Reader(fd: fd)
        let statusLine = try reader.line()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let status = Int(parts[1]) else { throw ClientError.protocolError(statusLine) }
        var headers: [String: String] = [:]
        while true {
            let l = try reader.line()
            if l.isEmpty { break }
            if let c = l.firstIndex(of: ":") {
                headers[l[..<c].lowercased()] = String(l[l.index(after: c)...].drop { $0 == " " || $0 == "\t" })
            }
        }
        onHead(status, headers)
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            while true {
                let sizeLine = try reader.line()
                guard let size = Int(sizeLine.split(separator: ";").first ?? "", radix: 16) else {
                    throw ClientError.protocolError("chunk size \(sizeLine)")
                }
                if size == 0 { return }
                let chunk = try reader.bytes(size)
                _ = try reader.line()
                if !onData(chunk) { return }
            }
        } else if let len = headers["content-length"].flatMap(Int.init) {
            if len > 0 { _ = onData(try reader.bytes(len)) }
        } else {
            while let chunk = try reader.some() { if !onData(chunk) { return } }
        }
    }

    /// What an upgrade request got: the stream, or the daemon's answer
    /// (an error, or a daemon that does not stream).
    public enum StreamResult {
        case upgraded(FrameStream)
        case refused(Response)
    }

    /// Sends a request asking for `Upgrade: nest-stream` (attach, exec).
    public func openStream(_ method: String, _ path: String, body: [UInt8]? = nil) throws -> StreamResult {
        let fd = try connect()
        var req = "\(method) \(path) HTTP/1.1\r\nHost: nestd\r\nConnection: Upgrade\r\nUpgrade: \(StreamFrame.protocolName)\r\n"
        req += "Content-Length: \((body ?? []).count)\r\n"
        if body != nil { req += "Content-Type: application/json\r\n" }
        req += "\r\n"
        do {
            try writeAll(fd, Array(req.utf8) + (body ?? []))
            var reader = Reader(fd: fd)
            let statusLine = try reader.line()
            let parts = statusLine.split(separator: " ", maxSplits: 2)
            guard parts.count >= 2, let status = Int(parts[1]) else { throw ClientError.protocolError(statusLine) }
            var headers: [String: String] = [:]
            while true {
                let l = try reader.line()
                if l.isEmpty { break }
                if let c = l.firstIndex(of: ":") {
                    headers[l[..<c].lowercased()] = String(l[l.index(after: c)...].drop { $0 == " " || $0 == "\t" })
                }
            }
            if status == 101 {
                return .upgraded(FrameStream(fd: fd, buffered: Array(reader.buf[reader.pos...])))
            }
            var body: [UInt8] = []
            if let len = headers["content-length"].flatMap(Int.init) {
                if len > 0 { body = try reader.bytes(len) }
            } else {
                while let chunk = try reader.some() { body += chunk }
            }
            close(fd)
            return .refused(Response(status: status, headers: headers, body: body))
        } catch {
            close(fd)
            throw error
        }
    }

    private func connect() throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ClientError.connect(path: socketPath, errno: errno) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(socketPath.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: addr.sun_path) else {
            close(fd); throw ClientError.connect(path: socketPath, errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in pathBytes.enumerated() { raw[i] = b }
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if rc != 0 { let e = errno; close(fd); throw ClientError.connect(path: socketPath, errno: e) }
        return fd
    }

    fileprivate func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; throw ClientError.io(String(cString: strerror(errno))) }
            off += n
        }
    }

    fileprivate struct Reader {
        let fd: Int32
        var buf: [UInt8] = []
        var pos = 0

        mutating func fill() throws -> Bool {
            if pos > 0 && pos == buf.count { buf.removeAll(keepingCapacity: true); pos = 0 }
            var tmp = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = tmp.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 { if errno == EINTR { continue }; throw ClientError.io(String(cString: strerror(errno))) }
                if n == 0 { return false }
                buf += tmp[0..<n]
                return true
            }
        }

        mutating func line() throws -> String {
            while true {
                if let i = buf[pos...].firstIndex(of: UInt8(ascii: "\n")) {
                    var end = i
                    if end > pos && buf[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                    let s = String(decoding: buf[pos..<end], as: UTF8.self)
                    pos = i + 1
                    return s
                }
                guard try fill() else { throw ClientError.protocolError("connection closed") }
            }
        }

        mutating func bytes(_ n: Int) throws -> [UInt8] {
            while buf.count - pos < n {
                guard try fill() else { throw ClientError.protocolError("connection closed") }
            }
            let out = Array(buf[pos..<pos + n]); pos += n
            return out
        }

        mutating func some() throws -> [UInt8]? {
            if pos == buf.count { guard try fill() else { return nil } }
            let out = Array(buf[pos...]); pos = buf.count
            return out
        }
    }
}

/// The client's side of an upgraded connection: frames (StreamFrame) both
/// ways. Reads on one thread; writes from any, one frame at a time.
public final class FrameStream: Sendable {
    public let fd: Int32
    private let readState: Mutex<(buf: [UInt8], pos: Int)>
    private let writeLock = Mutex(())

    init(fd: Int32, buffered: [UInt8]) {
        self.fd = fd
        readState = Mutex((buffered, 0))
    }

    deinit { close(fd) }

    public func send(_ type: UInt8, _ payload: some Collection<UInt8>) throws {
        let bytes = StreamFrame.encode(type, payload)
        try writeLock.withLock { _ in
            var off = 0
            while off < bytes.count {
                let n = bytes[off...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw UnixHTTPClient.ClientError.io(String(cString: strerror(errno)))
                }
                off += n
            }
        }
    }

    /// The next frame; nil when the daemon closed the connection.
    public func next() throws -> (type: UInt8, payload: [UInt8])? {
        try readState.withLock { s -> (type: UInt8, payload: [UInt8])? in
            while true {
                if let frame = try StreamFrame.parse(s.buf[s.pos...]) {
                    s.pos += frame.size
                    let out = (frame.type, Array(frame.payload))
                    if s.pos == s.buf.count { s.buf.removeAll(keepingCapacity: true); s.pos = 0 }
                    return out
                }
                var tmp = [UInt8](repeating: 0, count: 65536)
                let n = tmp.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw UnixHTTPClient.ClientError.io(String(cString: strerror(errno)))
                }
                if n == 0 {
                    if s.pos < s.buf.count { throw UnixHTTPClient.ClientError.protocolError("connection closed inside a frame") }
                    return nil
                }
                s.buf += tmp[0..<n]
            }
        }
    }
}
