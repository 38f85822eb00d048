import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import NestAPI
import NestClient

struct Exec: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a command in a running container; exit with its status.",
        discussion: "Its stdout and stderr come to nestctl's; with -i nestctl's stdin goes to it, with -t it gets a terminal.")
    @OptionGroup var options: ClientOptions
    @Flag(name: [.short, .long], help: "Pass nestctl's stdin to the command.")
    var interactive = false
    @Flag(name: [.short, .long], help: "Give the command a terminal (the size of nestctl's; raw while attached).")
    var tty = false
    @Option(name: [.short, .customLong("env")], help: "KEY=VALUE added to the container's environment (repeatable).")
    var env: [String] = []
    @Option(name: [.short, .long], help: "USER[:GROUP] to run as, names (the container's /etc/passwd and /etc/group) or numbers (default: the container's user).")
    var user: String?
    @Option(name: [.short, .customLong("workdir")], help: "Absolute working directory (default: the container's).")
    var workdir: String?
    @Argument(help: "Container id or name.")
    var container: String
    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments.")
    var command: [String] = []

    func validate() throws {
        if command.isEmpty { throw ValidationError("give the command to run after the container") }
        for e in env where !e.contains("=") || e.hasPrefix("=") { throw ValidationError("--env must be KEY=VALUE, got '\(e)'") }
        if tty && interactive && isatty(0) != 1 {
            throw ValidationError("the input is not a terminal: drop -t to pipe it to the command")
        }
    }

    func run() throws {
        let body = ExecBody(args: command, env: env.isEmpty ? nil : env, cwd: workdir, user: user,
                            tty: tty ? true : nil, stdin: interactive ? true : nil,
                            consoleSize: tty ? Terminal.current : nil)
        let api = options.client
        let stream: FrameStream
        do {
            switch try api.http.openStream("POST", "/v1/containers/\(pathID(container))/exec", body: Array(try JSONEncoder().encode(body))) {
            case .upgraded(let s): stream = s
            case .refused(let response): try api.fail(response, flags: Self.flags)
            }
        } catch let code as ExitCode {
            throw code
        } catch {
            printError("\(error)")
            throw ExitCode.failure
        }
        guard let code = try follow(stream, interactive: interactive, tty: tty) else {
            printError("the connection to nestd ended before the command exited")
            throw ExitCode.failure
        }
        if code != 0 { throw ExitCode(code) }
    }

    /// The API's fields as this command's options, for its error messages.
    static let flags = ["cwd": "--workdir", "user": "--user", "env": "--env", "args": "COMMAND", "tty": "--tty"]
}
