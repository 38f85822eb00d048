import Foundation

/// The image store as the registry client's sink: blobs go through the
/// BlobStore's verified writer (a temp file, hashed and counted while it
/// streams, renamed only when digest and size match), and the pulled image
/// is committed by the store, which unpacks its layers once by chain ID and
/// records the name. The commit takes the store's lock, as rm and prune do.
/// Every blob the pull finds or writes is pinned first (StorePin), so a
/// prune or rm between the blobs and the commit does not take them away.
public struct StoreBlobSink: BlobSink {
    public let store: ImageStore
    let pin: StorePin

    public init(store: ImageStore) {
        self.store = store
        pin = store.pin()
    }

    public func contains(digest: String) -> Bool {
        (try? pin.hold(digest) { store.blobs.has(digest) }) ?? false
    }

    public func begin(digest: String, size: Int64) throws -> any PullBlobWriter {
        _ = try Digest.validate(digest)
        try pin.hold(digest) {}
        return StoreBlobWriter(writer: try store.blobs.begin(), digest: digest, size: size)
    }

    public func commit(manifest: Data, manifestDigest: String, config: Data, name: String) async throws -> PulledImage {
        try pin.hold(manifestDigest) {}
        _ = try store.blobs.ingest(bytes: Array(manifest), digest: manifestDigest)
        let doc = try JSONDecoder().decode(RegistryDocument.self, from: manifest)
        guard let cfg = doc.config, let layers = doc.layers else {
            throw RegistryError("manifest \(manifestDigest): no config or layers")
        }
        if !(try pin.hold(cfg.digest) { store.blobs.has(cfg.digest) }) {
            _ = try store.blobs.ingest(bytes: Array(config), digest: cfg.digest)
        }
        let record = try store.commit(manifest: manifestDigest, config: cfg.digest, name: name)
        pin.release()
        return PulledImage(id: record.id, name: record.names.first ?? name, manifestDigest: manifestDigest,
                           layers: layers.map(\.digest), size: cfg.size + layers.reduce(0) { $0 + $1.size })
    }
}

/// The pull's writer over one BlobStore writer, checked against the digest
/// and size the manifest gave.
final class StoreBlobWriter: PullBlobWriter {
    let writer: BlobWriter
    let digest: String
    let size: Int64

    init(writer: BlobWriter, digest: String, size: Int64) {
        self.writer = writer
        self.digest = digest
        self.size = size
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard writer.count + Int64(bytes.count) <= size else {
            throw ImageError(.corrupt, "blob \(digest): size mismatch: expected \(size) bytes, got more")
        }
        try writer.write(bytes)
    }
    func finish() throws { _ = try writer.commit(digest: digest, size: size) }
    func abort() { writer.abort() }
}
