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
                send(PullLine(image: PulledImageInfo(id: image.id, name: image.name, manifestDigest: image.manifestDigest,
                                                     layers: image.layers, size: image.size)))
            } catch {
                send(PullLine(error: "\(error)"))
            }
            w.end()
        }
        w.closeFuture.whenComplete { _ in task.cancel() }
    }
}
