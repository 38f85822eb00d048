#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// Reads the log file the monitor writes: one record per line,
/// `RFC3339NANO STREAM [P ]DATA`, where `P` marks a partial line.
struct LogRecord {
    var time: String
    var stream: String
    var partial: Bool
    var data: Substring
    var line: Substring

    /// By bytes, not Characters: a terminal's "\r\n" is one Character, and
    /// a space before a combining mark is part of another.
    init?(_ line: Substring) {
        self.line = line
        let parts = line.utf8.split(separator: 0x20, maxSplits: 2, omittingEmptySubsequences: false).map(Substring.init)
        guard parts.count >= 2 else { return nil }
        time = String(parts[0]); stream = String(parts[1])
        var rest = parts.count > 2 ? parts[2] : ""
        partial = false
        if rest.utf8.starts(with: [0x50, 0x20]) || rest == "P" {
            partial = true
            rest = Substring(rest.utf8.dropFirst(min(2, rest.utf8.count)))
        }
        data = rest
    }

    func render(timestamps: Bool) -> String {
        (timestamps ? time + " " : "") + data + (partial ? "" : "\n")
    }
}

struct LogQuery {
    var follow = false
    var tail: Int?
    var since: Date?
    var timestamps = false
    /// The records as the monitor wrote them (`TIME STREAM [P ]DATA`), for
    /// clients that split stdout from stderr.
    var raw = false

    /// Renders the complete records in `text`; returns the output and how many
    /// bytes were consumed (a trailing incomplete line is left for later).
    func render(_ text: Substring, applyTail: Bool) -> (String, Int) {
        guard let lastNL = text.utf8.lastIndex(of: 0x0a) else { return ("", 0) }
        let complete = text[..<lastNL]
        var recs = complete.utf8.split(separator: 0x0a).map(Substring.init).compactMap(LogRecord.init)
        if let since { recs = recs.filter { (Timestamp.parseLoose($0.time) ?? .distantFuture) >= since } }
        if applyTail, let tail { recs = Array(recs.suffix(max(0, tail))) }
        let out = raw ? recs.map { $0.line + "\n" }.joined() : recs.map { $0.render(timestamps: timestamps) }.joined()
        return (out, complete.utf8.count + 1)
    }
}

import NestAPI
extension Timestamp {
    /// Accepts nanosecond fractions, which Foundation's parser does not.
    static func parseLoose(_ s: String) -> Date? {
        if let d = parse(s) { return d }
        guard let dot = s.firstIndex(of: "."), let z = s.lastIndex(where: { $0 == "Z" || $0 == "+" }) else { return nil }
        let frac = s[s.index(after: dot)..<z].prefix(3)
        return parse(String(s[..<dot]) + "." + frac + String(s[z...]))
    }
}
