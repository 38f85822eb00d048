import Glibc
import NestAPI
import NestRuntime

extension Router {
    static func needsUpgrade(_ what: String) -> APIError {
        APIError(400, "\(what) is a stream of frames: send Connection: Upgrade and Upgrade: \(StreamFrame.protocolName) (docs/api/streams.md)",
                 field: "Upgrade")
    }

    /// POST /v1/containers/{id}/attach (upgraded): the container's output as
    /// frames, from its log (all of it for a container not yet started, what
    /// it writes from now on otherwise), stdin frames to its stdin pipe or
    /// terminal (`openStdin`; dropped without), resize frames to its
    /// terminal; an exit frame once it has exited (and, auto-remove, been
    /// removed). Without that frame the container was deleted first.
    func attach(_ d: Daemon, _ id: String, _ req: Request, _ w: ResponseWriter) throws(APIError) {
        guard req.upgrade else { throw Self.needsUpgrade("attach") }
        let r = try d.record(id)
        let state = (try? d.runtime.state(id: r.id).status) ?? "stopped"
        var q = LogQuery()
        q.follow = true
        q.raw = true
        // before the upgrade, as for an attached start: nothing is missed
        let follower = LogFollower(d, r.id)
        let tail = LogTail(path: d.logPath(r), query: q)
        if state == "created" { tail.openLog(creating: true) } else { tail.skipExisting() }
        let target: InputTarget = d.streams.withLock { $0[r.id] } ?? DroppedInput()
        let pump = InputPump(target)
        guard let stream = w.upgrade(pump) else { return }
        pump.onResume { resumeReading(stream.channel) }
        withExtendedLifetime(tail) {
            if let status = tail.stream(to: stream, until: follower) {
                stream.exit(status.exitCode ?? -1)
            } else {
                stream.close()
            }
        }
    }
}

/// Input of a stream whose process reads no stdin.
struct DroppedInput: InputTarget {
    func write(_ bytes: [UInt8]) -> Bool { true }
    func closeInput() {}
    func resize(rows: UInt16, cols: UInt16) {}
    func clientGone() {}
}
