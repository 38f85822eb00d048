import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore

/// Pulls one image from an OCI distribution registry into a BlobSink:
/// manifest (an index or list resolved to the host's platform), config and
/// layers, each verified against its digest and size as it streams.
public struct RegistryPuller: Sendable {
    public var options: RegistryOptions

    public init(options: RegistryOptions) { self.options = options }

    static let manifestLimit = 4 << 20
    static let configLimit = 16 << 20

    /// The events of a pull as a stream: progress, then the image, or an error.
    public func events(_ reference: RegistryReference, into sink: any BlobSink) -> AsyncThrowingStream<PullEvent, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let image = try await pull(reference, into: sink) { continuation.yield(.progress($0)) }
                    continuation.yield(.image(image))
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    public func pull(_ reference: RegistryReference, into sink: any BlobSink,
                     progress: @escaping @Sendable (PullProgress) -> Void = { _ in }) async throws -> PulledImage {
        let session = try RegistrySession(reference: reference, options: options)
        do {
            let image = try await pull(session, sink: sink, progress: progress)
            await session.shutdown()
            return image
        } catch {
            await session.shutdown()
            throw error
        }
    }

    private func pull(_ session: RegistrySession, sink: any BlobSink,
                      progress: @escaping @Sendable (PullProgress) -> Void) async throws -> PulledImage {
        let reference = session.reference
        var (bytes, digest, mediaType) = try await fetchManifest(session, reference.manifestReference, expected: reference.digest)
        var doc = try decode(bytes, digest: digest)
        if RegistryMediaType.indexTypes.contains(doc.mediaType ?? mediaType) || (doc.manifests != nil && doc.layers == nil) {
            let entries = doc.manifests ?? []
            guard let chosen = options.platform.select(from: entries) else {
                let have = entries.compactMap { $0.platform.map { "\($0.os)/\($0.architecture)" + ($0.variant.map { "/\($0)" } ?? "") } }
                throw RegistryError("\(reference): no manifest for \(options.platform) in the index \(digest) (it has \(have.isEmpty ? "none" : have.joined(separator: ", ")))")
            }
            (bytes, digest, mediaType) = try await fetchManifest(session, chosen.digest, expected: chosen.digest)
            guard bytes.count == chosen.size else {
                throw RegistryError("manifest \(chosen.digest): \(bytes.count) bytes, the index says \(chosen.size)")
            }
            doc = try decode(bytes, digest: digest)
        }
        let type = doc.mediaType ?? mediaType
        guard let config = doc.config, let layers = doc.layers, RegistryMediaType.manifestTypes.contains(type) || doc.schemaVersion == 2 else {
            throw RegistryError("manifest \(digest) of \(reference): media type \"\(type)\" is not an OCI or Docker schema 2 image manifest")
        }
        for d in [config] + layers where !RegistryReference.isDigest(d.digest) || d.size < 0 {
            throw RegistryError("manifest \(digest): descriptor \"\(d.digest)\" (size \(d.size)) is not a sha256 digest with a size")
        }
        guard config.size <= Self.configLimit else {
            throw RegistryError("manifest \(digest): config \(config.digest) of \(config.size) bytes is over the \(Self.configLimit)-byte limit")
        }
        let configBytes = try await fetchConfig(session, config, sink: sink)
        try await fetchLayers(session, layers, sink: sink, progress: progress)
        return try await sink.commit(manifest: bytes, manifestDigest: digest, config: configBytes, name: reference.familiarName)
    }

    private func decode(_ bytes: Data, digest: String) throws -> RegistryDocument {
        do { return try JSONDecoder().decode(RegistryDocument.self, from: bytes) } catch {
            throw RegistryError("manifest \(digest): not valid JSON (\(error))")
        }
    }

    /// The manifest bytes, their digest, and the Content-Type. A manifest
    /// asked for by digest must hash to it; one by tag must hash to the
    /// Docker-Content-Digest the registry names, when it names one.
    private func fetchManifest(_ session: RegistrySession, _ ref: String, expected: String?) async throws -> (Data, String, String) {
        let url = await session.url("manifests", ref)
        let response = try await session.get(url, accept: RegistryMediaType.accept)
        let bytes = try await session.readBody(response, limit: Self.manifestLimit, url: url)
        let digest = Self.sha256(bytes)
        if let want = expected ?? response.headers.first(name: "Docker-Content-Digest"), want != digest {
            throw RegistryError("GET \(url): manifest content has digest \(digest), expected \(want)")
        }
        let contentType = response.headers.first(name: "Content-Type")?.split(separator: ";").first.map {
            $0.trimmingCharacters(in: .whitespaces)
        } ?? ""
        return (bytes, digest, contentType)
    }

    private func fetchConfig(_ session: RegistrySession, _ d: RegistryDescriptor, sink: any BlobSink) async throws -> Data {
        let url = await session.url("blobs", d.digest)
        let response = try await session.get(url)
        let bytes = try await session.readBody(response, limit: Self.configLimit, url: url)
        let writer = try sink.begin(digest: d.digest, size: d.size)
        do {
            try bytes.withUnsafeBytes { try writer.write($0) }
            try writer.finish()
        } catch {
            writer.abort()
            throw RegistryError("GET \(url): \(error)")
        }
        return bytes
    }

    private func fetchLayers(_ session: RegistrySession, _ layers: [RegistryDescriptor], sink: any BlobSink,
                             progress: @escaping @Sendable (PullProgress) -> Void) async throws {
        let limit = max(1, options.parallelLayers)
        try await withThrowingTaskGroup(of: Void.self) { group in
            var running = 0
            for layer in layers {
                if sink.contains(digest: layer.digest) {
                    progress(PullProgress(layer: layer.digest, done: layer.size, total: layer.size, rate: 0, cached: true))
                    continue
                }
                if running == limit { try await group.next(); running -= 1 }
                group.addTask { try await Self.fetchBlob(session, layer, sink: sink, progress: progress) }
                running += 1
            }
            try await group.waitForAll()
        }
    }

    private static func fetchBlob(_ session: RegistrySession, _ d: RegistryDescriptor, sink: any BlobSink,
                                  progress: @escaping @Sendable (PullProgress) -> Void) async throws {
        let url = await session.url("blobs", d.digest)
        let response = try await session.get(url)
        let writer = try sink.begin(digest: d.digest, size: d.size)
        var meter = ProgressMeter(layer: d.digest, total: d.size)
        progress(meter.snapshot())
        do {
            for try await chunk in response.body {
                try chunk.withUnsafeReadableBytes { try writer.write($0) }
                meter.add(chunk.readableBytes, report: progress)
            }
            try writer.finish()
        } catch let e as RegistryError where !e.message.hasPrefix("GET ") {
            writer.abort()
            throw RegistryError("GET \(url): \(e.message)")
        } catch {
            writer.abort()
            throw session.describe(error, url: url)
        }
        if d.size == 0 { progress(meter.snapshot()) }
    }

    static func sha256(_ bytes: Data) -> String {
        "sha256:" + SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }
}
