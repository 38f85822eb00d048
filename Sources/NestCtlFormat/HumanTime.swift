#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Durations as `nestctl ps` shows them, in the words people know from
/// docker's: "Less than a second", "5 seconds", "About a minute", "2 hours".
public enum HumanTime {
    public static func duration(_ seconds: Double) -> String {
        let s = Int(seconds)
        if s < 1 { return "Less than a second" }
        if s == 1 { return "1 second" }
        if s < 60 { return "\(s) seconds" }
        let minutes = s / 60
        if minutes == 1 { return "About a minute" }
        if minutes < 60 { return "\(minutes) minutes" }
        let hours = Int((seconds / 3600).rounded())
        if hours == 1 { return "About an hour" }
        if hours < 48 { return "\(hours) hours" }
        if hours < 24 * 7 * 2 { return "\(hours / 24) days" }
        if hours < 24 * 30 * 2 { return "\(hours / 24 / 7) weeks" }
        if hours < 24 * 365 * 2 { return "\(hours / 24 / 30) months" }
        return "\(s / 3600 / 24 / 365) years"
    }

    /// "2 minutes ago"; a time a little in the future (another clock) is "now".
    public static func ago(_ date: Date, now: Date) -> String {
        duration(max(0, now.timeIntervalSince(date))) + " ago"
    }

    /// RFC 3339 as nestd writes it: milliseconds in records, nanoseconds in
    /// exit times (which Foundation's parser does not take).
    public static func parse(_ text: String) -> Date? {
        let full = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        if let d = try? full.parse(text) { return d }
        if let d = try? Date.ISO8601FormatStyle().parse(text) { return d }
        guard let dot = text.firstIndex(of: "."),
              let zone = text[dot...].firstIndex(where: { $0 == "Z" || $0 == "+" || $0 == "-" }) else { return nil }
        let fraction = text[text.index(after: dot)..<zone].prefix(3)
        return try? full.parse(String(text[..<dot]) + "." + fraction + String(text[zone...]))
    }
}
