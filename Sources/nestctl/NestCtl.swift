import ArgumentParser
import Foundation

@main
struct NestCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nestctl",
        abstract: "Run and manage Nest containers.",
        subcommands: [Run.self, Create.self, Start.self, Stop.self, Kill.self, Remove.self, Ps.self, Inspect.self,
                      Logs.self, Wait.self, SubsystemCommand.self, Events.self, Version.self, Info.self, Translate.self])

    /// ArgumentParser exits 64 on usage errors; nestctl, like most command
    /// lines, exits 2 for them and 1 for every other failure.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            if code == .validationFailure { Foundation.exit(2) }
            Foundation.exit(code.rawValue == 0 ? 0 : 1)
        }
    }
}

/// An error already explained on stderr.
struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func printError(_ line: String) {
    FileHandle.standardError.write(Data(("nestctl: " + line + "\n").utf8))
}

func jsonText<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, xml
}
