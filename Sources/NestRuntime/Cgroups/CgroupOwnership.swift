import Glibc

// Which cgroup dirs are Nest's: a cgroup Nest did not make is never killed
// or removed, and a container is never put into one that holds processes.

extension CgroupManager {
    /// The container's dirs and those of them a create would make (the ones
    /// that do not exist yet), without making anything. An existing dir
    /// that holds processes is refused: its processes are not the
    /// container's, and a delete would have to leave them (and the dir) be.
    public func planCreate(path: String) throws -> (paths: CgroupPaths, toMake: [String]) {
        guard !Self.climbs(path) else {
            throw CgroupError(path: path, message: "cgroupsPath must not contain \"..\"")
        }
        let paths = paths(for: path)
        var toMake: [String] = []
        for dir in paths.dirs {
            if CgroupFS.exists(dir) { try Self.refuseBusy(dir) } else { toMake.append(dir) }
        }
        return (paths, toMake)
    }

    static let busyMessage = "the cgroup exists and holds processes that are not the container's; use a new or empty cgroup"

    static func refuseBusy(_ dir: String) throws {
        if !procsRecursive(in: dir).isEmpty {
            throw CgroupError(path: dir, message:
                Self.busyMessage)
        }
    }

    /// Whether this process can make the dirs of `path`: the nearest
    /// existing dir of each is writable. Rootless, without a cgroup
    /// delegated to the user, it cannot.
    public func mayCreate(path: String) -> Bool {
        paths(for: path).dirs.allSatisfy { dir in
            var d = dir
            while !CgroupFS.exists(d), let slash = d.lastIndex(of: "/"), slash > d.startIndex { d = String(d[..<slash]) }
            return access(d, W_OK) == 0
        }
    }

    /// `paths` cut down to the dirs in `made` (nil: all of them, as records
    /// of earlier versions mean): what delete may kill and remove.
    public func owned(_ paths: CgroupPaths, made: [String]?) -> CgroupPaths {
        guard let made else { return paths }
        let mine = Set(made)
        var out = paths
        out.dirs = paths.dirs.filter { mine.contains($0) }
        out.joinDirs = paths.joinDirs.filter { mine.contains($0) }
        if let u = paths.unifiedDir, !mine.contains(u) { out.unifiedDir = nil }
        return out
    }
}
