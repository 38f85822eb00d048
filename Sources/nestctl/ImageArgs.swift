import ArgumentParser
import Glibc
import NestAPI

/// `run` and `create` take a bundle directory (one with a config.json, as
/// before images) or an image reference, and for an image the options that
/// override its config.
struct ImageOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "An environment variable KEY=VALUE, or KEY to pass nestctl's own (repeatable; images only).")
    var env: [String] = []
    @Option(name: [.short, .customLong("workdir")], help: "The process's working directory (images only; default: the image's WorkingDir, else /).")
    var workdir: String?
    @Option(help: "Run this program instead of the image's Entrypoint (its Cmd is dropped unless a command is given).")
    var entrypoint: String?

    /// Sets `target` (a bundle dir or an image) and the image's options on `request`.
    func apply(to request: inout CreateRequest, target: String, command: [String]) throws {
        if isBundle(target) {
            if !env.isEmpty || workdir != nil || entrypoint != nil || !command.isEmpty {
                throw ValidationError("--env, --workdir, --entrypoint and a command apply to images; \(target) is a bundle, whose config.json says them")
            }
            request.bundle = absolutePath(target)
            return
        }
        request.bundle = ""
        request.image = target
        if !command.isEmpty { request.cmd = command }
        if let entrypoint { request.entrypoint = [entrypoint] }
        request.workingDir = workdir
        var entries: [String] = []
        for e in env {
            if e.contains("=") { entries.append(e); continue }
            // as docker: a name alone passes nestctl's value, or nothing
            if let value = getenv(e) { entries.append(e + "=" + String(cString: value)) }
        }
        if !entries.isEmpty { request.env = entries }
    }
}

/// A directory with a config.json: a bundle.
func isBundle(_ path: String) -> Bool {
    access(path + "/config.json", F_OK) == 0
}
