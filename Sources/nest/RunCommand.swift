import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import NestRuntime

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
        let options = Operations.createOptions(bundle: bundle, pidFile: pidFile, consoleSocket: consoleSocket)
        let code = try Operations.run(root: global.root, id: id, options: options, detach: detach, keep: keep)
        if code != 0 { throw ExitCode(code) }
    }
}
