import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NestAPI

struct VolumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volume", abstract: "Manage named volumes: directories several containers mount.",
        subcommands: [VolumeCreate.self, VolumeList.self, VolumeInspect.self, VolumeRemove.self, VolumePrune.self])
}

struct VolumeCreate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a volume; print its name.")
    @OptionGroup var options: ClientOptions
    @Option(name: .customLong("label"), help: "A label KEY=VALUE (repeatable).")
    var labels: [String] = []
    @Argument(help: "The volume's name: [a-zA-Z0-9][a-zA-Z0-9_.-]*.")
    var name: String

    func run() throws {
        let info: VolumeInfo = try options.client.post("/volumes", VolumeCreateRequest(name: name, labels: try parseLabels(labels)))
        print(info.name)
    }
}

struct VolumeList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List volumes and the containers using them.")
    @OptionGroup var options: ClientOptions
    @Flag(name: [.short, .long], help: "Print names only.")
    var quiet = false
    @Option(help: "table or json.")
    var format: OutputFormat = .table

    func run() throws {
        let list: [VolumeInfo] = try options.client.get("/volumes")
        if format == .json { print(try jsonText(list)); return }
        if quiet { list.forEach { print($0.name) }; return }
        let width = max(4, list.map(\.name.count).max() ?? 0) + 3
        print("NAME".padding(width) + "DRIVER   USED BY")
        for v in list {
            print(v.name.padding(width) + v.driver.padding(9) + (v.usedBy.isEmpty ? "-" : v.usedBy.joined(separator: ",")))
        }
    }
}

struct VolumeInspect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Print volumes as JSON.")
    @OptionGroup var options: ClientOptions
    @Argument(help: "Volume names.")
    var names: [String]

    func run() throws {
        var out: [VolumeInfo] = []
        for n in names { out.append(try options.client.get("/volumes/" + queryEscaped(n))) }
        print(try jsonText(out))
    }
}

struct VolumeRemove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Remove volumes no container uses (one in use is refused, naming its containers).")
    @OptionGroup var options: ClientOptions
    @Flag(name: [.short, .long], help: "A volume that does not exist is no error (one in use is still refused).")
    var force = false
    @Argument(help: "Volume names.")
    var names: [String]

    func run() throws {
        for n in names {
            _ = try options.client.call("DELETE", "/volumes/" + queryEscaped(n) + (force ? "?force=true" : ""))
            print(n)
        }
    }
}

struct VolumePrune: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove every volume no container uses; print their names.")
    @OptionGroup var options: ClientOptions

    func run() throws {
        let r: VolumePruneResponse = try options.client.post("/volumes/prune")
        r.removed.forEach { print($0) }
    }
}

/// `-v` and `--tmpfs` of run and create as the request's mounts.
func parseMounts(volumes: [String], tmpfs: [String]) throws -> [MountRequest]? {
    var out: [MountRequest] = []
    for v in volumes {
        guard let m = MountRequest.volumeFlag(v) else {
            throw ValidationError("-v must be NAME:/path[:ro] or /host/path:/path[:ro], got '\(v)'")
        }
        out.append(m)
    }
    for t in tmpfs {
        guard let m = MountRequest.tmpfsFlag(t) else { throw ValidationError("--tmpfs must be /path[:options], got '\(t)'") }
        out.append(m)
    }
    return out.isEmpty ? nil : out
}

extension String {
    fileprivate func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(1, width - count)) }
}
