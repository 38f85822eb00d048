#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NestAPI
import NestImage

extension Router {
    /// POST /v1/images/pull: the pull's progress as JSON lines while it
    /// runs, then the image or the error. A client that goes away cancels
    /// the pull; the sink removes what was half written.
    func pullImage(_ d: Daemon, _ req: Request, _ w: ResponseWriter) throws(APIError) {
        let body: PullRequest
        do { body = try JSONDecoder().decode(PullRequest.self, from: Data(req.body)) } catch {
            throw APIError(400, "request body: \(Self.describe(error))", field: Self.field(error))
        }
        let ref: RegistryReference
        do { ref = try RegistryReference(parsing: body.ref) } catch { throw APIError(400, error.message, field: "ref") }
        var options = RegistryOptions()
        options.insecure = body.insecure ?? false
        options.insecureRegistries = body.insecureRegistries ?? []
        do { options.credentials = try RegistryCredentials.load(path: RegistryCredentials.defaultPath(dataRoot: d.data)) }
        catch { throw APIError(500, error.message) }
        let sink = StoreBlobSink(store: try d.images.store())

        w.begin(contentType: "application/x-ndjson")
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let send: @Sendable (PullLine) -> Void = { line in
            if let data = try? enc.encode(line) { w.chunk(Array(data) + [0x0a]) }
        }
        let task = Task {
            do {
                let image = try await RegistryPuller(options: options).pull(ref, into: sink) { p in
                    send(PullLine(layer: p.layer, done: p.done, total: p.total, rate: p.rate, cached: p.cached))
                }
                send(PullLine(image: image))
            } catch {
                send(PullLine(error: "\(error)"))
            }
            w.end()
        }
        w.closeFuture.whenComplete { _ in task.cancel() }
    }
}

extension Router {
    /// POST /v1/auth: asks the registry whether it takes these credentials
    /// (nestd makes the pulls, so it is nestd that must reach the registry).
    /// 200 when it does, 401 with the registry's words when it does not,
    /// 502 when it cannot be asked. Nothing is stored here.
    func checkLogin(_ d: Daemon, _ req: Request, _ w: ResponseWriter) throws(APIError) {
        let body: LoginRequest
        do { body = try JSONDecoder().decode(LoginRequest.self, from: Data(req.body)) } catch {
            throw APIError(400, "request body: \(Self.describe(error))", field: Self.field(error))
        }
        let registry = body.registry
        guard !registry.isEmpty, !registry.contains("/"), !registry.contains("@"),
              let probe = try? RegistryReference(parsing: registry + "/x"), probe.registry == registry else {
            throw APIError(400, "registry must be a host[:port] such as localhost:5000 or docker.io, got \"\(registry.prefix(200))\"", field: "registry")
        }
        if body.insecure == true, !probe.isLoopback {
            throw APIError(400, "insecure allows plain HTTP only to localhost, 127.0.0.1 and ::1, not \(registry)", field: "insecure")
        }
        guard !body.username.isEmpty else { throw APIError(400, "username is empty", field: "username") }
        guard !body.password.isEmpty else { throw APIError(400, "password is empty", field: "password") }
        var options = RegistryOptions()
        options.insecure = body.insecure ?? false
        options.readTimeout = .seconds(15)
        Task {
            do {
                switch try await RegistryLogin.check(registry: registry, username: body.username, password: body.password, options: options) {
                case .accepted: w.json(200, LoginResponse(status: "Login Succeeded"))
                case .refused(let why): w.json(401, ErrorBody(error: "\(registry) refused the login of \(body.username): \(why)"))
                }
            } catch {
                w.json(502, ErrorBody(error: "cannot check the login with \(registry): \(error)"))
            }
        }
    }
}
