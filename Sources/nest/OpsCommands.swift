import ArgumentParser
import Glibc
import NestOCI
import NestRuntime

// pause, resume, ps and update, as runc has them.

struct Pause: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Freeze every process of a container.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The container id.")
    var id: String

    func run() throws { try Operations.pause(root: global.root, id: id) }
}

struct Resume: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Thaw the processes of a paused container.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The container id.")
    var id: String

    func run() throws { try Operations.resume(root: global.root, id: id) }
}

struct Ps: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the processes of a container.",
        discussion: "table: the host's `ps` (with PS-ARGS, else -ef) cut down to the container's processes; json: their pids.")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.short, .long], help: "table or json.")
    var format: String = "table"
    @Argument(help: "The container id.")
    var id: String
    @Argument(parsing: .captureForPassthrough, help: "Options for ps (table only).")
    var psArgs: [String] = []

    func validate() throws {
        guard format == "table" || format == "json" else { throw ValidationError("--format must be table or json, got \(format)") }
    }

    func run() throws { try Operations.ps(root: global.root, id: id, format: format, psArgs: psArgs) }
}

struct Update: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Change the resource limits of a container while it runs.",
        discussion: "Either --resources with an OCI linux.resources document, or the single-value flags. Memory sizes take k, m, g, t, p (binary); -1 is unlimited.")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.short, .long], help: "A linux.resources JSON file; - reads stdin.")
    var resources: String?
    @Option(help: "Memory limit in bytes.")
    var memory: String?
    @Option(name: .customLong("memory-swap"), help: "Memory plus swap limit in bytes.")
    var memorySwap: String?
    @Option(name: .customLong("memory-reservation"), help: "Memory soft limit in bytes.")
    var memoryReservation: String?
    @Option(name: .customLong("kernel-memory"), help: "Refused: kernel memory limits are not supported.")
    var kernelMemory: String?
    @Option(name: .customLong("kernel-memory-tcp"), help: "Refused: kernel TCP memory limits are not supported.")
    var kernelMemoryTCP: String?
    @Option(name: [.customLong("cpu-share"), .customLong("cpu-shares")], help: "CPU shares (relative weight).")
    var cpuShare: String?
    @Option(name: .customLong("cpu-period"), help: "CPU CFS period in microseconds.")
    var cpuPeriod: String?
    @Option(name: .customLong("cpu-quota"), help: "CPU CFS quota in microseconds per period (-1: none).")
    var cpuQuota: String?
    @Option(name: .customLong("cpuset-cpus"), help: "CPUs to run on (0-3, 0,1).")
    var cpusetCpus: String?
    @Option(name: .customLong("cpuset-mems"), help: "Memory nodes to allocate from (0-3, 0,1).")
    var cpusetMems: String?
    @Option(name: .customLong("pids-limit"), help: "Maximum number of processes (-1 or 0: none).")
    var pidsLimit: String?
    @Option(name: .customLong("blkio-weight"), help: "Block I/O weight, 10 to 1000.")
    var blkioWeight: String?
    @Argument(help: "The container id.")
    var id: String

    var flags: [String: String] {
        let given: [(String, String?)] = [
            ("--memory", memory), ("--memory-swap", memorySwap), ("--memory-reservation", memoryReservation),
            ("--kernel-memory", kernelMemory), ("--kernel-memory-tcp", kernelMemoryTCP), ("--cpu-share", cpuShare),
            ("--cpu-period", cpuPeriod), ("--cpu-quota", cpuQuota), ("--cpuset-cpus", cpusetCpus),
            ("--cpuset-mems", cpusetMems), ("--pids-limit", pidsLimit), ("--blkio-weight", blkioWeight),
        ]
        return Dictionary(uniqueKeysWithValues: given.compactMap { k, v in v.map { (k, $0) } })
    }

    func validate() throws {
        if resources != nil && !flags.isEmpty {
            throw ValidationError("give --resources or the limit flags, not both")
        }
        if resources == nil && flags.isEmpty {
            throw ValidationError("nothing to update: give --resources FILE or a limit flag (--memory, --cpu-quota, --pids-limit...)")
        }
    }

    func run() throws {
        try Operations.update(root: global.root, id: id, resourcesFile: resources, flags: flags)
    }
}

extension Operations {
    static func pause(root: String, id: String) throws(RuntimeError) { try runtime(root).pause(id: id) }

    static func resume(root: String, id: String) throws(RuntimeError) { try runtime(root).resume(id: id) }

    /// json: the pids as runc prints them (`[1,2]`); table: the host's ps,
    /// its header and the container's lines.
    static func ps(root: String, id: String, format: String, psArgs: [String]) throws(RuntimeError) {
        let pids = try runtime(root).pids(id: id)
        if format == "json" {
            print("[" + pids.map(String.init).joined(separator: ",") + "]")
            return
        }
        let table = try ProcessTable.read(psArgs: psArgs, pids: pids)
        print(table.header)
        for line in table.lines { print(line) }
    }

    /// With flags, the errors name the flag (`--memory`) instead of the
    /// field it sets (`memory.limit`).
    static func update(root: String, id: String, resourcesFile: String?, flags: [String: String]) throws(RuntimeError) {
        let resources: Spec.Linux.Resources
        if let resourcesFile {
            resources = try Runtime.readResources(path: resourcesFile == "-" ? "-" : absolute(resourcesFile))
        } else {
            do { resources = try ResourceFlags.resources(flags) } catch {
                throw .invalidArgument(error.message, field: error.path)
            }
        }
        do {
            try runtime(root).update(id: id, resources: resources)
        } catch {
            guard resourcesFile == nil else { throw error }
            switch error {
            case .invalidSpec(let errors):
                throw .invalidSpec(errors.map { SpecError(path: ResourceFlags.flag(for: $0.path) ?? $0.path, message: $0.message) })
            case .invalidArgument(let message, let field?):
                throw .invalidArgument(message, field: ResourceFlags.flag(for: field) ?? field)
            default:
                throw error
            }
        }
    }
}
