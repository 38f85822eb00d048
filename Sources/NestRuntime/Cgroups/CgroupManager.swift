// The cgroup manager: which hierarchies Nest uses and where a container's dirs are.

/// Test hooks standing in for the kernel on a fake tree (a plain directory
/// tree does not grow control files on mkdir, nor lose them on rmdir).
struct CgroupHooks: Sendable {
    var didMakeDir: @Sendable (_ dir: String) -> Void = { _ in }
    var willRemoveDir: @Sendable (_ dir: String) -> Void = { _ in }
}

/// One mounted hierarchy Nest uses.
struct CgroupHierarchy: Equatable {
    var root: String
    var controllers: [String]  // v1 controllers mounted there; empty for v2
    var isV2: Bool
}

public struct CgroupManager: Sendable {
    /// The v1 controllers Nest puts containers into, in this order.
    /// net_cls and net_prio only where mounted (most hosts mount neither).
    static let v1Controllers = ["memory", "cpu", "cpuacct", "cpuset", "pids", "devices", "freezer", "blkio", "hugetlb",
                                "net_cls", "net_prio"]

    public let layout: CgroupLayout
    let hooks: CgroupHooks?
    /// Set for an update: every write records what it replaced.
    var journal: CgroupJournal?

    public init(layout: CgroupLayout) {
        self.layout = layout
        self.hooks = nil
    }

    init(layout: CgroupLayout, hooks: CgroupHooks?) {
        self.layout = layout
        self.hooks = hooks
    }

    /// The hierarchies in use: v1 ones (one per mount dir) first, the v2 one last.
    var hierarchies: [CgroupHierarchy] {
        func v1(_ map: [String: String]) -> [CgroupHierarchy] {
            var out: [CgroupHierarchy] = []
            for c in Self.v1Controllers {
                guard let dir = map[c] else { continue }
                if let i = out.firstIndex(where: { $0.root == dir }) {
                    out[i].controllers.append(c)
                } else {
                    out.append(CgroupHierarchy(root: dir, controllers: [c], isV2: false))
                }
            }
            return out
        }
        switch layout {
        case .unified(let root):
            return [CgroupHierarchy(root: root, controllers: [], isV2: true)]
        case .hybrid(let map, let unified):
            return v1(map) + (unified.map { [CgroupHierarchy(root: $0, controllers: [], isV2: true)] } ?? [])
        case .legacy(let map):
            return v1(map)
        }
    }

    public func paths(for path: String) -> CgroupPaths {
        let rel = Self.relativePath(path)
        var paths = CgroupPaths(dirs: [], joinDirs: [])
        for h in hierarchies {
            let dir = Self.join(h.root, rel)
            paths.dirs.append(dir)
            if h.isV2 {
                paths.unifiedDir = dir
                if case .unified = layout {
                    paths.memoryDir = dir
                    paths.pidsDir = dir
                    paths.oomFile = dir + "/memory.events"
                }
            } else {
                if h.controllers.contains("memory") {
                    paths.memoryDir = dir
                    paths.oomFile = dir + "/memory.oom_control"
                }
                if h.controllers.contains("pids") { paths.pidsDir = dir }
            }
        }
        paths.joinDirs = paths.dirs
        return paths
    }

    static func join(_ root: String, _ rel: String) -> String {
        var r = root
        while r.count > 1 && r.hasSuffix("/") { r.removeLast() }
        if rel == "/" { return r }
        return r == "/" ? rel : r + rel
    }

    /// "/nest/ID" stays; "nest/ID" gets a leading slash; "slice:prefix:name"
    /// (systemd form) becomes "/<expanded slice>/prefix-name.scope". "." and
    /// empty components are dropped; ".." never climbs above the root.
    static func relativePath(_ path: String) -> String {
        var p = path
        if !p.hasPrefix("/"), let systemd = systemdPath(p) { p = systemd }
        var parts: [Substring] = []
        for c in p.split(separator: "/") {
            if c == "." { continue }
            if c == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(c)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// "slice:prefix:name" -> "/a.slice/a-b.slice/prefix-name.scope" for slice
    /// "a-b.slice" (systemd nests dash-separated slices); empty slice = system.slice.
    static func systemdPath(_ path: String) -> String? {
        let f = path.split(separator: ":", omittingEmptySubsequences: false)
        guard f.count == 3 else { return nil }
        let slice = f[0].isEmpty ? "system.slice" : String(f[0])
        let prefix = String(f[1]), name = String(f[2])
        var out = ""
        if slice != "-.slice" {
            let base = slice.hasSuffix(".slice") ? String(slice.dropLast(6)) : slice
            var acc = ""
            for part in base.split(separator: "-") {
                acc = acc.isEmpty ? String(part) : acc + "-" + part
                out += "/" + acc + ".slice"
            }
        }
        if name.hasSuffix(".slice") { return out + "/" + name }
        return out + "/" + (prefix.isEmpty ? name : prefix + "-" + name) + ".scope"
    }

    /// True when `path` has a ".." component (refused by create).
    static func climbs(_ path: String) -> Bool {
        path.split(separator: "/").contains("..")
    }
}
