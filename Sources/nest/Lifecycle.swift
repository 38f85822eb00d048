import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import NestRuntime

/// What create and run both take: runc's options for making a container.
struct CreateArguments: ParsableArguments {
    @Option(name: [.short, .long], help: "The bundle directory (default: the current directory).")
    var bundle: String = "."
    @Option(help: "Write the container's init pid to FILE.")
    var pidFile: String?
    @Option(help: "Unix socket to send the pty master to when process.terminal is true.")
    var consoleSocket: String?
    @Option(help: "Pass the fds 3...3+N-1 on to the container's process.")
    var preserveFds: Int = 0
    @Flag(help: "Accepted for compatibility.")
    var noPivot = false
    @Flag(help: "Accepted for compatibility.")
    var noNewKeyring = false
    @Option(help: "Launch this subsystem config (see docs/subsystem.md) instead of translating the bundle's config.json.")
    var subsystem: String?

    var options: CreateOptions {
        Operations.createOptions(bundle: bundle, pidFile: pidFile, consoleSocket: consoleSocket, preserveFds: preserveFds)
    }
}

struct Create: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a container from a bundle; its process waits for `start`.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var create: CreateArguments
    @Argument(help: "The container id.")
    var id: String

    func run() throws {
        if let file = create.subsystem {
            try Operations.create(root: global.root, id: id, subsystem: file, options: create.options)
        } else {
            try Operations.create(root: global.root, id: id, options: create.options)
        }
    }
}

struct Start: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Start the process of a created container.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The container id.")
    var id: String

    func run() throws { try Operations.start(root: global.root, id: id) }
}

struct State: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the OCI state of a container as JSON.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The container id.")
    var id: String

    func run() throws { try Operations.state(root: global.root, id: id) }
}

struct Kill: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Send a signal to the container's init (default TERM).")
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.short, .long], help: "Send the signal to every process of the container.")
    var all = false
    @Argument(help: "The container id.")
    var id: String
    @Argument(help: "Signal name (TERM, SIGKILL) or number.")
    var signal: String = "TERM"

    func validate() throws {
        do throws(RuntimeError) { _ = try Signals.parse(signal, allowZero: true) } catch {
            if case .invalidArgument(let m, _) = error { throw ValidationError(m) }
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        try Operations.kill(root: global.root, id: id, signal: signal, all: all)
    }
}

struct Delete: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Delete a stopped container (with --force, any).")
    @OptionGroup var global: GlobalOptions
    @Flag(name: [.short, .long], help: "Kill the container first if it is still running.")
    var force = false
    @Argument(help: "The container id.")
    var id: String

    func run() throws { try Operations.delete(root: global.root, id: id, force: force) }
}

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the containers.")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.short, .long], help: "table or json.")
    var format: String = "table"
    @Flag(name: [.short, .long], help: "Print only the ids.")
    var quiet = false

    func run() throws {
        let all = Operations.runtime(global.root).list()
        if quiet {
            all.forEach { print($0.id) }
        } else if format == "json" {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(all), as: UTF8.self))
        } else {
            let rows = [["ID", "PID", "STATUS", "BUNDLE", "CREATED"]] + all.map {
                [$0.id, String($0.pid), $0.status, $0.bundle, $0.created]
            }
            let widths = (0..<5).map { col in rows.map { $0[col].count }.max() ?? 0 }
            for row in rows {
                print(row.enumerated().map { i, cell in i == 4 ? cell : cell + String(repeating: " ", count: widths[i] + 2 - cell.count) }.joined())
            }
        }
    }
}
