// create: make the container's dir in every hierarchy, then write the limits.

extension CgroupManager {
    /// The v2 controllers Nest enables in the parents of a container on a pure v2 host.
    static let v2Controllers = ["cpu", "cpuset", "io", "memory", "pids", "hugetlb", "misc", "rdma"]

    public func create(path: String, limits: CgroupLimits) throws -> CgroupPaths {
        try createOwned(path: path, limits: limits).paths
    }

    /// `create`, also giving the container dirs this call made (see
    /// CgroupOwnership.swift): an existing dir is used only when empty, and
    /// is not Nest's to remove.
    public func createOwned(path: String, limits: CgroupLimits) throws -> (paths: CgroupPaths, made: [String]) {
        guard !Self.climbs(path) else {
            throw CgroupError(path: path, message: "cgroupsPath must not contain \"..\"")
        }
        let rel = Self.relativePath(path)
        guard rel != "/" else {
            throw CgroupError(path: path, message: "cgroupsPath must name a cgroup below the root")
        }
        try validate(limits, path: rel)
        let paths = paths(for: path)
        var made: [String] = []
        do {
            for (h, dir) in zip(hierarchies, paths.dirs) {
                try makeDir(h, rel: rel, leaf: dir, limits: limits, made: &made)
            }
            try write(limits, hierarchies: hierarchies, dirs: paths.dirs)
        } catch {
            removeMade(made)
            throw error
        }
        let leaves = Set(paths.dirs)
        return (paths, made.filter { leaves.contains($0) })
    }

    /// Checks that need no syscall, so a bad request makes no dir at all.
    func validate(_ limits: CgroupLimits, path: String) throws {
        if !limits.unified.isEmpty {
            guard hierarchies.contains(where: { $0.isV2 }) else {
                throw CgroupError(path: path, message: "unified: cgroup v2 is not mounted on this host")
            }
            for key in limits.unified.keys where key.isEmpty || key.contains("/") || key.hasPrefix(".") {
                throw CgroupError(path: path, message: "unified: invalid file name \"\(key)\"")
            }
        }
        if let swap = limits.memorySwap, swap > 0, let mem = limits.memoryLimit, mem > 0, swap < mem {
            throw CgroupError(path: path, message:
                "memory swap limit (\(swap)) must not be lower than the memory limit (\(mem))")
        }
        if case .unified = layout, let swap = limits.memorySwap, swap > 0 {
            guard let mem = limits.memoryLimit, mem > 0 else {
                throw CgroupError(path: path, message: "memory.swap.max: a swap limit needs a memory limit")
            }
        }
    }

    /// Removes the dirs this call made, deepest first; errors are ignored.
    func removeMade(_ made: [String]) {
        for dir in made.reversed() {
            hooks?.willRemoveDir(dir)
            _ = CgroupFS.rmdir(dir)
        }
    }

    /// The v2 controllers this container needs and the ones to enable in its parents.
    func v2Controllers(for limits: CgroupLimits) -> (needed: [String], enable: [String]) {
        var needed: [String] = []
        for key in limits.unified.keys.sorted() {
            if let dot = key.firstIndex(of: "."), !key.hasPrefix("cgroup.") {
                let c = String(key[..<dot])
                if !needed.contains(c) { needed.append(c) }
            }
        }
        if !limits.knobs.hugepages.isEmpty, !hierarchies.contains(where: { $0.controllers.contains("hugetlb") }),
           !needed.contains("hugetlb") {
            needed.append("hugetlb")
        }
        guard case .unified = layout else { return (needed, needed) }
        if limits.blkioWeight != nil || !limits.knobs.weightDevices.isEmpty || !limits.knobs.throttles.isEmpty,
           !needed.contains("io") {
            needed.append("io")
        }
        for c in ["memory", "pids"] where !needed.contains(c) { needed.append(c) }
        if limits.cpuShares != nil || limits.cpuWeight != nil || limits.cpuQuota != nil || limits.cpuPeriod != nil {
            if !needed.contains("cpu") { needed.append("cpu") }
        }
        if limits.cpus != nil || limits.mems != nil, !needed.contains("cpuset") { needed.append("cpuset") }
        var enable = Self.v2Controllers
        for c in needed where !enable.contains(c) { enable.append(c) }
        return (needed, enable)
    }

    func makeDir(_ h: CgroupHierarchy, rel: String, leaf: String, limits: CgroupLimits,
                 made: inout [String]) throws {
        let v2 = h.isV2 ? v2Controllers(for: limits) : (needed: [], enable: [])
        var e = CgroupFS.mkdir(leaf)
        if e == 0 || e == EEXIST {
            if e == 0 { made.append(leaf); hooks?.didMakeDir(leaf) } else { try Self.refuseBusy(leaf) }
            if h.isV2 && !v2.needed.isEmpty {
                let have = Set(CgroupFS.readTrimmed(leaf + "/cgroup.controllers")?.split(separator: " ").map(String.init) ?? [])
                if !Set(v2.needed).isSubset(of: have) {
                    for dir in Self.ancestors(of: rel, root: h.root) {
                        try enableControllers(in: dir, enable: v2.enable, needed: v2.needed)
                    }
                }
            }
        } else if e == ENOENT {
            // Parents missing: walk down from the root, enabling v2 controllers
            // before each mkdir. Retry if a concurrent destroy removed a parent.
            var attempt = 0
            walk: while true {
                attempt += 1
                var dir = Self.join(h.root, "/")
                for part in rel.split(separator: "/") {
                    if h.isV2 && !v2.enable.isEmpty {
                        try enableControllers(in: dir, enable: v2.enable, needed: v2.needed)
                    }
                    dir = dir == "/" ? "/" + part : dir + "/" + part
                    e = CgroupFS.mkdir(dir)
                    if e == 0 { made.append(dir); hooks?.didMakeDir(dir) }
                    else if e == ENOENT && attempt < 4 { continue walk }
                    else if e != EEXIST { throw CgroupFS.error(dir, e) }
                }
                break
            }
        } else {
            throw CgroupFS.error(leaf, e)
        }
        if h.controllers.contains("cpuset") {
            try ensureCpuset(leaf, root: h.root)
        }
    }

    /// root, root/a, root/a/b for rel "/a/b/c": the dirs whose subtree_control matters.
    static func ancestors(of rel: String, root: String) -> [String] {
        var out = [join(root, "/")]
        let parts = rel.split(separator: "/")
        var acc = ""
        for part in parts.dropLast() {
            acc += "/" + part
            out.append(join(root, acc))
        }
        return out
    }

    /// Writes "+a +b" to dir/cgroup.subtree_control for the available, not yet enabled ones.
    func enableControllers(in dir: String, enable: [String], needed: [String]) throws {
        let available = Set((CgroupFS.readTrimmed(dir + "/cgroup.controllers") ?? "").split(separator: " ").map(String.init))
        let enabled = Set((CgroupFS.readTrimmed(dir + "/cgroup.subtree_control") ?? "").split(separator: " ").map(String.init))
        let todo = enable.filter { available.contains($0) && !enabled.contains($0) }
        guard !todo.isEmpty else { return }
        let file = dir + "/cgroup.subtree_control"
        do {
            try CgroupFS.write(file, todo.map { "+" + $0 }.joined(separator: " "))
        } catch {
            // One controller may refuse (e.g. a threaded subtree); enable the rest one by one.
            for c in todo {
                do { try CgroupFS.write(file, "+" + c) } catch let e as CgroupError {
                    if needed.contains(c) {
                        throw CgroupError(path: file, message: e.message + " (enabling \(c))", errno: e.errno)
                    }
                }
            }
        }
    }

    /// A new v1 cpuset dir starts with empty cpus/mems: copy them from the
    /// parent (fixing empty parents first), or no task could join it.
    func ensureCpuset(_ dir: String, root: String) throws {
        for file in ["cpuset.cpus", "cpuset.mems"] {
            try ensureCpusetFile(dir, file: file, root: Self.join(root, "/"))
        }
    }

    private func ensureCpusetFile(_ dir: String, file: String, root: String) throws {
        let current = try CgroupFS.read(dir + "/" + file)
        guard CgroupFS.trim(current).isEmpty, dir != root,
              let slash = dir.lastIndex(of: "/") else { return }
        let parent = slash == dir.startIndex ? "/" : String(dir[..<slash])
        try ensureCpusetFile(parent, file: file, root: root)
        let value = CgroupFS.trim(try CgroupFS.read(parent + "/" + file))
        try CgroupFS.write(dir + "/" + file, value)
    }
}

import Glibc
