import Foundation
import NestAPI

// The seam between the registry client and the image store. The pull writes
// every blob through a PullBlobWriter (verified while it streams) and then asks
// the sink to record the image. The store's BlobStore/ImageStore implement
// this through StoreBlobSink.

/// Where pulled blobs go.
public protocol BlobSink: Sendable {
    /// True when the blob is already stored: the pull does not fetch it again.
    func contains(digest: String) -> Bool
    /// Starts writing one blob. Nothing is visible under `digest` until
    /// `finish` has checked the digest and size; `abort` leaves nothing behind.
    func begin(digest: String, size: Int64) throws -> any PullBlobWriter
    /// Records the image once every blob it names is stored.
    func commit(manifest: Data, manifestDigest: String, config: Data, name: String) async throws -> PulledImage
}

public protocol PullBlobWriter: AnyObject {
    /// Refuses (throws) as soon as more bytes arrive than the declared size.
    func write(_ bytes: UnsafeRawBufferPointer) throws
    /// Refuses a short blob or a digest mismatch, naming the digest; on
    /// success the blob is durable (fsync, rename) under its digest.
    func finish() throws
    /// Removes what was written; safe to call after a failed finish.
    func abort()
}

/// What a pull made: the image as recorded by the sink (the config digest
/// as id, the layer blob digests lowest first, config and layer sizes summed),
/// one type with the last line of the REST API's pull stream.
public typealias PulledImage = PulledImageInfo
