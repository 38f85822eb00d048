#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ArgumentParser
import NestAPI
import NestClient

/// `nestctl run` parsed without ArgumentParser: ArgumentParser builds its
/// parser of all its commands by reflection at every start, a few
/// milliseconds that `nestctl run` would otherwise add to every container.
/// Anything else goes to ArgumentParser (help, the other commands, errors).
enum FastPath {
    static func run(_ args: [String]) -> Int32? {
        var socket: String?
        var i = 0
        if i < args.count, args[i] == "--socket", i + 1 < args.count {
            socket = args[i + 1]
            i += 2
        }
        guard i < args.count, args[i] == "run" else { return nil }
        i += 1
        var rm = false, detach = false
        var name: String?
        var labels: [String] = []
        var networks: [String] = []
        var ports: [PortRequest] = []
        var bundle: String?
        var command: [String] = []
        while i < args.count {
            let arg = args[i]
            switch arg {
            case "--rm": rm = true
            case "-d", "--detach": detach = true
            case "--name", "--label", "--socket":
                guard i + 1 < args.count else { return nil }
                if arg == "--name" { name = args[i + 1] } else if arg == "--label" { labels.append(args[i + 1]) } else { socket = args[i + 1] }
                i += 1
            case "--network", "-p", "--publish":
                guard i + 1 < args.count else { return nil }
                if arg == "--network" {
                    networks.append(args[i + 1])
                } else {
                    guard let p = PortRequest.flag(args[i + 1]) else { return nil }
                    ports.append(p)
                }
                i += 1
            default:
                if arg.hasPrefix("-") { return nil }
                // what follows an image is its command, options included
                bundle = arg
                command = Array(args[(i + 1)...])
                i = args.count
            }
            i += 1
        }
        guard let bundle else { return nil }
        let asBundle = isBundle(bundle)
        // a bundle takes no command: ArgumentParser says so
        if asBundle && !command.isEmpty { return nil }
        let parsedLabels: [String: String]?
        do { parsedLabels = try parseLabels(labels) } catch { return nil }
        do {
            // a directory with a config.json is a bundle, anything else an image
            var request = CreateRequest(name: name, bundle: "", labels: parsedLabels, start: true)
            if !networks.isEmpty { request.networks = networks }
            if !ports.isEmpty { request.ports = ports }
            if asBundle {
                request.bundle = absolutePath(bundle)
            } else {
                request.image = bundle
                if !command.isEmpty { request.cmd = command }
            }
            return try runContainer(ClientOptions.client(socket), request, detach: detach, rm: rm)
        } catch let code as ExitCode {
            return code.rawValue
        } catch {
            printError("\(error)")
            return 1
        }
    }
}
