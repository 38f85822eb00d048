import Dispatch
import Foundation

extension LayerUnpacker {
    /// Stages every layer of LAYERS (blob path, digest, DiffID), as many
    /// at once as there are CPUs: a layer's unpack is decompression and
    /// hashing on one thread, and an image's layers are independent until
    /// they are stacked. Returns the staged dirs in LAYERS' order; on any
    /// failure removes every one staged and throws the first layer's error.
    func stageAll(_ layers: [(blob: String, digest: String, diffID: String)]) throws(ImageError) -> [String] {
        if layers.count < 2 {
            return try layers.map { (l) throws(ImageError) in try stage(blob: l.blob, digest: l.digest, diffID: l.diffID) }
        }
        let results = StagedResults(count: layers.count)
        DispatchQueue.concurrentPerform(iterations: layers.count) { k in
            let l = layers[k]
            do throws(ImageError) {
                results.set(k, .success(try stage(blob: l.blob, digest: l.digest, diffID: l.diffID)))
            } catch {
                results.set(k, .failure(error))
            }
        }
        let all = results.all()
        var staged: [String] = []
        var failure: ImageError?
        for r in all {
            switch r {
            case .success(let dir): staged.append(dir)
            case .failure(let e): if failure == nil { failure = e }
            case nil: if failure == nil { failure = ImageError(.system, "a layer was not unpacked") }
            }
        }
        if let failure {
            for dir in staged { try? FileOps.removeTree(dir) }
            throw failure
        }
        return staged
    }
}

/// The outcome of each concurrent stage, written once per slot.
private final class StagedResults: @unchecked Sendable {
    private var slots: [Result<String, ImageError>?]
    private let lock = NSLock()

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ k: Int, _ r: Result<String, ImageError>) { lock.withLock { slots[k] = r } }

    func all() -> [Result<String, ImageError>?] { lock.withLock { slots } }
}
