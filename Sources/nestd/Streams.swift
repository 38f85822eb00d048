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
            // a listener that does not read is dropped rather than buffered for
            guard w.isWritable else { w.close(); return }
            if let data = try? enc.encode(e) { w.chunk(Array(data) + [0x0a]) }
        }
        w.closeFuture.whenComplete { _ in d.events.unsubscribe(sub) }
    }

    /// GET /v1/containers/{id}/logs: the records so far, then, with follow,
    /// what the monitor appends until the container has exited.
    func streamLogs(_ d: Daemon, _ id: String, _ req: Request, _ w: ResponseWriter) throws(APIError) {
        let r = try d.record(id)
        var q = LogQuery()
        q.follow = try req.flag("follow")
        q.timestamps = try req.flag("timestamps")
        q.raw = try req.oneOf("format", ["records"]) != nil
        if let t = req.query["tail"], t != "all" {
            guard let n = Int(t), n >= 0 else { throw APIError(400, "tail must be a number or all", field: "tail") }
            q.tail = n
        }
        if let s = req.query["since"] {
            guard let date = Timestamp.parseLoose(s) ?? Double(s).flatMap({ $0.isFinite ? Date(timeIntervalSince1970: $0) : nil }) else {
                throw APIError(400, "since must be RFC 3339 or seconds since the epoch", field: "since")
            }
            q.since = date
        }
        let follower = q.follow ? LogFollower(d, r.id) : nil
        w.begin(contentType: "text/plain; charset=utf-8")
        let tail = LogTail(path: d.logPath(r), query: q)
        withExtendedLifetime(tail) {
            _ = tail.stream(to: w, until: follower)
            w.end()
        }
    }

    /// POST /v1/containers/{id}/start?attach=true: starts the container and
    /// answers with its log records (as logs?follow=true&format=records)
    /// from before the start, so nothing is missed, then an exit record.
    /// For an auto-remove container the stream ends after the removal.
    func startAttached(_ d: Daemon, _ id: String, _ w: ResponseWriter) throws(APIError) {
        let r = try d.record(id)
        var q = LogQuery()
        q.follow = true
        q.raw = true
        let follower = LogFollower(d, r.id)     // before the start: an exit is never missed
        // The log is opened before the start too: an auto-remove container
        // that exits at once is removed (its log unlinked) as soon as it
        // has exited, maybe before the stream's first read; the open
        // descriptor still reads every record it wrote.
        let tail = LogTail(path: d.logPath(r), query: q)
        tail.openLog(creating: true)
        try d.start(r.id)
        w.begin(contentType: "text/plain; charset=utf-8", headers: [("Nest-Container-Id", r.id)])
        withExtendedLifetime(tail) {
            if let status = tail.stream(to: w, until: follower) {
                let exit = WaitResponse(exitCode: status.exitCode ?? -1, oomKilled: status.oomKilled ?? false)
                w.chunk(Array((Timestamp.string(Date()) + " exit " + exit.json + "\n").utf8))
            }
            w.end()
        }
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
