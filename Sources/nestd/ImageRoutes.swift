#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NestAPI

/// /v1/images: list, inspect, remove, prune and import. A reference may
/// hold '/' and ':' (clients percent-encode them; the server decodes each
/// path segment); one sent unencoded spans several segments and is joined.
enum ImageRoutes {
    static func handle(_ d: Daemon, _ req: Request, _ w: ResponseWriter) throws(APIError) {
        let p = req.path
        let m = req.method
        if p.count == 2 {
            guard m == .GET else { throw .methodNotAllowed("method \(m) not allowed on /v1/images", allow: ["GET"]) }
            w.json(200, try d.listImages())
            return
        }
        // pull, prune and import are the store's actions, POST only (an
        // image of such a name is reached with its tag: prune:latest)
        if p.count == 3, ["pull", "prune", "import"].contains(p[2]), m != .POST {
            throw .methodNotAllowed("method \(m) not allowed on /v1/images/\(p[2])", allow: ["POST"])
        }
        if p.count == 3, m == .POST {
            switch p[2] {
            case "prune":
                w.json(200, try d.pruneImages())
            case "import":
                let body: ImageImportRequest
                do { body = try JSONDecoder().decode(ImageImportRequest.self, from: Data(req.body)) } catch {
                    throw APIError(400, "request body: \(Router.describe(error))", field: Router.field(error))
                }
                w.json(200, try d.importImage(body))
            default:
                throw .methodNotAllowed("method POST not allowed on /v1/images/{ref}", allow: ["GET", "DELETE"])
            }
            return
        }
        let ref = p[2...].joined(separator: "/")
        switch m {
        case .GET:
            w.json(200, try d.inspectImage(ref))
        case .DELETE:
            w.json(200, try d.removeImage(ref, force: try req.flag("force")))
        default:
            throw .methodNotAllowed("method \(m) not allowed on /v1/images/{ref}", allow: ["GET", "DELETE"])
        }
    }
}
