import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import NestAPI

@main
struct NestCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nestctl",
        abstract: "Run and manage Nest containers.",
        version: "nestctl \(nestVersion)",
        subcommands: [Run.self, Exec.self, Create.self, Start.self, Stop.self, Kill.self, Remove.self, Pause.self, Unpause.self,
                      Update.self, Ps.self, Top.self, Inspect.self, Logs.self, Wait.self, SubsystemCommand.self, Events.self,
                      Version.self, Info.self, Translate.self, VolumeCommand.self, ImageCommand.self, Images.self,
                      Pull.self, Login.self, Logout.self, PodCommand.self, NetworkCommand.self])

    /// ArgumentParser exits 64 on usage errors; nestctl, like most command
    /// lines, exits 2 for them and 1 for every other failure.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let status = FastPath.run(arguments) { Glibc.exit(status) }
        do {
            var command = try parseAsRoot(socketAfterCommand(arguments))
            try command.run()
        } catch let code as ExitCode {
            Glibc.exit(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Glibc.exit(0)
            }
            writeStderr(fullMessage(for: error) + "\n")
            if code == .validationFailure { Glibc.exit(2) }
            Glibc.exit(code.rawValue == 0 ? 0 : 1)
        }
    }
}

/// `nestctl --socket S CMD ...` is accepted as `nestctl CMD --socket S ...`:
/// the option belongs to every command, and people put it first.
func socketAfterCommand(_ args: [String]) -> [String] {
    var args = args
    var moved: [String] = []
    if args.first == "--socket", args.count >= 2 {
        moved = Array(args[0...1])
        args.removeFirst(2)
    } else if let first = args.first, first.hasPrefix("--socket=") {
        moved = [first]
        args.removeFirst()
    }
    guard !moved.isEmpty, !args.isEmpty else { return moved + args }
    return [args[0]] + moved + args.dropFirst()
}

/// An error already explained on stderr.
struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func printError(_ line: String) {
    writeStderr("nestctl: " + line + "\n")
}

func jsonText<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, xml
}

func writeStderr(_ text: String) {
    _ = text.withCString { write(2, $0, strlen($0)) }
}

/// Percent-encodes everything but unreserved characters (RFC 3986), for query values.
func percentEncoded(_ value: String) -> String {
    var out = ""
    for byte in value.utf8 {
        let c = Character(Unicode.Scalar(byte))
        if byte < 0x80 && (c.isLetter || c.isNumber || "-._~".contains(c)) {
            out.append(c)
        } else {
            out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(2)
        }
    }
    return out
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
