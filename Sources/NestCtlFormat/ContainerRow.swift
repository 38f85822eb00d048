#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NestAPI

/// One container as `nestctl ps` shows it: each field a template of
/// `--format` can name.
public struct ContainerRow {
    public let info: ContainerInfo
    public let now: Date
    /// Commands longer than this are cut, with an ellipsis (docker's 20);
    /// nil: never (`--no-trunc`).
    public let commandWidth: Int?

    public init(_ info: ContainerInfo, now: Date, truncate: Bool) {
        self.info = info
        self.now = now
        commandWidth = truncate ? 20 : nil
    }

    /// The fields a template can name, in the order `--help` lists them,
    /// each with its column header.
    public static let fields: [(name: String, header: String)] = [
        ("ID", "ID"), ("Name", "NAME"), ("Command", "COMMAND"), ("RunningFor", "CREATED"),
        ("CreatedAt", "CREATED AT"), ("Status", "STATUS"), ("State", "STATE"), ("PID", "PID"),
        ("ExitCode", "EXIT CODE"), ("Labels", "LABELS"), ("Bundle", "BUNDLE"),
    ]

    public func value(_ field: String) -> String? {
        switch field {
        case "ID": info.id
        case "Name": info.name
        case "Command": command
        case "RunningFor": HumanTime.parse(info.created).map { HumanTime.ago($0, now: now) } ?? info.created
        case "CreatedAt": info.created
        case "Status": status
        case "State": info.state
        case "PID": String(info.pid)
        case "ExitCode": info.exitCode.map(String.init) ?? ""
        case "Labels": info.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        case "Bundle": info.bundle
        default: nil
        }
    }

    /// The command line in quotes, cut to `commandWidth` characters with
    /// "…" as its last.
    public var command: String {
        var text = info.command.joined(separator: " ")
        if let width = commandWidth, text.count > width {
            text = String(text.prefix(width - 1)) + "…"
        }
        return "\"" + text + "\""
    }

    /// "Created", "Up 5 seconds", "Exited (0) 3 seconds ago".
    public var status: String {
        switch info.state {
        case "running":
            return "Up" + (info.started.flatMap(HumanTime.parse).map { " " + HumanTime.duration(max(0, now.timeIntervalSince($0))) } ?? "")
        case "stopped":
            let code = info.exitCode.map { " (\($0))" } ?? ""
            return "Exited" + code + (info.finished.flatMap(HumanTime.parse).map { " " + HumanTime.ago($0, now: now) } ?? "")
        case "created": return "Created"
        case "creating": return "Creating"
        default: return info.state.prefix(1).uppercased() + info.state.dropFirst()
        }
    }
}
