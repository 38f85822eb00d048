import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import NestRuntime

/// The init pid `nest run` forwards signals to (a signal handler can only
/// read a global).
nonisolated(unsafe) var forwardTo: pid_t = 0

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create and start a container; wait for it unless --detach.")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.short, .long], help: "The bundle directory (default: the current directory).")
    var bundle: String = "."
    @Option(help: "Write the container's init pid to FILE.")
    var pidFile: String?
    @Option(help: "Unix socket to send the pty master to when process.terminal is true.")
    var consoleSocket: String?
    @Flag(name: [.short, .long], help: "Return once the container has started.")
    var detach = false
    @Flag(help: "Keep the container after it exits (default: delete it).")
    var keep = false
    @Argument(help: "The container id.")
    var id: String

    func run() throws {
        let runtime = global.runtime
        var options = CreateOptions(bundle: absolute(bundle))
        options.pidFile = pidFile.map(absolute)
        options.consoleSocket = consoleSocket.map(absolute)
        let created = try runtime.create(id: id, options: options)
        do {
            try runtime.start(id: id)
        } catch {
            try? runtime.delete(id: id, force: true)
            throw error
        }
        if detach { return }
        forwardTo = created.pid
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH] {
            signal(sig) { n in if forwardTo > 0 { kill(forwardTo, n) } }
        }
        let final = try runtime.waitForExit(id: id)
        if !keep { try runtime.delete(id: id) }
        throw ExitCode(final.exitCode ?? 255)
    }
}
