import Glibc

/// Where `nest` keeps its state when no --root is given. Root on the host:
/// /run/nest. Run by another user, or as root of a user namespace that is
/// not the host's (podman rootless runs its runtime so, and passes no
/// --root), the host's /run is not ours to write: $XDG_RUNTIME_DIR/nest, as
/// runc and crun do with theirs.
enum DefaultRoot {
    static var path: String {
        guard let xdg = getenv("XDG_RUNTIME_DIR").map({ String(cString: $0) }), xdg.hasPrefix("/") else {
            return "/run/nest"
        }
        if geteuid() != 0 { return xdg + "/nest" }
        // root of a user namespace, with a runtime dir it can write
        return inUserNamespace() && access(xdg, W_OK) == 0 ? xdg + "/nest" : "/run/nest"
    }

    /// --rootless: `true`, `false` or `auto` (rootless unless root of the
    /// host's user namespace).
    nonisolated(unsafe) static var flag = "auto"
    static let flagValues: Set<String> = ["true", "false", "auto"]

    static var rootless: Bool {
        switch flag {
        case "true": true
        case "false": false
        default: geteuid() != 0 || inUserNamespace()
        }
    }

    /// Whether this process's user namespace is not the initial one: the
    /// initial one maps every uid onto itself.
    static func inUserNamespace() -> Bool {
        let fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 256)
        let n = read(fd, &buf, buf.count)
        guard n > 0 else { return false }
        let fields = String(decoding: buf[0..<n], as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\n" })
        return fields != ["0", "0", "4294967295"]
    }
}
