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
    @Flag(name: [.short, .long], help: "Keep the container's stdin open and pass nestctl's to it.")
    var interactive = false
    @Flag(name: [.short, .long], help: "Give the container a terminal (the size of nestctl's; raw while attached).")
    var tty = false
    @OptionGroup var spec: ContainerOptions

    func validate() throws {
        if tty && interactive && !detach && isatty(0) != 1 {
            throw ValidationError("the input is not a terminal: drop -t to pipe it to the container")
        }
    }

    func run() throws {
        var request = try spec.request()
        request.start = true
        let status: Int32
        if (interactive || tty) && !detach {
            status = try runStreamed(options.client, request, rm: rm, interactive: interactive, tty: tty)
        } else {
            if interactive { request.openStdin = true }
            if tty { request.tty = true; request.consoleSize = Terminal.current }
            status = try runContainer(options.client, request, detach: detach, rm: rm)
        }
        if status != 0 { throw ExitCode(status) }
    }
}

/// Attached: creates and starts with the output attached, one request; the
/// stream ends with the exit status, after the daemon has removed an
/// auto-remove (`rm`) container. Detached: creates and starts in one request.
/// Returns the exit status nestctl exits with.
func runContainer(_ api: APIClient, _ request: CreateRequest, detach: Bool, rm: Bool) throws -> Int32 {
    var request = request
    request.autoRemove = rm ? true : nil
    request.start = detach ? true : nil
    // Attached: created, started and followed in one request
    if !detach && request.subsystem == nil {
        return try api.createAttached(request)
    }
    // JSON by hand: Foundation's coders cost this short-lived process more
    // than the rest of encoding and decoding these two small objects
    let response = try api.call("POST", "/containers", body: request.json, flags: createFlags)
    let created = try CreateResponse(json: response.body) ?? api.decode(response)
    if detach {
        print(created.id)
        return 0
    }
    // A subsystem of several processes is a pod: its containers are
    // started and it runs on; `nestctl logs POD/NAME` shows each one's output.
    if request.subsystem != nil, let pod = try? api.http.request("GET", "/v1/pods/\(pathID(created.id))"), pod.status == 200 {
        _ = try api.call("POST", "/pods/\(pathID(created.id))/start")
        print(created.name)
        return 0
    }
    return try api.startAttached(created.id, rm: rm)
}

/// The create request's fields as run's and create's options, for their
/// error messages.
let createFlags = ["memory": "--memory", "cpus": "--cpus", "pids": "--pids", "pod": "--pod", "user": "--user", "env": "--env", "workingDir": "--workdir", "entrypoint": "--entrypoint",
                   "cmd": "COMMAND", "image": "IMAGE"]

/// The config is sent, not its path: nestd reads no file of the client's.
func readSubsystemFile(_ path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ValidationError("--subsystem: cannot read \(path)")
    }
    return String(decoding: data, as: UTF8.self)
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

/// What `run` and `create` say of the container: the create request.
struct ContainerOptions: ParsableArguments {
    @Option(help: "A unique name for the container.")
    var name: String?
    @Option(name: .customLong("label"), help: "A label KEY=VALUE (repeatable).")
    var labels: [String] = []
    @Option(help: "Launch this subsystem config (docs/subsystem.md) instead of a bundle.")
    var subsystem: String?
    @Option(name: [.short, .long], help: "USER[:GROUP] the process runs as, names (the rootfs's /etc/passwd and /etc/group) or numbers (default: the bundle's process.user).")
    var user: String?
    @Option(name: [.customShort("v"), .customLong("volume")],
            help: "NAME:/path[:ro] (a named volume, made on first use) or /host/path:/path[:ro] (a bind mount); repeatable.")
    var volumes: [String] = []
    @Option(help: "/path[:options]: a fresh tmpfs at /path (options: size=, mode=, uid=, gid=, ro...); repeatable.")
    var tmpfs: [String] = []
    @Option(help: "Add the container to this pod (it is then POD/NAME).")
    var pod: String?
    @OptionGroup var quota: QuotaOptions
    @Option(name: .customLong("network"), help: "A network (nestctl network create) to attach the container to; repeatable.")
    var networks: [String] = []
    @Option(name: [.customShort("p"), .customLong("publish")], help: "HOSTPORT:CONTAINERPORT[/udp]: publish a port through the first network; repeatable.")
    var publish: [String] = []
    @OptionGroup var image: ImageOptions
    @Argument(help: "The bundle directory, or an image (name[:tag], digest or short id).")
    var bundle: String?
    @Argument(parsing: .captureForPassthrough, help: "The image's command and arguments (instead of its Cmd).")
    var command: [String] = []

    func validate() throws {
        if (bundle == nil) == (subsystem == nil) { throw ValidationError("give a bundle directory, an image or --subsystem FILE") }
    }

    func request() throws -> CreateRequest {
        var request = CreateRequest(name: name, bundle: "", labels: try parseLabels(labels))
        if let bundle { try image.apply(to: &request, target: bundle, command: command) }
        if let subsystem { request.subsystem = try readSubsystemFile(subsystem) }
        request.user = user
        request.mounts = try parseMounts(volumes: volumes, tmpfs: tmpfs)
        request.pod = pod
        (request.memory, request.cpus, request.pids) = try quota.values()
        (request.networks, request.ports) = try parseNetworks(networks, publish)
        return request
    }
}

struct Create: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a container from a bundle or an image; print its id.")
    @OptionGroup var options: ClientOptions
    @Flag(name: [.short, .long], help: "Keep the container's stdin open for attached clients.")
    var interactive = false
    @Flag(name: [.short, .long], help: "Give the container a terminal.")
    var tty = false
    @OptionGroup var spec: ContainerOptions

    func run() throws {
        var request = try spec.request()
        if interactive { request.openStdin = true }
        if tty { request.tty = true; request.consoleSize = Terminal.current }
        let created: CreateResponse = try options.client.post("/containers", request, flags: createFlags)
        print(created.id)
    }
}

struct Start: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Start created containers.")
    @OptionGroup var options: ClientOptions
    @Argument(help: "Container ids or names.")
    var containers: [String]

    func run() throws {
        try options.client.each(containers, "POST", "/start")
    }
}

struct Stop: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stop containers: TERM, then KILL after the timeout.")
    @OptionGroup var options: ClientOptions
    @Option(name: [.short, .long], help: "Seconds to wait after TERM before KILL.")
    var timeout: Double = 10
    @Argument(help: "Container ids or names.")
    var containers: [String]

    func validate() throws {
        // nestd's bound (see the API's stop timeout)
        guard timeout.isFinite, timeout >= 0, timeout <= 3600 else {
            throw ValidationError("--timeout must be a number of seconds from 0 to 3600")
        }
    }

    func run() throws {
        try options.client.each(containers, "POST", "/stop?timeout=\(timeout)")
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
        try options.client.each(containers, "POST", "/kill?signal=" + queryEscaped(signal))
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
        try options.client.each(containers, "DELETE", force ? "?force=true" : "")
    }
}

struct Wait: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Wait for a container to exit; print its exit code.")
    @OptionGroup var options: ClientOptions
    @Argument(help: "Container id or name.")
    var container: String

    func run() throws {
        let result: WaitResponse = try options.client.post("/containers/\(pathID(container))/wait")
        print(result.exitCode)
    }
}

/// A query value with everything but unreserved characters %-escaped: a
/// signal like `RTMIN+3` keeps its `+`, which a query would read as a space.
func queryEscaped(_ value: String) -> String {
    var out = ""
    for b in value.utf8 {
        switch b {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            out.unicodeScalars.append(Unicode.Scalar(b))
        default:
            out += "%" + (b < 16 ? "0" : "") + String(b, radix: 16, uppercase: true)
        }
    }
    return out
}
