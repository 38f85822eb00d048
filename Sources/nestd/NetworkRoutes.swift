import Foundation
import NestAPI

/// /v1/networks: create, list, inspect and remove CNI networks.
enum NetworkRoutes {
    static func handle(_ d: Daemon, _ req: Request, _ w: ResponseWriter) throws(APIError) {
        let p = req.path
        let m = req.method
        if p.count == 2 {
            switch m {
            case .GET:
                w.json(200, d.listNetworks())
            case .POST:
                let body: NetworkCreateRequest
                do { body = try JSONDecoder().decode(NetworkCreateRequest.self, from: Data(req.body)) } catch {
                    throw APIError(400, "request body: \(Router.describe(error))", field: Router.field(error))
                }
                w.json(201, try d.createNetwork(body))
            default:
                throw .methodNotAllowed("method \(m) not allowed on /v1/networks", allow: ["GET", "POST"])
            }
            return
        }
        switch m {
        case .GET:
            w.json(200, try d.inspectNetwork(p[2]))
        case .DELETE:
            try d.removeNetwork(p[2])
            w.send(204, [])
        default:
            throw .methodNotAllowed("method \(m) not allowed on /v1/networks/{name}", allow: ["GET", "DELETE"])
        }
    }
}
