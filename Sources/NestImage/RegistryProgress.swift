import Foundation

/// One layer's progress during a pull.
public struct PullProgress: Sendable, Equatable, Codable {
    public var layer: String
    public var done: Int64
    public var total: Int64
    /// Bytes per second since this layer started.
    public var rate: Double
    /// True when the blob was already stored and nothing was fetched.
    public var cached: Bool?

    public init(layer: String, done: Int64, total: Int64, rate: Double, cached: Bool? = nil) {
        self.layer = layer; self.done = done; self.total = total; self.rate = rate; self.cached = cached
    }

    public var finished: Bool { done >= total }
}

/// What a pull reports as it goes: progress lines, then the image.
public enum PullEvent: Sendable, Equatable {
    case progress(PullProgress)
    case image(PulledImage)
}

/// Limits the progress reports of one layer to a few per second, keeping
/// the first and the last, so a fast local pull does not flood a terminal
/// or a JSON-lines stream.
struct ProgressMeter {
    let layer: String, total: Int64
    let start = ContinuousClock.now
    var lastReport: ContinuousClock.Instant?
    var done: Int64 = 0

    mutating func add(_ n: Int, report: (PullProgress) -> Void) {
        done += Int64(n)
        let now = ContinuousClock.now
        if done >= total || lastReport.map({ now - $0 >= .milliseconds(100) }) ?? true {
            lastReport = now
            report(snapshot(now))
        }
    }

    func snapshot(_ now: ContinuousClock.Instant = .now) -> PullProgress {
        let elapsed = now - start
        let secs = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return PullProgress(layer: layer, done: done, total: total, rate: secs > 0 ? Double(done) / secs : 0)
    }
}
