import Glibc
import NestAPI
import NestVolume

/// A create request's mounts checked before anything is made: each error
/// names the flag it came from (`-v`, `--tmpfs`) and its request field.
enum MountCheck {
    static let bindOptions: Set<String> = ["nosuid", "nodev", "noexec", "suid", "dev", "exec", "private", "rprivate",
                                           "shared", "rshared", "slave", "rslave"]
    static let tmpfsOptionNames: Set<String> = ["size", "mode", "uid", "gid", "nr_inodes", "nr_blocks"]
    static let tmpfsFlags: Set<String> = ["nosuid", "nodev", "noexec", "suid", "dev", "exec"]

    static func check(_ mounts: [MountRequest]) throws(APIError) -> [MountRequest] {
        var seen: Set<String> = []
        var out: [MountRequest] = []
        for (i, m) in mounts.enumerated() {
            let f = "mounts[\(i)]"
            func bad(_ message: String, _ field: String) -> APIError { APIError(400, "\(m.flag): \(message)", field: "\(f).\(field)") }
            guard ["volume", "bind", "tmpfs"].contains(m.type) else {
                throw APIError(400, "\(f).type must be volume, bind or tmpfs, got \(m.type.prefix(32))", field: "\(f).type")
            }
            var dest = m.destination
            while dest.count > 1 && dest.hasSuffix("/") { dest.removeLast() }
            let parts = dest.split(separator: "/")
            guard dest.hasPrefix("/"), dest != "/", !parts.contains(".."), !parts.contains("."), !dest.contains("\0") else {
                throw bad("destination \(m.destination.prefix(256)) must be an absolute path other than / without . or ..", "destination")
            }
            guard seen.insert(dest).inserted else { throw bad("\(dest) is mounted twice", "destination") }
            var c = m
            c.destination = dest
            switch m.type {
            case "volume":
                let name = m.source ?? ""
                guard VolumeRecord.isValidName(name) else {
                    throw bad("\(name.prefix(64)) is neither a volume name (\(VolumeRecord.namePattern)) nor an absolute host path", "source")
                }
                try checkOptions(m.options, allowed: bindOptions, bad)
            case "bind":
                let source = m.source ?? ""
                guard source.hasPrefix("/") else { throw bad("host path \(source.prefix(256)) must be absolute", "source") }
                guard !source.contains("\0"), access(source, F_OK) == 0 else {
                    throw bad("host path \(source.prefix(256)) does not exist", "source")
                }
                try checkOptions(m.options, allowed: bindOptions, bad)
            default:
                if m.source != nil && m.source != "tmpfs" { throw bad("a tmpfs takes no source", "source") }
                for o in m.options ?? [] {
                    let key = o.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
                    let ok = o.contains("=") ? tmpfsOptionNames.contains(key) && !o.contains(",") : tmpfsFlags.contains(o)
                    if !ok { throw bad("unknown tmpfs option \(o.prefix(64))", "options") }
                }
            }
            out.append(c)
        }
        return out
    }

    static func checkOptions(_ options: [String]?, allowed: Set<String>, _ bad: (String, String) -> APIError) throws(APIError) {
        for o in options ?? [] where !allowed.contains(o) {
            throw bad("unknown option \(o.prefix(64)) (ro, rw, \(allowed.sorted().joined(separator: ", ")))", "options")
        }
    }
}
