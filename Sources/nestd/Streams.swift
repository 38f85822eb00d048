#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import NestAPI
import NestRuntime

extension Router {
    /// GET /v1/events: one JSON object per line until the client goes away.
    func streamEvents(_ d: Daemon, _ w: ResponseWriter) {
        w.begin(contentType: "application/x-ndjson")
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let sub = d.events.subscribe { e in
            if let data = try? enc.encode(e) { w.chunk(Array(data) + [0x0a]) }
        }
        w.closeFuture.whenComplete { _ in d.events.unsubscribe(sub) }
    }

    /// GET /v1/containers/{id}/logs: the records so far, then, with follow,
    /// what the monitor appends until the container has exited.
    func streamLogs(_ d: Daemon, _ id: String, _ req: Request, _ w: ResponseWriter) throws(APIError) {
        let r = try d.record(id)
        var q = LogQuery()
        q.follow = req.query["follow"] == "true" || req.query["follow"] == "1"
        q.timestamps = req.query["timestamps"] == "true" || req.query["timestamps"] == "1"
        q.raw = req.query["format"] == "records"
        if let t = req.query["tail"], t != "all" {
            guard let n = Int(t), n >= 0 else { throw APIError(400, "tail must be a number or all", field: "tail") }
            q.tail = n
        }
        if let s = req.query["since"] {
            guard let date = Timestamp.parseLoose(s) ?? Double(s).map({ Date(timeIntervalSince1970: $0) }) else {
                throw APIError(400, "since must be RFC 3339 or seconds since the epoch", field: "since")
            }
            q.since = date
        }
        let path = d.records.logPath(r.id)
        w.begin(contentType: "text/plain; charset=utf-8")
        var offset = 0
        var first = true
        func pump() {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return }
            defer { close(fd) }
            var data: [UInt8] = []
            var buf = [UInt8](repeating: 0, count: 65536)
            var at = off_t(offset)
            while true {
                let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, at) }
                if n <= 0 { break }
                data += buf[0..<n]
                at += off_t(n)
            }
            guard !data.isEmpty else { return }
            let text = String(decoding: data, as: UTF8.self)
            let (out, used) = q.render(Substring(text), applyTail: first)
            first = false
            offset += used
            w.chunk(Array(out.utf8))
        }
        pump()
        guard q.follow else { w.end(); return }
        let stopped = { (try? d.runtime.state(id: r.id).status) ?? "stopped" == "stopped" }
        // inotify wakes the follower when the monitor appends or the init exits
        let ino = inotify_init1(Int32(IN_CLOEXEC))
        defer { close(ino) }
        _ = inotify_add_watch(ino, path, UInt32(IN_MODIFY))
        _ = inotify_add_watch(ino, d.root + "/" + r.id, UInt32(IN_MOVED_TO | IN_DELETE_SELF))
        var buf = [UInt8](repeating: 0, count: 4096)
        while w.isActive {
            if stopped() { pump(); break }
            var p = pollfd(fd: ino, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 500) > 0 { _ = buf.withUnsafeMutableBytes { read(ino, $0.baseAddress, $0.count) } }
            pump()
        }
        w.end()
    }
}

extension Daemon {
    func daemonInfo() -> DaemonInfo {
        let all = list(state: nil, label: nil)
        var states: [String: Int] = [:]
        for c in all { states[c.state, default: 0] += 1 }
        return DaemonInfo(runtime: "nest", version: nestVersion, cgroupVersion: runtime.cgroupVersionName,
                          root: root, data: data, containers: all.count, states: states)
    }
}
