import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import NestAPI
import NestClient
import NestCtlFormat

struct Ps: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List running containers (-a: all).",
        discussion: """
            --format takes table (the default), json, or a template: text with {{.FIELD}} where each \
            container's FIELD goes, and \\t, \\n for tab and newline; a template that starts with \
            "table " gets a header and its tab-separated cells lined up in columns. Fields: \
            \(ContainerRow.fields.map { "." + $0.name }.joined(separator: " ")). \
            Examples: --format '{{.ID}} {{.Status}}', --format 'table {{.Name}}\\t{{.State}}\\t{{.PID}}'.
            """)
    @OptionGroup var options: ClientOptions
    @Flag(name: [.short, .long], help: "Show all containers, not only running ones.")
    var all = false
    @Option(help: "table, json or a template (see below).")
    var format = "table"
    @Flag(name: .customLong("no-trunc"), help: "Do not cut long commands.")
    var noTrunc = false
    @Flag(name: [.short, .long], help: "Only the ids.")
    var quiet = false
    @Option(name: .customLong("filter"), help: "state=S or label=K=V (repeatable).")
    var filters: [String] = []

    func validate() throws {
        if format != "json" { _ = try template() }
    }

    func template() throws -> RowTemplate {
        do {
            return try RowTemplate(format == "table" ? RowTemplate.defaultTable : format)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func run() throws {
        var query: [String] = []
        for f in filters {
            guard let eq = f.firstIndex(of: "=") else { throw ValidationError("--filter must be state=S or label=K=V") }
            let key = f[..<eq], value = f[f.index(after: eq)...]
            guard key == "state" || key == "label" else { throw ValidationError("unknown filter \(key) (state, label)") }
            query.append("\(key)=\(percentEncoded(String(value)))")
        }
        if !all && !filters.contains(where: { $0.hasPrefix("state=") }) { query.append("state=running") }
        let list: [ContainerInfo] = try options.client.get("/containers" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")))
        if quiet {
            for c in list { print(c.id) }
        } else if format == "json" {
            print(try jsonText(list))
        } else {
            let now = Date()
            for line in try template().lines(list.map { ContainerRow($0, now: now, truncate: !noTrunc) }) { print(line) }
        }
    }
}

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show containers (or pods: their containers and quota tree) as JSON.")
    @OptionGroup var options: ClientOptions
    @Argument(help: "Container (or pod) ids or names.")
    var containers: [String]

    func run() throws {
        let api = options.client
        let items = try containers.map { name throws -> InspectItem in
            let response: UnixHTTPClient.Response
            do { response = try api.http.request("GET", "/v1/containers/\(pathID(name))") } catch {
                printError("\(error)")
                throw ExitCode.failure
            }
            if response.status == 404, let pod = try? api.http.request("GET", "/v1/pods/\(pathID(name))"), pod.status == 200 {
                return .pod(try api.decode(pod))
            }
            if response.status >= 400 { try api.fail(response) }
            return .container(try api.decode(response))
        }
        print(try jsonText(items))
    }
}

/// What `inspect` shows of a name: a container, or a pod when no
/// container has that name.
enum InspectItem: Encodable {
    case container(ContainerInfo)
    case pod(PodInfo)

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .container(let info): try c.encode(info)
        case .pod(let info): try c.encode(info)
        }
    }
}

struct Logs: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a container's output.")
    @OptionGroup var options: ClientOptions
    @Flag(name: [.short, .long], help: "Keep printing until the container exits.")
    var follow = false
    @Option(help: "Only the last N lines.")
    var tail: Int?
    @Option(help: "Only records since this time (RFC 3339 or seconds since the epoch).")
    var since: String?
    @Flag(name: [.short, .long], help: "Prefix each line with its time.")
    var timestamps = false
    @Argument(help: "Container id or name.")
    var container: String

    func run() throws {
        var query = ["follow=\(follow)", "timestamps=\(timestamps)"]
        if let tail { query.append("tail=\(tail)") }
        if let since { query.append("since=\(percentEncoded(since))") }
        let path = "/v1/containers/\(pathID(container))/logs?" + query.joined(separator: "&")
        var failed: Int?
        var body: [UInt8] = []
        do {
            try options.client.http.stream("GET", path, onHead: { status, _ in if status >= 400 { failed = status } }, onData: { chunk in
                if failed != nil { body += chunk; return true }
                chunk.withUnsafeBytes { _ = write(1, $0.baseAddress, $0.count) }
                return true
            })
        } catch {
            printError("\(error)")
            throw ExitCode.failure
        }
        if failed != nil {
            let e = try? JSONDecoder().decode(ErrorBody.self, from: Data(body))
            printError(e?.error ?? String(decoding: body, as: UTF8.self))
            throw ExitCode.failure
        }
    }
}

struct SubsystemCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "subsystem", abstract: "Print a container's subsystem config (XML).")
    @OptionGroup var options: ClientOptions
    @Argument(help: "Container id or name.")
    var container: String

    func run() throws {
        let response = try options.client.call("GET", "/containers/\(pathID(container))/subsystem")
        print(response.text, terminator: "")
    }
}

struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the daemon's events as they happen.")
    @OptionGroup var options: ClientOptions
    @Option(help: "table or json.")
    var format: OutputFormat = .table

    func run() throws {
        var pending: [UInt8] = []
        do {
            try options.client.http.stream("GET", "/v1/events", onHead: { _, _ in }, onData: { chunk in
                pending += chunk
                while let nl = pending.firstIndex(of: 0x0a) {
                    let line = Array(pending[..<nl])
                    pending.removeSubrange(...nl)
                    if format == .json {
                        print(String(decoding: line, as: UTF8.self))
                    } else if let e = try? JSONDecoder().decode(Event.self, from: Data(line)) {
                        print("\(e.time) \(e.type) \(e.id) \(e.name)" + (e.exitCode.map { " exitCode=\($0)" } ?? ""))
                    }
                    fflush(nil)
                }
                return true
            })
        } catch {
            printError("\(error)")
            throw ExitCode.failure
        }
    }
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the versions of nestctl and nestd.")
    @OptionGroup var options: ClientOptions
    @Option(help: "table or json.")
    var format: OutputFormat = .table

    func run() throws {
        // nestctl's own version first: it needs no daemon
        if format == .json {
            let v: VersionInfo = try options.client.get("/version")
            print(try jsonText(v))
        } else {
            print("nestctl \(nestVersion)")
            let v: VersionInfo = try options.client.get("/version")
            print("nestd   \(v.version) (API \(v.apiVersion))")
        }
    }
}

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the daemon's runtime, cgroup version and counts.")
    @OptionGroup var options: ClientOptions

    func run() throws {
        let info: DaemonInfo = try options.client.get("/info")
        print(try jsonText(info))
    }
}
