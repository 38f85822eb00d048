#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NestAPI

/// `nestctl image ls` as docker's `images` shows it: one row per name (an
/// image without one is `<none> <none>`), the id cut to 12 hex digits, the
/// age of the config's `created`, the size in decimal units.
public enum ImageRows {
    public static let header = ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]

    public static func lines(_ images: [ImageInfo], now: Date) -> [String] {
        var cells = [header]
        for image in images {
            let id = String(image.id.dropFirst(image.id.hasPrefix("sha256:") ? 7 : 0).prefix(12))
            let created = image.created.flatMap(HumanTime.parse).map { HumanTime.ago($0, now: now) } ?? "N/A"
            let size = humanSize(image.size)
            for (repo, tag) in image.names.isEmpty ? [("<none>", "<none>")] : image.names.map(split) {
                cells.append([repo, tag, id, created, size])
            }
        }
        return Columns.aligned(cells)
    }

    /// NAME:TAG at the last ':' after the last '/' (a registry's port is not a tag).
    public static func split(_ name: String) -> (String, String) {
        let slash = name.lastIndex(of: "/") ?? name.startIndex
        guard let colon = name[slash...].lastIndex(of: ":") else { return (name, "<none>") }
        return (String(name[..<colon]), String(name[name.index(after: colon)...]))
    }

    /// Three significant digits in units of 1000: 812B, 4.26MB, 72.8MB, 124MB.
    public static func humanSize(_ bytes: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB"]
        var value = Double(max(0, bytes))
        var unit = 0
        while value >= 999.5 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        let decimals = value >= 99.95 || unit == 0 ? 0 : value >= 9.995 ? 1 : 2
        let scale = decimals == 0 ? 1.0 : decimals == 1 ? 10.0 : 100.0
        var text = String(Int64((value * scale).rounded()))
        if decimals > 0 {
            while text.count <= decimals { text = "0" + text }
            text.insert(".", at: text.index(text.endIndex, offsetBy: -decimals))
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text + units[unit]
    }
}
