import ArgumentParser
import Foundation
import NestAPI

struct NetworkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "network", abstract: "Manage networks (CNI bridges) containers attach to with --network.",
        subcommands: [NetworkCreate.self, NetworkList.self, NetworkInspect.self, NetworkRemove.self])
}

struct NetworkCreate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a network; print its name.")
    @OptionGroup var options: ClientOptions
    @Option(help: "IPv4 CIDR of the network (default: a free 10.89.N.0/24).")
    var subnet: String?
    @Argument(help: "The network's name: [a-zA-Z0-9][a-zA-Z0-9_.-]*.")
    var name: String

    func run() throws {
        let info: NetworkInfo = try options.client.post("/networks", NetworkCreateRequest(name: name, subnet: subnet))
        print(info.name)
    }
}

struct NetworkList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List networks and their containers.")
    @OptionGroup var options: ClientOptions
    @Flag(name: [.short, .long], help: "Print names only.")
    var quiet = false
    @Option(help: "table or json.")
    var format: OutputFormat = .table

    func run() throws {
        let list: [NetworkInfo] = try options.client.get("/networks")
        if format == .json { print(try jsonText(list)); return }
        if quiet { list.forEach { print($0.name) }; return }
        let width = max(4, list.map(\.name.count).max() ?? 0) + 3
        func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(1, w - s.count)) }
        print(pad("NAME", width) + pad("SUBNET", 20) + pad("BRIDGE", 17) + "CONTAINERS")
        for n in list {
            print(pad(n.name, width) + pad(n.subnet, 20) + pad(n.bridge, 17) + (n.containers.isEmpty ? "-" : n.containers.joined(separator: ",")))
        }
    }
}

struct NetworkInspect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Print networks as JSON.")
    @OptionGroup var options: ClientOptions
    @Argument(help: "Network names.")
    var names: [String]

    func run() throws {
        var out: [NetworkInfo] = []
        for n in names { out.append(try options.client.get("/networks/" + queryEscaped(n))) }
        print(try jsonText(out))
    }
}

struct NetworkRemove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Remove networks no container is attached to (one in use is refused, naming its containers).")
    @OptionGroup var options: ClientOptions
    @Argument(help: "Network names.")
    var names: [String]

    func run() throws {
        for n in names {
            _ = try options.client.call("DELETE", "/networks/" + queryEscaped(n))
            print(n)
        }
    }
}

/// `--network` and `-p` of run and create as the request's fields.
func parseNetworks(_ networks: [String], _ publish: [String]) throws -> ([String]?, [PortRequest]?) {
    var ports: [PortRequest] = []
    for p in publish {
        guard let m = PortRequest.flag(p) else { throw ValidationError("-p must be HOSTPORT:CONTAINERPORT[/udp], got '\(p)'") }
        ports.append(m)
    }
    if !ports.isEmpty && networks.isEmpty { throw ValidationError("-p publishes a port of a network: give --network NAME") }
    return (networks.isEmpty ? nil : networks, ports.isEmpty ? nil : ports)
}
