import Glibc

/// Raw, mutated HTTP requests to a running nestd over its unix socket.
/// Oracle: no 5xx, an answer that is HTTP, and nestd still alive after
/// every request. A request the server is still reading (a Content-Length
/// past the body, a wait on a running container) is dropped after the
/// read timeout and counted, not failed: nestd may rightly wait for more.
struct HTTPTarget: Target {
    let name = "http"
    let socketPath: String
    let daemonPID: Int32
    let readTimeoutMS: Int
    var timeouts = 0
    var statuses: [Int: Int] = [:]
    let dictionary = tokens([
        "GET ", "POST ", "DELETE ", "PUT ", " HTTP/1.1\r\n", "\r\n", "\r\n\r\n", "Host: x\r\n",
        "Content-Length: 0\r\n", "Content-Length: 18446744073709551616\r\n", "Transfer-Encoding: chunked\r\n",
        "0\r\n\r\n", "/v1/containers", "/v1/containers/fuzzme", "/start", "/stop", "/kill", "/wait", "/logs",
        "/subsystem", "/v1/info", "/v1/version", "/v1/events", "?timeout=", "?signal=", "&force=true",
        "?state=running", "?label=", "?follow=true", "?tail=", "?attach=true", "%00", "%2F", "%2e%2e",
        "%", "+", "=", "&", "?", "RTMIN%2B", "SIGRTMAX-", "%2B", "SIGKILL", "1e400", "-1", "\"bundle\"", "\"name\"", "\"labels\"",
    ])

    init(socketPath: String, daemonPID: Int32, readTimeoutMS: Int) {
        self.socketPath = socketPath
        self.daemonPID = daemonPID
        self.readTimeoutMS = readTimeoutMS
    }

    /// Most mutations break the framing (a Content-Length past the body, no
    /// blank line), and such a request is only ever answered by the read
    /// timeout. Nine in ten are repaired (the head ends, Content-Length is the
    /// body's) so that the time goes to requests nestd acts on; the tenth is
    /// sent as mutated.
    static func repair(_ input: [UInt8]) -> [UInt8] {
        guard input.count % 10 != 0 else { return input }
        let sep: [UInt8] = [0x0d, 0x0a, 0x0d, 0x0a]
        var head: ArraySlice<UInt8>, body: ArraySlice<UInt8>
        if let i = input.indices.first(where: { input[$0...].starts(with: sep) }) {
            head = input[..<i]; body = input[(i + 4)...]
        } else { head = input[...]; body = [] }
        var lines = head.split(separator: 0x0a, omittingEmptySubsequences: false).map { l in
            Array(l.last == 0x0d ? l.dropLast() : l)
        }
        lines.removeAll { String(decoding: $0.prefix(15), as: UTF8.self).lowercased().hasPrefix("content-length:") }
        if !body.isEmpty { lines.append(Array("Content-Length: \(body.count)".utf8)) }
        return Array(lines.joined(separator: [0x0d, 0x0a])) + sep + body
    }

    mutating func run(_ raw: [UInt8]) throws(Finding) -> String {
        let input = Self.repair(raw)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Finding(message: "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { p in
            for (i, b) in socketPath.utf8.prefix(p.count - 1).enumerated() { p[i] = b }
        }
        var tv = timeval(tv_sec: readTimeoutMS / 1000, tv_usec: (readTimeoutMS % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { try alive(); throw Finding(message: "connect: \(String(cString: strerror(errno)))") }
        var sent = 0
        while sent < input.count {
            let n = input[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }   // the server may close on a bad request before reading it all
            sent += n
        }
        var answer: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        var timedOut = false
        while answer.count < 1 << 16 {
            let n = recv(fd, &buf, buf.count, 0)
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { timedOut = true; break }
            if n <= 0 { break }
            answer += buf[0..<n]
            if answer.count >= 12 && answer.starts(with: Array("HTTP/1.1 ".utf8)) && answer.contains(0x0a) { break }
        }
        try alive()
        if answer.isEmpty {
            if timedOut { timeouts += 1; return "timeout" }
            return "closed"
        }
        guard answer.count >= 12, answer.starts(with: Array("HTTP/1.".utf8)),
              let code = Int(String(decoding: answer[9..<12], as: UTF8.self)) else {
            throw Finding(message: "an answer that is not HTTP: \(String(decoding: answer.prefix(80), as: UTF8.self))")
        }
        statuses[code, default: 0] += 1
        if code >= 500 {
            throw Finding(message: "status \(code): \(String(decoding: answer.prefix(400), as: UTF8.self))")
        }
        let line = input.split(separator: 0x0a, maxSplits: 1).first.map { String(decoding: $0.prefix(40), as: UTF8.self) } ?? ""
        let route = line.split(separator: " ").dropFirst().first.map { $0.split(separator: "?").first.map(String.init) ?? "" } ?? ""
        // status and the route's first words: the corpus keeps one input per
        // handler and outcome, not one per mutated byte
        let known: Set<Substring> = ["v1", "containers", "version", "info", "events", "start", "stop", "kill",
                                      "wait", "logs", "subsystem", "fuzzme"]
        let words = route.split(separator: "/").prefix(4).map { known.contains($0) ? String($0) : "*" }
        return "\(code) \(words.joined(separator: "/"))"
    }

    /// nestd is usually not our child: a zombie also answers kill(pid, 0).
    private func alive() throws(Finding) {
        let f = fopen("/proc/\(daemonPID)/stat", "r")
        var state: CChar = 0
        if let f {
            var line = [CChar](repeating: 0, count: 512)
            if fgets(&line, 512, f) != nil, let close = strrchr(line, Int32(UInt8(ascii: ")"))) { state = close[2] }
            fclose(f)
        }
        if f == nil || state == CChar(UInt8(ascii: "Z")) || state == CChar(UInt8(ascii: "X")) {
            throw Finding(message: "nestd (pid \(daemonPID)) died")
        }
    }
}
