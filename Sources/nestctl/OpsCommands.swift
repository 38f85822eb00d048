import ArgumentParser
import NestCtlFormat
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NestAPI
import NestClient
import NestOCI

// pause, unpause, top and update.

struct Pause: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Freeze every process of containers.")
    @OptionGroup var options: ClientOptions
    @Argument(help: "Container ids or names.")
    var containers: [String]

    func run() throws { try options.client.each(containers, "POST", "/pause") }
}

struct Unpause: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Thaw paused containers.")
    @OptionGroup var options: ClientOptions
    @Argument(help: "Container ids or names.")
    var containers: [String]

    func run() throws { try options.client.each(containers, "POST", "/unpause") }
}

struct Top: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the processes of a container (the host's ps, default -ef).")
    @OptionGroup var options: ClientOptions
    @Argument(help: "Container id or name.")
    var container: String
    @Argument(parsing: .captureForPassthrough, help: "Options for ps.")
    var psArgs: [String] = []

    func run() throws {
        let query = psArgs.isEmpty ? "" : "?ps_args=" + queryEscaped(psArgs.joined(separator: " "))
        let top: TopResponse = try options.client.get("/containers/\(pathID(container))/top" + query)
        for line in Columns.aligned([top.titles] + top.processes) { print(line) }
    }
}

struct Update: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Change the resource limits of running containers.",
        discussion: "Memory sizes take b, k, m, g (binary); -1 is unlimited.")
    @OptionGroup var options: ClientOptions
    @Option(name: [.short, .long], help: "Memory limit.")
    var memory: String?
    @Option(name: .customLong("memory-swap"), help: "Memory plus swap limit (-1: unlimited swap).")
    var memorySwap: String?
    @Option(name: .customLong("memory-reservation"), help: "Memory soft limit.")
    var memoryReservation: String?
    @Option(name: .customLong("kernel-memory"), help: "Refused: kernel memory limits are not supported.")
    var kernelMemory: String?
    @Option(name: [.short, .customLong("cpu-shares")], help: "CPU shares (relative weight).")
    var cpuShares: String?
    @Option(name: .customLong("cpu-period"), help: "CPU CFS period in microseconds.")
    var cpuPeriod: String?
    @Option(name: .customLong("cpu-quota"), help: "CPU CFS quota in microseconds per period (-1: none).")
    var cpuQuota: String?
    @Option(help: "Number of CPUs (a decimal: quota over a 100 ms period).")
    var cpus: String?
    @Option(name: .customLong("cpuset-cpus"), help: "CPUs to run on (0-3, 0,1).")
    var cpusetCpus: String?
    @Option(name: .customLong("cpuset-mems"), help: "Memory nodes to allocate from.")
    var cpusetMems: String?
    @Option(name: .customLong("pids-limit"), help: "Maximum number of processes (-1: none).")
    var pidsLimit: String?
    @Option(name: .customLong("blkio-weight"), help: "Block I/O weight, 10 to 1000.")
    var blkioWeight: String?
    @Argument(help: "Container ids or names.")
    var containers: [String]

    /// nestctl's flags that differ from runc's names in ResourceFlags.
    static let renamed = ["--cpu-share": "--cpu-shares"]

    func resources() throws -> Spec.Linux.Resources {
        let given: [(String, String?)] = [
            ("--memory", memory), ("--memory-swap", memorySwap), ("--memory-reservation", memoryReservation),
            ("--kernel-memory", kernelMemory), ("--cpu-share", cpuShares), ("--cpu-period", cpuPeriod),
            ("--cpu-quota", cpuQuota), ("--cpuset-cpus", cpusetCpus), ("--cpuset-mems", cpusetMems),
            ("--pids-limit", pidsLimit), ("--blkio-weight", blkioWeight),
        ]
        var r: Spec.Linux.Resources
        do {
            r = try ResourceFlags.resources(Dictionary(uniqueKeysWithValues: given.compactMap { k, v in v.map { (k, $0) } }))
        } catch {
            throw ValidationError("\(Self.renamed[error.path] ?? error.path): \(error.message)")
        }
        if let cpus {
            guard cpuQuota == nil, cpuPeriod == nil else { throw ValidationError("--cpus: give --cpus or --cpu-quota and --cpu-period, not both") }
            guard let n = Double(cpus), n.isFinite, n > 0, n <= 1024 else {
                throw ValidationError("--cpus: must be a number of CPUs greater than 0, got \"\(cpus)\"")
            }
            var cpu = r.cpu ?? Spec.Linux.Resources.CPU()
            cpu.period = 100_000
            cpu.quota = max(1000, Int64((n * 100_000).rounded()))
            r.cpu = cpu
        }
        if r.isEmpty { throw ValidationError("nothing to update: give a limit (--memory, --cpus, --pids-limit...)") }
        return r
    }

    func run() throws {
        var w = JSONWriter(pretty: false)
        try resources().write(to: &w)
        let api = options.client
        for c in containers {
            let response: UnixHTTPClient.Response
            do { response = try api.http.request("POST", "/v1/containers/\(pathID(c))/update", body: w.bytes) } catch {
                printError("\(error)")
                throw ExitCode.failure
            }
            if response.status >= 400 {
                // the daemon names the field it refused (memory.limit): here, the flag that set it
                if let e = try? JSONDecoder().decode(ErrorBody.self, from: Data(response.body)), let field = e.field,
                   let flag = ResourceFlags.flag(for: field) {
                    let message = e.error.hasPrefix(field + ": ") ? String(e.error.dropFirst(field.count + 2)) : e.error
                    printError("\(c): \(Self.renamed[flag] ?? flag): \(message)")
                    throw ExitCode.failure
                }
                try api.fail(response)
            }
            print(c)
        }
    }
}
