import NestAPI

/// What `nestctl pull` shows: on a terminal one line per layer, redrawn in
/// place as its bytes arrive (short digest, bytes done of total, rate); when
/// stdout is not a terminal, one plain line per layer once it is complete.
public struct PullProgressView {
    public let terminal: Bool
    private var order: [String] = []
    private var lines: [String: PullLine] = [:]
    private var drawn = 0
    private var reported: Set<String> = []

    public init(terminal: Bool) { self.terminal = terminal }

    /// The text to write for one progress line of the stream.
    public mutating func update(_ line: PullLine) -> String {
        guard let layer = line.layer else { return "" }
        if lines[layer] == nil { order.append(layer) }
        lines[layer] = line
        if terminal { return redraw() }
        guard let done = line.done, let total = line.total, done >= total, !reported.contains(layer) else { return "" }
        reported.insert(layer)
        return "layer \(Self.short(layer)) \(Self.bytes(total)) " + (line.cached == true ? "already present" : "done") + "\n"
    }

    /// Moves up over what was drawn and draws every layer again.
    private mutating func redraw() -> String {
        var out = drawn > 0 ? "\u{1b}[\(drawn)A" : ""
        for layer in order {
            out += "\r\u{1b}[K" + Self.status(lines[layer]!) + "\n"
        }
        drawn = order.count
        return out
    }

    public static func status(_ l: PullLine) -> String {
        let layer = short(l.layer ?? "")
        let done = l.done ?? 0, total = l.total ?? 0
        if l.cached == true { return "\(layer)  already present" }
        if done >= total { return "\(layer)  \(bytes(total)) done" }
        return "\(layer)  \(bytes(done)) / \(bytes(total))  \(bytes(Int64(l.rate ?? 0)))/s"
    }

    /// `sha256:` and the first 12 hex digits.
    public static func short(_ digest: String) -> String {
        digest.hasPrefix("sha256:") ? String(digest.prefix(7 + 12)) : String(digest.prefix(19))
    }

    /// Decimal units with one decimal, as registries and Docker show sizes.
    public static func bytes(_ n: Int64) -> String {
        let units = ["kB", "MB", "GB", "TB"]
        if n < 1000 { return "\(n) B" }
        var v = Double(n) / 1000
        var i = 0
        while v >= 1000 && i < units.count - 1 { v /= 1000; i += 1 }
        let tenths = Int((v * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(units[i])"
    }
}
