import CNestShims
import Glibc
import NestOCI

/// The container's /etc/passwd and /etc/group, read from the host: the
/// container's files, never the host's. Its root is a directory fd (its
/// init's /proc/PID/root, or the rootfs before it runs) and every path is
/// resolved in it with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS): a
/// symlink, absolute or with "..", lands in the container as it would for
/// the container's own processes, and a /proc magic link (/proc/1/root,
/// /proc/self/fd/N) is refused. Only a regular file of at most 1 MiB, on no
/// /proc or /sys, is read, without blocking.
enum ContainerUserFiles {
    static let limit = 1 << 20

    static func resolve(_ spec: String, root: Int32, field: String) throws(RuntimeError) -> ContainerUsers.Resolved {
        do {
            return try ContainerUsers.resolve(spec, passwd: read(root: root, "/etc/passwd"), group: read(root: root, "/etc/group"))
        } catch {
            throw .invalidArgument(error.message, field: field)
        }
    }

    static func read(root: Int32, _ path: String) -> ContainerUsers.File {
        let fd = nest_open_in_root(root, path, 0)
        guard fd >= 0 else {
            switch errno {
            case ENOENT, ENOTDIR: return .missing
            case ELOOP, EXDEV: return .refused("a symlink loop, or a /proc link out of the container")
            case let e: return .refused(Sys.errorText(e))
            }
        }
        defer { close(fd) }
        // /proc/self/environ and the like are "regular files" too: of
        // processes, not of the container's image
        let type = nest_fs_type(fd)
        if type == procMagic || type == sysfsMagic {
            return .refused("a file of /proc or /sys")
        }
        do {
            return .bytes(try BundleLoader.readRegular(fd, name: path, limit: limit) { nest_open_in_root(root, path, 1) })
        } catch {
            let prefix = path + ": "
            return .refused(error.message.hasPrefix(prefix) ? String(error.message.dropFirst(prefix.count)) : error.message)
        }
    }

    private static let procMagic = 0x9fa0
    private static let sysfsMagic = 0x6265_6572
}

extension ContainerUsers {
    /// Resolves `spec` in the files of the root file system at `rootfs` (a
    /// host directory): for a container not created yet, whose mounts
    /// (over /etc, say) are not there. Errors name `field`.
    public static func resolve(_ spec: String, rootfs: String, field: String) throws(RuntimeError) -> Resolved {
        let root = nest_open_dir_path(rootfs)
        guard root >= 0 else { throw .invalidArgument("the rootfs \(rootfs): \(Sys.errorText())", field: field) }
        defer { close(root) }
        return try ContainerUserFiles.resolve(spec, root: root, field: field)
    }
}

extension ContainerUsers.Resolved {
    /// Runs `process` as this user: its UID, its GID (unless it has none:
    /// the process keeps its own), these supplementary groups only, and its
    /// home as HOME unless `keepHome` (the request set HOME itself). A user
    /// of no passwd entry has no home: the process keeps its HOME, or gets
    /// "/" (as runc and docker give it).
    public func apply(to process: inout Spec.Process, keepHome: Bool) {
        process.user.uid = uid
        if let gid { process.user.gid = gid }
        process.user.additionalGids = additionalGids.isEmpty ? nil : additionalGids
        guard !keepHome else { return }
        var env = process.env ?? []
        if let home {
            env.removeAll { $0.hasPrefix("HOME=") }
            env.append("HOME=" + home)
        } else if !env.contains(where: { $0.hasPrefix("HOME=") }) {
            env.append("HOME=/")
        }
        process.env = env
    }
}

extension Runtime {
    /// Resolves `spec` (USER[:GROUP], names or numbers) in the /etc/passwd
    /// and /etc/group of container `id` (created or running), as its
    /// processes see them: through its init's root, mounts included.
    /// Errors name `field`.
    public func user(_ spec: String, id: String, field: String) throws(RuntimeError) -> ContainerUsers.Resolved {
        try Self.validate(id: id)
        let record = try record(id)
        let state = try status(record).status
        guard state == "created" || state == "running" else {
            throw .invalidState(id: id, state: state, wanted: "created or running")
        }
        let root = nest_open_dir_path("/proc/\(record.pid)/root")
        let failure = errno
        defer { if root >= 0 { close(root) } }
        // still the init once the root is open: that root is the container's
        guard Sys.isSame(record.pid, startTime: record.pidStartTime) else {
            throw .invalidState(id: id, state: "stopped", wanted: "created or running")
        }
        guard root >= 0 else { throw .system("/proc/\(record.pid)/root: \(Sys.errorText(failure))") }
        return try ContainerUserFiles.resolve(spec, root: root, field: field)
    }
}
