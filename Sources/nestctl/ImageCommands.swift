import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NestAPI
import NestCtlFormat

struct ImageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "image", abstract: "Manage images: list, inspect, remove, prune and import.",
        subcommands: [ImageList.self, ImageInspectCommand.self, ImageRemove.self, ImagePrune.self, ImageImport.self])
}

struct ImageList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List images.", aliases: ["list"])
    @OptionGroup var list: ImageListOptions
    func run() throws { try list.run() }
}

/// `nestctl images`: `nestctl image ls`, as docker has both.
struct Images: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "images", abstract: "List images (nestctl image ls).")
    @OptionGroup var list: ImageListOptions
    func run() throws { try list.run() }
}

struct ImageListOptions: ParsableArguments {
    @OptionGroup var options: ClientOptions
    @Flag(name: [.short, .long], help: "Print image ids only.")
    var quiet = false
    @Option(help: "table or json.")
    var format: OutputFormat = .table

    func run() throws {
        let list: [ImageInfo] = try options.client.get("/images")
        if format == .json { print(try jsonText(list)); return }
        if quiet { list.forEach { print($0.id) }; return }
        ImageRows.lines(list, now: Date()).forEach { print($0) }
    }
}

struct ImageInspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Print images and their configs as JSON.")
    @OptionGroup var options: ClientOptions
    @Argument(help: "Image references: name[:tag], an id or a unique prefix of one.")
    var refs: [String]

    func run() throws {
        var out: [ImageInspect] = []
        for r in refs { out.append(try options.client.get("/images/" + queryEscaped(r))) }
        print(try jsonText(out))
    }
}

struct ImageRemove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Remove images (a name of an image with several only loses that name).",
        aliases: ["rmi"])
    @OptionGroup var options: ClientOptions
    @Flag(name: [.short, .long], help: "Remove an image containers use; the layers they use stay until they are removed.")
    var force = false
    @Argument(help: "Image references.")
    var refs: [String]

    func run() throws {
        for r in refs {
            let response = try options.client.call("DELETE", "/images/" + queryEscaped(r) + (force ? "?force=true" : ""))
            let report: ImageRemoveResponse = try options.client.decode(response)
            report.untagged.forEach { print("Untagged: " + $0) }
            report.deleted.forEach { print("Deleted: " + $0) }
        }
    }
}

struct ImagePrune: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune", abstract: "Remove images without a name that no container uses, and every unused blob and layer.")
    @OptionGroup var options: ClientOptions

    func run() throws {
        let r: ImageRemoveResponse = try options.client.post("/images/prune")
        r.deleted.forEach { print("Deleted: " + $0) }
        print("Removed \(r.blobsRemoved) blob\(r.blobsRemoved == 1 ? "" : "s") and \(r.layersRemoved) layer\(r.layersRemoved == 1 ? "" : "s")")
    }
}

struct ImageImport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import an OCI layout directory, an OCI archive or a docker save archive; print the images' ids.",
        discussion: "The daemon reads the path itself: it must be readable on the daemon's host.")
    @OptionGroup var options: ClientOptions
    @Option(help: "Name the image NAME[:TAG] (the archive must hold one image).")
    var name: String?
    @Argument(help: "The file or directory.")
    var path: String

    func run() throws {
        let images: [ImageInfo] = try options.client.post("/images/import", ImageImportRequest(path: absolutePath(path), name: name),
                                                          flags: ["name": "--name"])
        for i in images { print(i.id + (i.names.isEmpty ? "" : " " + i.names.joined(separator: " "))) }
    }
}
