#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NestAPI

/// /v1/volumes: create, list, inspect, remove and prune named volumes.
enum VolumeRoutes {
    static func handle(_ d: Daemon, _ req: Request, _ w: ResponseWriter) throws(APIError) {
        let p = req.path
        let m = req.method
        if p.count == 2 {
            switch m {
            case .GET:
                w.json(200, d.listVolumes())
            case .POST:
                let body: VolumeCreateRequest
                do { body = try JSONDecoder().decode(VolumeCreateRequest.self, from: Data(req.body)) } catch {
                    throw APIError(400, "request body: \(Router.describe(error))", field: Router.field(error))
                }
                let (info, made) = try d.createVolume(body)
                w.json(made ? 201 : 200, info)
            default:
                throw .methodNotAllowed("method \(m) not allowed on /v1/volumes", allow: ["GET", "POST"])
            }
            return
        }
        // prune is an action, POST only (a volume cannot be named so:
        // names are refused at create when they are)
        if p[2] == "prune" {
            guard m == .POST else { throw .methodNotAllowed("method \(m) not allowed on /v1/volumes/prune", allow: ["POST"]) }
            w.json(200, VolumePruneResponse(removed: try d.pruneVolumes()))
            return
        }
        switch m {
        case .GET:
            w.json(200, try d.inspectVolume(p[2]))
        case .DELETE:
            try d.removeVolume(p[2], force: try req.flag("force"))
            w.send(204, [])
        default:
            throw .methodNotAllowed("method \(m) not allowed on /v1/volumes/{name}", allow: ["GET", "DELETE"])
        }
    }
}
