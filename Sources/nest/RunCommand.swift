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
    @OptionGroup var create: CreateArguments
    @Flag(name: [.short, .long], help: "Return once the container has started.")
    var detach = false
    @Flag(help: "Keep the container after it exits (default: delete it).")
    var keep = false
    @Argument(help: "The container id.")
    var id: String

    func run() throws {
        let code = try Operations.run(root: global.root, id: id, options: create.options, detach: detach, keep: keep,
                                      subsystem: create.subsystem)
        if code != 0 { throw ExitCode(code) }
    }
}
