// Freezing a container's processes (pause/resume): the v1 freezer
// controller where it is mounted (as on hybrid hosts), else cgroup v2's
// cgroup.freeze, which every non-root v2 cgroup has.

import Glibc

extension CgroupManager {
    /// The file that freezes a container's cgroup.
    enum Freezer: Equatable {
        /// A dir of the v1 freezer hierarchy: `freezer.state`.
        case v1(String)
        /// A v2 dir: `cgroup.freeze`, and `cgroup.events` to read it back.
        case v2(String)
    }

    func freezer(_ paths: CgroupPaths) -> Freezer? {
        if let h = hierarchies.first(where: { $0.controllers.contains("freezer") }),
           let dir = paths.dirs.first(where: { Self.isBelow($0, root: h.root) }) {
            return .v1(dir)
        }
        return paths.unifiedDir.map { .v2($0) }
    }

    /// Whether the container's processes are frozen, by its own freezer or
    /// an enclosing cgroup's (a paused subsystem's processes are).
    public func isFrozen(_ paths: CgroupPaths) -> Bool {
        switch freezer(paths) {
        case .v1(let dir)?: CgroupFS.readTrimmed(dir + "/freezer.state") == "FROZEN"
        case .v2(let dir)?: Self.eventsSayFrozen(dir)
        case nil: false
        }
    }

    /// Freezes every process in the container's cgroup (and below), and
    /// returns once the kernel says they are frozen. When they will not
    /// freeze, they are thawed again and the error says so.
    public func freeze(_ paths: CgroupPaths) throws {
        switch freezer(paths) {
        case .v1(let dir)?: try Self.freezeV1(dir)
        case .v2(let dir)?: try Self.freezeV2(dir)
        case nil: throw CgroupError(path: paths.dirs.first ?? "", message: "no freezer: neither the v1 freezer controller nor cgroup v2 is mounted")
        }
    }

    /// Thaws the container's cgroup; with `wait`, returns once its
    /// processes run again (an error when an enclosing cgroup keeps them
    /// frozen). Without, it only asks: what `kill` does after SIGKILL, so
    /// that a frozen process can die.
    public func thaw(_ paths: CgroupPaths, wait: Bool = true) throws {
        switch freezer(paths) {
        case .v1(let dir)?: try Self.thawV1(dir, wait: wait)
        case .v2(let dir)?: try Self.thawV2(dir, wait: wait)
        case nil: throw CgroupError(path: paths.dirs.first ?? "", message: "no freezer: neither the v1 freezer controller nor cgroup v2 is mounted")
        }
    }

    /// Waits between reads of a freezer's state: about 5 s in all.
    static let freezerBackoffMillis = [0, 1, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 1000, 1000, 1000]

    /// v1 can be left FREEZING while processes keep forking into the
    /// cgroup: FROZEN is written again until it reads back, with a thaw
    /// now and then to let the stragglers settle (as runc does).
    static func freezeV1(_ dir: String) throws {
        let file = dir + "/freezer.state"
        for i in 0..<1000 {
            if i % 50 == 49 {
                try? CgroupFS.write(file, "THAWED")
                CgroupFS.sleepMillis(10)
            }
            try CgroupFS.write(file, "FROZEN")
            if i % 25 == 24 { usleep(10) }
            let state = CgroupFS.trim(try CgroupFS.read(file))
            if state == "FROZEN" { return }
            if state != "FREEZING" {
                throw CgroupError(path: file, message: "freezer.state: reads \(state) after FROZEN was written")
            }
        }
        try? CgroupFS.write(file, "THAWED")
        throw CgroupError(path: file, message: "freezer.state: the processes did not freeze (still FREEZING); they were thawed again")
    }

    static func thawV1(_ dir: String, wait: Bool) throws {
        let file = dir + "/freezer.state"
        try CgroupFS.write(file, "THAWED")
        guard wait else { return }
        for ms in freezerBackoffMillis {
            CgroupFS.sleepMillis(ms)
            if CgroupFS.trim(try CgroupFS.read(file)) == "THAWED" { return }
            if CgroupFS.readTrimmed(dir + "/freezer.parent_freezing") == "1" {
                throw CgroupError(path: file, message: "freezer.state: an enclosing cgroup is frozen; resume what it belongs to first")
            }
        }
        throw CgroupError(path: file, message: "freezer.state: the processes did not thaw")
    }

    static func freezeV2(_ dir: String) throws {
        try CgroupFS.write(dir + "/cgroup.freeze", "1")
        for ms in freezerBackoffMillis {
            CgroupFS.sleepMillis(ms)
            if eventsSayFrozen(dir) { return }
        }
        try? CgroupFS.write(dir + "/cgroup.freeze", "0")
        throw CgroupError(path: dir + "/cgroup.freeze", message: "cgroup.freeze: the processes did not freeze; they were thawed again")
    }

    static func thawV2(_ dir: String, wait: Bool) throws {
        try CgroupFS.write(dir + "/cgroup.freeze", "0")
        guard wait else { return }
        for ms in freezerBackoffMillis {
            CgroupFS.sleepMillis(ms)
            if !eventsSayFrozen(dir) { return }
        }
        throw CgroupError(path: dir + "/cgroup.freeze",
                          message: "cgroup.freeze: the processes are still frozen (is an enclosing cgroup frozen? resume what it belongs to first)")
    }

    /// `frozen 1` in cgroup.events: every process below is frozen.
    static func eventsSayFrozen(_ dir: String) -> Bool {
        guard let text = try? CgroupFS.read(dir + "/cgroup.events") else { return false }
        return text.split(separator: "\n").contains("frozen 1")
    }
}
