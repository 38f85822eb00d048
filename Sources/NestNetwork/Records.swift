import Foundation
import Glibc

/// A published port: HOST on the host to CONTAINER in the container (`-p`).
public struct PortMapping: Codable, Sendable, Equatable {
    public var host: Int
    public var container: Int
    /// `tcp` or `udp`.
    public var proto: String

    public init(host: Int, container: Int, proto: String = "tcp") {
        self.host = host
        self.container = container
        self.proto = proto
    }

    /// Reads `HOST:CONTAINER[/udp|/tcp]`, the error naming `field`.
    public static func parse(_ text: String, field: String = "ports") throws(NetworkError) -> PortMapping {
        var body = Substring(text), proto = "tcp"
        if let slash = body.lastIndex(of: "/") {
            proto = String(body[body.index(after: slash)...])
            body = body[..<slash]
        }
        let parts = body.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let h = Int(parts[0]), let c = Int(parts[1]) else {
            throw NetworkError(.invalid, "a port mapping is HOSTPORT:CONTAINERPORT[/udp], got \(text.prefix(64))", field: field)
        }
        let m = PortMapping(host: h, container: c, proto: proto)
        if let problem = m.problem { throw NetworkError(.invalid, "\(problem), in \(text.prefix(64))", field: field) }
        return m
    }

    /// Why the mapping cannot be published, or nil.
    public var problem: String? {
        if !(1...65535).contains(host) { return "host port must be 1 to 65535, got \(host)" }
        if !(1...65535).contains(container) { return "container port must be 1 to 65535, got \(container)" }
        if proto != "tcp" && proto != "udp" { return "protocol must be tcp or udp, got \(proto.prefix(16))" }
        return nil
    }
}

/// One network of a subsystem's attachment: written as intent before the
/// plugins' ADD (`adding`), completed with their result after it (`added`).
struct NetworkAttach: Codable, Sendable {
    var network: String
    var ifname: String
    var names: [String]
    var ports: [PortMapping]
    var state: String
    /// The ADD's result, as the last plugin wrote it.
    var result: String?

    var parsed: CNIResult? { result.flatMap { try? CNIResult.parse(Array($0.utf8)) } }
}

/// What a subsystem is attached to: DATA/networks/attachments/SUBID.json.
/// On disk before the namespace file exists, so that a daemon killed at any
/// point finds what to undo.
struct AttachmentRecord: Codable, Sendable {
    var subsystem: String
    var netns: String
    var networks: [NetworkAttach]
}

/// What nestd needs after an attach: the namespace file the container
/// joins, its address, and the hosts of the network's other members.
public struct Attachment: Sendable, Equatable {
    public var netnsPath: String
    /// CIDR, as the network gave it.
    public var address: String?
    public var gateway: String?
    public var hostsEntries: [HostsEntry]
}

/// One line of /etc/hosts.
public struct HostsEntry: Sendable, Equatable {
    public var ip: String
    public var names: [String]
    public init(ip: String, names: [String]) {
        self.ip = ip
        self.names = names
    }
}

/// A network as `network ls`/`inspect` show it.
public struct NetworkStatus: Sendable, Equatable, Codable {
    public var name: String
    public var subnet: String
    public var gateway: String
    public var bridge: String
    /// The subsystems (container ids) attached.
    public var users: [String]
}

enum AtomicFile {
    /// Write to a temporary, fsync, rename over, fsync the directory.
    static func write(_ path: String, _ bytes: [UInt8]) throws(NetworkError) {
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw NetworkError(.system, "\(tmp): \(String(cString: strerror(errno)))") }
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                let e = errno
                close(fd); unlink(tmp)
                throw NetworkError(.system, "\(tmp): \(String(cString: strerror(e)))")
            }
            off += n
        }
        let synced = fsync(fd) == 0
        close(fd)
        guard synced, rename(tmp, path) == 0 else {
            let e = errno
            unlink(tmp)
            throw NetworkError(.system, "\(path): \(String(cString: strerror(e)))")
        }
        let dir = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }

    static func read(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { Array($0) }
    }
}
