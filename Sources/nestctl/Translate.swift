import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import NestOCI
import NestSubsystem

struct Translate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Translate an OCI bundle into its subsystem config (offline, no daemon).",
        discussion: """
            Prints the subsystem XML of BUNDLE_DIR, or with --format json the same model as JSON.
            With --check, reads a subsystem config (XML) and reports every problem in it.
            """)

    @Argument(help: "The bundle directory (config.json and rootfs), or with --check the subsystem XML file.")
    var path: String

    @Flag(help: "Validate a subsystem config file instead of translating a bundle.")
    var check = false

    @Option(help: "xml or json.")
    var format: OutputFormat = .xml

    @Option(help: "The container id to translate for (default: the bundle directory's name).")
    var id: String?

    func validate() throws {
        if format == .table { throw ValidationError("--format must be xml or json") }
    }

    func run() throws {
        let subsystem = check ? try readChecked() : try translated()
        print(format == .json ? try jsonText(subsystem) : subsystem.xml(), terminator: format == .json ? "\n" : "")
    }

    func translated() throws -> Subsystem {
        let bundle: NestOCI.Bundle
        do {
            bundle = try BundleLoader.load(path)
        } catch {
            for e in error.errors { printError("\(path): \(e)") }
            throw ExitCode.failure
        }
        let name = id ?? String(bundle.path.split(separator: "/").last ?? "container")
        return Translator.translate(bundle, id: name)
    }

    func readChecked() throws -> Subsystem {
        guard let data = FileManager.default.contents(atPath: path) else {
            printError("\(path): \(String(cString: strerror(errno)))")
            throw ExitCode.failure
        }
        let subsystem: Subsystem
        do {
            subsystem = try Subsystem.read(xml: String(decoding: data, as: UTF8.self))
        } catch {
            printError("\(path): \(error)")
            throw ExitCode.failure
        }
        let problems = subsystem.check()
        if !problems.isEmpty {
            for p in problems { printError("\(path): \(p)") }
            throw ExitCode.failure
        }
        return subsystem
    }
}
