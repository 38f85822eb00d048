#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import NIOHTTP1
import NestAPI

/// Maps /v1 requests to the daemon. Runs on a worker thread, never on an
/// event loop: runtime calls block.
struct Router: Sendable {
    let daemon: Daemon?

    static let forbidden = Router(daemon: nil)

    func handle(_ req: Request, _ w: ResponseWriter) {
        guard let daemon else {
            w.json(403, ErrorBody(error: "permission denied: uid \(req.peer.uid) is neither root nor in group nest"))
            return
        }
        do throws(APIError) {
            try route(daemon, req, w)
        } catch {
            w.json(error.status, error.body,
                   headers: error.allow.isEmpty ? [] : [("Allow", error.allow.joined(separator: ", "))])
        }
    }

    private func route(_ d: Daemon, _ req: Request, _ w: ResponseWriter) throws(APIError) {
        let p = req.path
        guard p.first == "v1" else { throw APIError(404, "no such path; the API is under /v1") }
        let m = req.method
        switch (p.count, p.count > 1 ? p[1] : "") {
        case (2, "version"):
            try only(m, .GET)
            w.json(200, VersionInfo(name: "nestd", version: nestVersion, apiVersion: API.version))
        case (2, "info"):
            try only(m, .GET)
            w.json(200, d.daemonInfo())
        case (2, "events"):
            try only(m, .GET)
            streamEvents(d, w)
        case (2, "auth"):
            try only(m, .POST)
            try checkLogin(d, req, w)
        case (3, "images") where p[2] == "pull":
            try only(m, .POST)
            try pullImage(d, req, w)
        case (2, "containers"):
            if m == .GET {
                // KEY or KEY=VALUE; an empty key matches nothing meaningful
                if let label = req.query["label"], label.isEmpty || label.hasPrefix("=") {
                    throw APIError(400, "label must be KEY or KEY=VALUE, got \"\(label.prefix(64))\"", field: "label")
                }
                let state = try req.oneOf("state", ["creating", "created", "running", "paused", "stopped"])
                let label = req.query["label"]
                let body = d.listCache.body((state ?? "") + "\u{0}" + (label ?? "\u{0}")) {
                    var bytes = ContainerInfo.jsonArray(d.list(state: state, label: label))
                    bytes.append(0x0a)
                    return bytes
                }
                w.send(200, body)
            } else if m == .POST {
                let body: CreateRequest
                do { body = try JSONDecoder().decode(CreateRequest.self, from: Data(req.body)) } catch {
                    throw APIError(400, "request body: \(Self.describe(error))", field: Self.field(error))
                }
                // attach=true: created, started and attached in one request
                // (nestctl run): its answer is start?attach=true's stream
                let attach = try req.flag("attach")
                if attach, body.subsystem != nil {
                    throw APIError(400, "attach=true takes a bundle or an image; a subsystem is started with start=true", field: "attach")
                }
                let created = try d.create(body)
                if attach {
                    do { try startAttached(d, created.id, w) } catch {
                        try? d.delete(created.id, force: true)
                        throw error
                    }
                    return
                }
                if body.start == true {
                    // a subsystem of several processes is a pod
                    let isPod = d.pods.withLock { $0[created.id] != nil }
                    do {
                        if isPod { _ = try d.startPod(created.id) } else { try d.start(created.id) }
                    } catch {
                        if isPod { try? d.removePod(created.id, force: true) } else { try? d.delete(created.id, force: true) }
                        throw error
                    }
                }
                w.send(201, created.json + [0x0a])
            } else { throw .methodNotAllowed("method \(m) not allowed on /v1/containers", allow: ["GET", "POST"]) }
        case (3, "containers"):
            if m == .GET { w.json(200, try d.info(p[2])) }
            else if m == .DELETE {
                try d.delete(p[2], force: try req.flag("force"))
                w.send(204, [])
            } else { throw .methodNotAllowed("method \(m) not allowed on /v1/containers/{id}", allow: ["GET", "DELETE"]) }
        case (4, "containers"):
            try action(d, p[2], p[3], req, w)
        case (2, "volumes"), (3, "volumes"):
            try VolumeRoutes.handle(d, req, w)
        case (2, "networks"), (3, "networks"):
            try NetworkRoutes.handle(d, req, w)
        case (_, "images"):
            try ImageRoutes.handle(d, req, w)
        case (_, "pods"):
            try PodRoutes.handle(d, req, w)
        default:
            throw APIError(404, "no such path: /" + p.joined(separator: "/"))
        }
    }

    private func action(_ d: Daemon, _ id: String, _ action: String, _ req: Request, _ w: ResponseWriter) throws(APIError) {
        let m = req.method
        switch action {
        case "start":
            try only(m, .POST)
            if try req.flag("attach") {
                try startAttached(d, id, w)
            } else {
                try d.start(id); w.json(200, try d.info(id))
            }
        case "stop":
            try only(m, .POST)
            let timeout = try Self.seconds(req.query["timeout"], name: "timeout", default: 10, max: Self.maxStopTimeout)
            w.json(200, try d.stop(id, timeout: timeout))
        case "kill":
            try only(m, .POST); try d.kill(id, signal: req.query["signal"] ?? "KILL"); w.json(200, try d.info(id))
        case "wait":
            try only(m, .POST)
            let r = try d.record(id)
            // remove=true: the container is deleted once it has exited, before
            // the answer, so `run --rm` needs no DELETE of its own.
            let remove = try req.flag("remove")
            d.onExit(r.id) { s in
                guard let s else {
                    w.json(404, ErrorBody(error: "container \(r.id) was deleted"))
                    return
                }
                let answer = WaitResponse(exitCode: s.exitCode ?? -1, oomKilled: s.oomKilled ?? false)
                if remove {
                    detachThread {
                        try? d.delete(r.id, force: true)
                        w.json(200, answer)
                    }
                } else {
                    w.json(200, answer)
                }
            }
        case "logs":
            try only(m, .GET)
            try streamLogs(d, id, req, w)
        case "pause":
            try only(m, .POST); w.json(200, try d.pause(id))
        case "unpause":
            try only(m, .POST); w.json(200, try d.unpause(id))
        case "top":
            try only(m, .GET); w.json(200, try d.top(id, psArgs: req.query["ps_args"]))
        case "update":
            try only(m, .POST); w.json(200, try d.update(id, body: req.body))
        case "attach":
            try only(m, .POST)
            try attach(d, id, req, w)
        case "exec":
            try only(m, .POST)
            try exec(d, id, req, w)
        case "subsystem":
            try only(m, .GET)
            // a pod's container shows its pod's config; so does a pod's name
            let configID: String
            do throws(APIError) {
                let r = try d.record(id)
                configID = r.pod ?? r.id
            } catch {
                guard let pod = try? d.podRecord(id) else { throw error }
                w.send(200, contentType: "application/xml", Array(try d.podSubsystem(pod).xml().utf8))
                return
            }
            do { w.send(200, contentType: "application/xml", Array(try d.runtime.subsystemXML(id: configID).utf8)) }
            catch { throw APIError(error) }
        default:
            throw APIError(404, "no such action: \(action)")
        }
    }

    /// The longest stop timeout: a stop holds a worker thread for as long
    /// as it waits, so no request may ask for an unbounded wait.
    static let maxStopTimeout: Double = 3600

    /// A query parameter of seconds: a finite decimal number in 0...max
    /// (no NaN, no infinity, no 1e400, which is infinity), else a 400 naming it.
    static func seconds(_ text: String?, name: String, default value: Double, max: Double) throws(APIError) -> Double {
        guard let text else { return value }
        // decimal only: Double() also reads hex (0x10), inf and nan
        let decimal = text.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2e || $0 == 0x65 || $0 == 0x45 || $0 == 0x2b || $0 == 0x2d }
        guard text.utf8.count <= 32, decimal, let v = Double(text), v.isFinite, v >= 0, v <= max else {
            throw APIError(400, "\(name) must be a number of seconds from 0 to \(Int(max)), got \(text.prefix(32))", field: name)
        }
        return v
    }

    private func only(_ m: HTTPMethod, _ want: HTTPMethod) throws(APIError) {
        if m != want { throw .methodNotAllowed("method \(m) not allowed; use \(want)", allow: ["\(want)"]) }
    }

    static func describe(_ e: Error) -> String {
        switch e as? DecodingError {
        case .keyNotFound(let k, _)?: return "missing field \(k.stringValue)"
        case .typeMismatch(_, let c)? where c.codingPath.isEmpty: return "must be a JSON object"
        case .typeMismatch(_, let c)?: return "wrong type at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        case .dataCorrupted?: return "not valid JSON"
        default: return "\(e)"
        }
    }

    static func field(_ e: Error) -> String? {
        switch e as? DecodingError {
        case .keyNotFound(let k, _)?: return k.stringValue
        case .typeMismatch(_, let c)?, .valueNotFound(_, let c)?: return c.codingPath.map(\.stringValue).joined(separator: ".")
        default: return nil
        }
    }
}
