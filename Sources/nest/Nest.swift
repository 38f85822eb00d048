import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import NestRuntime

/// `nest`: the OCI runtime command line, as runc and crun have it, so that
/// engines (podman, containerd, CRI-O) can drive Nest.
@main
struct Nest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nest",
        abstract: "Nest, an OCI container runtime.",
        version: "nest 0.1.0\nspec: 1.3.0",
        subcommands: [Create.self, Start.self, State.self, Kill.self, Delete.self, Run.self, Exec.self, List.self, Pause.self,
                      Resume.self, Ps.self, Update.self, SpecCommand.self, Features.self])

    @OptionGroup var global: GlobalOptions

    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let status = FastPath.run(arguments) { Glibc.exit(status) }
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch let code as ExitCode {
            Glibc.exit(code.rawValue)
        } catch let error as RuntimeError {
            ErrorLog.report(error.description, arguments: arguments)
            Glibc.exit(1)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Glibc.exit(0)
            }
            let message = fullMessage(for: error)
            if code == .validationFailure {
                // A shim explains a failed call by the last record of --log:
                // a usage error must leave one too.
                writeStderr(message + "\n")
                ErrorLog.record(message, arguments: arguments)
                Glibc.exit(2)
            }
            ErrorLog.report(message, arguments: arguments)
            Glibc.exit(1)
        }
    }
}

struct GlobalOptions: ParsableArguments {
    @Option(help: "State directory of the containers.")
    var root: String = DefaultRoot.path

    @Option(help: "Also write errors to FILE.")
    var log: String?

    @Option(help: "Format of --log: text or json.")
    var logFormat: String = "text"

    @Option(help: "true, false or auto: run without the host's root (cgroups that cannot be made are skipped with a warning); auto: when not root of the host's user namespace.")
    var rootless: String = "auto"

    @Option(help: "Accepted for compatibility (checkpointing is not supported).")
    var criu: String?

    mutating func validate() throws {
        guard DefaultRoot.flagValues.contains(rootless) else {
            throw ValidationError("--rootless: expected true, false or auto, got '\(rootless)'")
        }
        DefaultRoot.flag = rootless
    }

    @Flag(help: "Accepted for compatibility; cgroup paths in the slice:prefix:name form are always understood.")
    var systemdCgroup = false

    @Flag(help: "Accepted for compatibility.")
    var debug = false
}

/// Errors are one line on stderr and, with --log, one record in the log
/// file; engines read the last line of the log to explain a failure.
enum ErrorLog {
    static func report(_ message: String, arguments: [String]) {
        writeStderr("nest: " + message.split(separator: "\n").joined(separator: "; ") + "\n")
        record(message, arguments: arguments)
    }

    /// The record of `message` in the --log file, in --log-format.
    static func record(_ message: String, arguments: [String], level: String = "error") {
        let line = message.split(separator: "\n").joined(separator: "; ")
        guard let path = value(of: "--log", in: arguments) else { return }
        let json = value(of: "--log-format", in: arguments) == "json"
        let time = Date.ISO8601FormatStyle().format(Date())
        let record: String
        if json {
            let body = (try? JSONEncoder().encode(["level": level, "msg": line, "time": time])) ?? Data()
            record = String(decoding: body, as: UTF8.self) + "\n"
        } else {
            record = "time=\"\(time)\" level=\(level) msg=\"\(line.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\\\""))\"\n"
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return }
        _ = record.withCString { write(fd, $0, strlen($0)) }
        close(fd)
    }

    static func value(of option: String, in arguments: [String]) -> String? {
        for (i, arg) in arguments.enumerated() {
            if arg == option, i + 1 < arguments.count { return arguments[i + 1] }
            if arg.hasPrefix(option + "=") { return String(arg.dropFirst(option.count + 1)) }
        }
        return nil
    }
}


func writeStderr(_ text: String) {
    _ = text.withCString { write(2, $0, strlen($0)) }
}

func absolute(_ path: String) -> String {
    path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
}
