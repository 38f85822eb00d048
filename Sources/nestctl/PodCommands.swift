import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NestAPI
import NestCtlFormat
import NestOCI

/// `nestctl pod ...`: pods, subsystems of several containers that share a
/// network, IPC and UTS namespace, one /etc/hosts and a quota node. A
/// container of a pod is `POD/NAME` to every other command.
struct PodCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pod", abstract: "Manage pods (subsystems of several containers).",
        subcommands: [PodCreate.self, PodStart.self, PodStop.self, PodRemove.self, PodPs.self, PodInspect.self, PodList.self])
}

/// The quota flags of `pod create` and `run`/`create`: memory, CPUs, pids.
struct QuotaOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "Memory limit (b, k, m, g: binary).")
    var memory: String?
    @Option(help: "CPUs (a decimal: quota over a 100 ms period).")
    var cpus: String?
    @Option(help: "Maximum number of processes.")
    var pids: Int64?

    func values() throws -> (memory: Int64?, cpus: Double?, pids: Int64?) {
        var bytes: Int64?
        if let memory {
            do { bytes = try ResourceFlags.bytes(memory, flag: "--memory") } catch { throw ValidationError("\(error.path): \(error.message)") }
            if bytes! < 0 { bytes = nil }
        }
        var n: Double?
        if let cpus {
            guard let v = Double(cpus), v.isFinite, v > 0 else { throw ValidationError("--cpus: must be a number of CPUs greater than 0, got \"\(cpus)\"") }
            n = v
        }
        return (bytes, n, pids)
    }

    static let flags = ["memory": "--memory", "cpus": "--cpus", "pids": "--pids"]
}

/// An id or name in a request path: a pod's container `POD/NAME` keeps its
/// slash as %2F.
func pathID(_ id: String) -> String { id.split(separator: "/", omittingEmptySubsequences: false).joined(separator: "%2F") }

struct PodCreate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a pod; print its name.")
    @OptionGroup var options: ClientOptions
    @Option(help: "A unique name for the pod.")
    var name: String?
    @OptionGroup var quota: QuotaOptions
    @Option(help: "The pod's hostname (default: its name).")
    var hostname: String?
    @Option(help: "A network the pod joins.")
    var network: String?
    @Option(name: [.customShort("p"), .customLong("publish")], help: "HOSTPORT:CTRPORT[/udp] (repeatable).")
    var publish: [String] = []
    @Option(name: .customLong("label"), help: "A label KEY=VALUE (repeatable).")
    var labels: [String] = []

    func run() throws {
        let q = try quota.values()
        let body = PodCreateRequest(name: name, memory: q.memory, cpus: q.cpus, pids: q.pids, hostname: hostname,
                                    labels: try parseLabels(labels), network: network, ports: publish.isEmpty ? nil : publish)
        let info: PodInfo = try options.client.post("/pods", body,
                                                    flags: QuotaOptions.flags.merging(["network": "--network", "ports": "-p"]) { a, _ in a })
        print(info.name)
    }
}

struct PodStart: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start a pod's created containers, in <start> order.")
    @OptionGroup var options: ClientOptions
    @Argument(help: "Pod names or ids.")
    var pods: [String]

    func run() throws {
        try options.client.each(pods, "POST", "/start", under: "pods")
    }
}

struct PodStop: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop a pod's containers, in reverse <start> order.")
    @OptionGroup var options: ClientOptions
    @Option(name: [.short, .long], help: "Seconds to wait after TERM before KILL, per container.")
    var timeout: Double = 10
    @Argument(help: "Pod names or ids.")
    var pods: [String]

    func validate() throws {
        guard timeout.isFinite, timeout >= 0, timeout <= 3600 else {
            throw ValidationError("--timeout must be a number of seconds from 0 to 3600")
        }
    }

    func run() throws {
        try options.client.each(pods, "POST", "/stop?timeout=\(timeout)", under: "pods")
    }
}

struct PodRemove: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove pods and their containers.")
    @OptionGroup var options: ClientOptions
    @Flag(name: [.short, .long], help: "Kill running containers first.")
    var force = false
    @Argument(help: "Pod names or ids.")
    var pods: [String]

    func run() throws {
        try options.client.each(pods, "DELETE", force ? "?force=true" : "", under: "pods")
    }
}

struct PodPs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ps", abstract: "List a pod's containers.")
    @OptionGroup var options: ClientOptions
    @Option(help: "table or json.")
    var format: OutputFormat = .table
    @Argument(help: "Pod name or id.")
    var pod: String

    func run() throws {
        let info: PodInfo = try options.client.get("/pods/\(pathID(pod))")
        if format == .json { print(try jsonText(info.containers)); return }
        var rows = [["NAME", "STATE", "PID", "COMMAND"]]
        for c in info.containers {
            rows.append([c.name, c.state + (c.exitCode.map { " (\($0))" } ?? ""), c.pid > 0 ? String(c.pid) : "-",
                         c.command.joined(separator: " ")])
        }
        Columns.aligned(rows).forEach { print($0) }
    }
}

struct PodInspect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Show a pod: its containers and its quota tree with usage.")
    @OptionGroup var options: ClientOptions
    @Option(help: "table or json.")
    var format: OutputFormat = .table
    @Argument(help: "Pod name or id.")
    var pod: String

    func run() throws {
        let info: PodInfo = try options.client.get("/pods/\(pathID(pod))")
        if format == .json { print(try jsonText(info)); return }
        print("pod \(info.name) (\(info.id)): \(info.state), hostname \(info.hostname)")
        var rows = [["QUOTA", "CGROUP", "MEMORY", "LIMIT", "PIDS", "LIMIT", "CPUS"]]
        func add(_ n: QuotaNode, _ label: String) {
            let usage: String = n.memoryUsage.map(bytesText) ?? "-"
            let limit: String = n.memoryLimit.map(bytesText) ?? "-"
            let pids: String = n.pidsCurrent.map { String($0) } ?? "-"
            let pidsLimit: String = n.pidsLimit.map { String($0) } ?? "-"
            let cpus: String = n.cpus.map { decimal($0, places: 2) } ?? "-"
            rows.append([label, n.cgroup, usage, limit, pids, pidsLimit, cpus])
        }
        add(info.quota, info.name)
        for c in info.quota.children ?? [] { add(c, "  " + info.name + "/" + c.name) }
        Columns.aligned(rows).forEach { print($0) }
    }
}

struct PodList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List pods.")
    @OptionGroup var options: ClientOptions
    @Option(help: "table or json.")
    var format: OutputFormat = .table

    func run() throws {
        let pods: [PodInfo] = try options.client.get("/pods")
        if format == .json { print(try jsonText(pods)); return }
        var rows = [["NAME", "ID", "STATE", "CONTAINERS"]]
        for p in pods { rows.append([p.name, p.id, p.state, String(p.containers.count)]) }
        Columns.aligned(rows).forEach { print($0) }
    }
}

func bytesText(_ n: Int64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var v = Double(n), i = 0
    while v >= 1024 && i < units.count - 1 { v /= 1024; i += 1 }
    return i == 0 ? "\(n)B" : decimal(v, places: 1) + units[i]
}

/// `v` with `places` decimals, rounded.
func decimal(_ v: Double, places: Int) -> String {
    var scale = 1.0
    for _ in 0..<places { scale *= 10 }
    let n = Int64((v * scale).rounded())
    let whole = String(n / Int64(scale)), frac = String(abs(n % Int64(scale)))
    return whole + "." + String(repeating: "0", count: places - frac.count) + frac
}
