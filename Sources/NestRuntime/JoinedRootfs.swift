import CNestShims
import Glibc

/// A container that joins a mount namespace by path has its rootfs built
/// there: the rootfs bind and every mount under it stay in that namespace
/// after the container's processes. Before the monitor runs, the create
/// records the namespace's path and identity (st_dev, st_ino of its nsfs
/// inode), the rootfs as that namespace resolves it and the mounts already
/// at or below it (ROOT/ID/joined-rootfs); delete, `delete -f` and a failed
/// create unmount every other mount there, if the path still names that
/// namespace. This process is multi-threaded and cannot enter a mount
/// namespace: `nest-monitor -u` does (Sources/nest-monitor/joinedmnt.c).
enum JoinedRootfs {
    static let fileName = "joined-rootfs"

    enum Undone: Equatable {
        /// No record: the container did not join a mount namespace.
        case none
        /// Unmounted; the mount points that could not be.
        case done(stuck: [String])
        /// The namespace is not reachable any more (why): it ended with
        /// its mounts, or the path names another one now.
        case gone(String)
    }

    /// Writes the record into the state dir `dir`: the namespace path, its
    /// "DEV INO", the rootfs, then the ids of the mounts at or below it.
    static func record(nsPath: String, field: String, rootfs: String, stateDir dir: String,
                       libexecDir: String?) throws(RuntimeError) {
        // The record is line-based; a path nothing can name is refused
        // before anything runs.
        guard !nsPath.contains("\n"), !rootfs.contains("\n") else {
            throw .invalidArgument("\(nsPath.contains("\n") ? nsPath : rootfs): a newline in the path", field: field)
        }
        let out = try helper(["list", nsPath, rootfs], libexecDir: libexecDir)
        let lines = out.split(separator: "\n").map(String.init)
        guard lines.count >= 2, lines[0].split(separator: " ").count == 2 else {
            throw .system("namespace mount \(nsPath): nest-monitor -u list said \(out)")
        }
        try Sys.writeAtomic(dir + "/" + fileName, Array(([nsPath] + lines).joined(separator: "\n").utf8) + [10])
    }

    /// Unmounts what the container made in the namespace it joined
    /// (`.none` when the state dir has no record).
    static func undo(stateDir dir: String, libexecDir: String?) throws(RuntimeError) -> Undone {
        guard let bytes = Sys.readFile(dir + "/" + fileName) else { return .none }
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
        let identity = lines.count >= 3 ? lines[1].split(separator: " ").map(String.init) : []
        guard identity.count == 2 else { throw .system("\(dir)/\(fileName): not a record of a joined mount namespace") }
        let out = try helper(["undo", lines[0]] + identity + Array(lines[2...]), libexecDir: libexecDir)
        let report = out.split(separator: "\n").map(String.init)
        if let first = report.first, first.hasPrefix("gone ") { return .gone(String(first.dropFirst(5))) }
        guard report.first == "done" else { throw .system("namespace mount \(lines[0]): nest-monitor -u undo said \(out)") }
        return .done(stuck: Array(report.dropFirst()))
    }

    /// Runs `nest-monitor -u ARGS`, posix_spawned; its report (fd 3).
    private static func helper(_ args: [String], libexecDir: String?) throws(RuntimeError) -> String {
        let monitor = try Libexec.dir(libexecDir) + "/nest-monitor"
        var report: [Int32] = [-1, -1]
        guard nest_pipe2(&report, O_CLOEXEC) == 0 else { throw .system("nest-monitor -u: pipe: \(Sys.errorText())") }
        let child: pid_t
        do {
            child = try MonitorSpawner.spawnProcess(monitor: monitor, args: ["-u"] + args, stdio: .null, extra: [report[1]])
        } catch {
            close(report[0])
            throw error
        }
        let out = MonitorSpawner.readReport(report[0], toEOF: true)
        close(report[0])
        var st: Int32 = 0
        while waitpid(child, &st, 0) < 0 && errno == EINTR {}
        if st != 0 {
            let line = out.split(separator: "\n").last.map(String.init) ?? ""
            if let error = KernelError(record: line) { throw .kernel(error) }
            throw .system("nest-monitor -u \(args.first ?? "") exited with status \(st): \(out)")
        }
        return out
    }
}

extension Runtime {
    /// Unmounts what container `id` made at or below its rootfs in the
    /// caller's mount namespace (`HostRootfs`) or in one it joined
    /// (`JoinedRootfs`); returns the mount points that could not be.
    func undoRootfsMounts(id: String, stateDir dir: String) throws(RuntimeError) -> [String] {
        var stuck = HostRootfs.undo(stateDir: dir)
        switch try JoinedRootfs.undo(stateDir: dir, libexecDir: options.libexecDir) {
        case .none: break
        case .done(let more): stuck += more
        case .gone(let why):
            Runtime.warn("\(id): nothing left to undo in the mount namespace it joined: \(why) " +
                         "(a namespace that ended took the container's mounts with it)")
        }
        return stuck
    }
}
