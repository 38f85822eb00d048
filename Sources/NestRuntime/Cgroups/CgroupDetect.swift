// Detection of the cgroup layout from /proc/self/mountinfo.

/// The v1 controllers a mountinfo entry may carry in its super options.
let knownV1Controllers: Set<String> = [
    "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls",
    "net_prio", "blkio", "perf_event", "hugetlb", "pids", "rdma", "misc",
]

/// One cgroup-related line of mountinfo.
struct CgroupMount: Equatable {
    var root: String        // field 4: the root of the mount within the hierarchy
    var mountPoint: String  // field 5, unescaped
    var fsType: String      // "cgroup" or "cgroup2"
    var controllers: [String]  // v1 controllers from the super options
}

extension CgroupManager {
    public static func detect(mountsFile: String = "/proc/self/mountinfo") throws -> CgroupLayout {
        let text: String
        do {
            text = try CgroupFS.read(mountsFile)
        } catch let e as CgroupError {
            throw CgroupError(path: mountsFile, message: e.message, errno: e.errno)
        }
        guard let layout = layout(mountinfo: text) else {
            throw CgroupError(path: mountsFile, message: "no cgroup hierarchy is mounted")
        }
        return layout
    }

    /// Parses mountinfo content; nil when no cgroup hierarchy is mounted.
    static func layout(mountinfo text: String) -> CgroupLayout? {
        var v1: [String: String] = [:]
        var v1FromRoot: Set<String> = []
        var v2: String?
        var v2FromRoot = false
        // Every `nest` command detects the layout: lines are split as bytes
        // and only cgroup mounts are parsed (Character-wise splitting of
        // the whole file was a quarter of a millisecond).
        for line in text.utf8.split(separator: UInt8(ascii: "\n")) where Self.isCgroupMount(line) {
            guard let m = parseMountinfoLine(Substring(line)) else { continue }
            let fromRoot = m.root == "/"
            if m.fsType == "cgroup2" {
                // Prefer /sys/fs/cgroup, then a mount of the hierarchy root, then the first.
                let better = v2 == nil
                    || (m.mountPoint == "/sys/fs/cgroup" && v2 != "/sys/fs/cgroup")
                    || (fromRoot && !v2FromRoot && v2 != "/sys/fs/cgroup")
                if better { v2 = m.mountPoint; v2FromRoot = fromRoot }
                continue
            }
            for c in m.controllers where v1[c] == nil || (fromRoot && !v1FromRoot.contains(c)) {
                v1[c] = m.mountPoint
                if fromRoot { v1FromRoot.insert(c) }
            }
        }
        if v1.isEmpty {
            return v2.map { .unified(root: $0) }
        }
        if let v2 { return .hybrid(v1: v1, unified: v2) }
        return .legacy(v1: v1)
    }

    /// Whether the filesystem type after the " - " separator starts with "cgroup".
    static func isCgroupMount(_ line: Substring.UTF8View.SubSequence) -> Bool {
        let marker = Array(" - cgroup".utf8)
        var i = line.startIndex
        while i != line.endIndex {
            if line[i] == marker[0] {
                var j = i, k = 0
                while k < marker.count, j != line.endIndex, line[j] == marker[k] {
                    j = line.index(after: j)
                    k += 1
                }
                if k == marker.count { return true }
            }
            i = line.index(after: i)
        }
        return false
    }

    /// Fields: id parent major:minor root mountpoint options [optional...] - fstype source superoptions
    static func parseMountinfoLine(_ line: Substring) -> CgroupMount? {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard let dash = fields.firstIndex(of: "-"), dash >= 6, dash + 1 < fields.count else { return nil }
        let fsType = String(fields[dash + 1])
        guard fsType == "cgroup" || fsType == "cgroup2" else { return nil }
        var controllers: [String] = []
        if fsType == "cgroup", dash + 3 < fields.count {
            for opt in fields[dash + 3].split(separator: ",") where knownV1Controllers.contains(String(opt)) {
                controllers.append(String(opt))
            }
            if controllers.isEmpty { return nil }  // name=systemd and friends
        }
        return CgroupMount(root: unescapeMountinfo(fields[3]), mountPoint: unescapeMountinfo(fields[4]),
                           fsType: fsType, controllers: controllers)
    }

    /// mountinfo escapes space, tab, newline and backslash as \ooo (octal).
    static func unescapeMountinfo(_ s: Substring) -> String {
        guard s.contains("\\") else { return String(s) }
        var out: [UInt8] = []
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "\\"), i + 3 < b.count, let v = octal(b[(i + 1)..<(i + 4)]) {
                out.append(v)
                i += 4
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func octal(_ digits: ArraySlice<UInt8>) -> UInt8? {
        guard digits.count == 3 else { return nil }
        var v = 0
        for d in digits {
            guard d >= UInt8(ascii: "0"), d <= UInt8(ascii: "7") else { return nil }
            v = v * 8 + Int(d - UInt8(ascii: "0"))
        }
        return v <= 255 ? UInt8(v) : nil
    }
}
