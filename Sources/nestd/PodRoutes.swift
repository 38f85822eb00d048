#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NestAPI

/// /v1/pods: create and list pods, inspect and remove one, start and stop
/// its containers.
enum PodRoutes {
    static func handle(_ d: Daemon, _ req: Request, _ w: ResponseWriter) throws(APIError) {
        let p = req.path
        let m = req.method
        switch p.count {
        case 2:
            switch m {
            case .GET:
                w.json(200, d.listPods())
            case .POST:
                let body: PodCreateRequest
                do { body = try JSONDecoder().decode(PodCreateRequest.self, from: Data(req.body)) } catch {
                    throw APIError(400, "request body: \(Router.describe(error))", field: Router.field(error))
                }
                w.json(201, try d.createPod(body))
            default:
                throw .methodNotAllowed("method \(m) not allowed on /v1/pods", allow: ["GET", "POST"])
            }
        case 3:
            switch m {
            case .GET:
                w.json(200, try d.inspectPod(p[2]))
            case .DELETE:
                try d.removePod(p[2], force: try req.flag("force"))
                w.send(204, [])
            default:
                throw .methodNotAllowed("method \(m) not allowed on /v1/pods/{name}", allow: ["GET", "DELETE"])
            }
        case 4 where p[3] == "start":
            guard m == .POST else { throw .methodNotAllowed("method \(m) not allowed on /v1/pods/{name}/start", allow: ["POST"]) }
            w.json(200, try d.startPod(p[2]))
        case 4 where p[3] == "stop":
            guard m == .POST else { throw .methodNotAllowed("method \(m) not allowed on /v1/pods/{name}/stop", allow: ["POST"]) }
            let timeout = try Router.seconds(req.query["timeout"], name: "timeout", default: 10, max: Router.maxStopTimeout)
            w.json(200, try d.stopPod(p[2], timeout: timeout))
        default:
            throw APIError(404, "no such path: /" + p.joined(separator: "/"))
        }
    }
}
