import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import NestAPI

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create and start a container; print its output and exit with its status.")
    @OptionGroup var options: ClientOptions
    @Flag(name: [.short, .long], help: "Print the id and return once the container has started.")
    var detach = false
    @Flag(help: "Remove the container when it exits.")
    var rm = false
    @Option(help: "A unique name for the container.")
    var name: String?
    @Option(name: .customLong("label"), help: "A label KEY=VALUE (repeatable).")
    var labels: [String] = []
    @Argument(help: "The bundle directory.")
    var bundle: String

    func run() throws {
        let api = options.client
        let created: CreateResponse = try api.post("/containers", CreateRequest(name: name, bundle: absolutePath(bundle),
                                                                                labels: try parseLabels(labels), start: true))
        if detach {
            print(created.id)
            return
        }
        try api.attach(created.id)
        let result: WaitResponse = try api.post("/containers/\(created.id)/wait" + (rm ? "?remove=true" : ""))
        throw ExitCode(result.exitCode)
    }
}

func parseLabels(_ labels: [String]) throws -> [String: String]? {
    if labels.isEmpty { return nil }
    var out: [String: String] = [:]
    for label in labels {
        guard let eq = label.firstIndex(of: "="), eq != label.startIndex else {
            throw ValidationError("--label must be KEY=VALUE, got '\(label)'")
        }
        out[String(label[..<eq])] = String(label[label.index(after: eq)...])
    }
    return out
}

struct Create: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a container from a bundle; print its id.")
    @OptionGroup var options: ClientOptions
    @Option(help: "A unique name for the container.")
    var name: String?
    @Option(name: .customLong("label"), help: "A label KEY=VALUE (repeatable).")
    var labels: [String] = []
    @Argument(help: "The bundle directory.")
    var bundle: String

    func run() throws {
        let created: CreateResponse = try options.client.post(
            "/containers", CreateRequest(name: name, bundle: absolutePath(bundle), labels: try parseLabels(labels)))
        print(created.id)
    }
}

struct Start: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Start created containers.")
    @OptionGroup var options: ClientOptions
    @Argument(help: "Container ids or names.")
    var containers: [String]

    func run() throws {
        for c in containers {
            let _: ContainerInfo = try options.client.post("/containers/\(c)/start")
            print(c)
        }
    }
}

struct Stop: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stop containers: TERM, then KILL after the timeout.")
    @OptionGroup var options: ClientOptions
    @Option(name: [.short, .long], help: "Seconds to wait after TERM before KILL.")
    var timeout: Double = 10
    @Argument(help: "Container ids or names.")
    var containers: [String]

    func run() throws {
        for c in containers {
            let _: ContainerInfo = try options.client.post("/containers/\(c)/stop?timeout=\(timeout)")
            print(c)
        }
    }
}

struct Kill: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Send a signal to containers (default KILL).")
    @OptionGroup var options: ClientOptions
    @Option(name: [.short, .long], help: "Signal name or number.")
    var signal: String = "KILL"
    @Argument(help: "Container ids or names.")
    var containers: [String]

    func run() throws {
        for c in containers {
            let _: ContainerInfo = try options.client.post("/containers/\(c)/kill?signal=\(signal)")
            print(c)
        }
    }
}

struct Remove: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove containers.")
    @OptionGroup var options: ClientOptions
    @Flag(name: [.short, .long], help: "Kill running containers first.")
    var force = false
    @Argument(help: "Container ids or names.")
    var containers: [String]

    func run() throws {
        for c in containers {
            _ = try options.client.call("DELETE", "/containers/\(c)" + (force ? "?force=true" : ""))
            print(c)
        }
    }
}

struct Wait: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Wait for a container to exit; print its exit code.")
    @OptionGroup var options: ClientOptions
    @Argument(help: "Container id or name.")
    var container: String

    func run() throws {
        let result: WaitResponse = try options.client.post("/containers/\(container)/wait")
        print(result.exitCode)
    }
}
