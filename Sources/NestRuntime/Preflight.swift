import Glibc
import NestOCI
import NestSubsystem

/// Checks that need the host but change nothing, so that a config the
/// host cannot honour is refused before anything is made.
enum Preflight {
    static let rlimitNumbers: [String: Int32] = [
        "RLIMIT_CPU": 0, "RLIMIT_FSIZE": 1, "RLIMIT_DATA": 2, "RLIMIT_STACK": 3, "RLIMIT_CORE": 4, "RLIMIT_RSS": 5,
        "RLIMIT_NPROC": 6, "RLIMIT_NOFILE": 7, "RLIMIT_MEMLOCK": 8, "RLIMIT_AS": 9, "RLIMIT_LOCKS": 10,
        "RLIMIT_SIGPENDING": 11, "RLIMIT_MSGQUEUE": 12, "RLIMIT_NICE": 13, "RLIMIT_RTPRIO": 14, "RLIMIT_RTTIME": 15,
    ]

    /// Throws the first problem: a field the launcher would not apply
    /// (see PreflightFields.swift), or a limit this host cannot give. VFS
    /// is the file system the process runs in (its mounts' fields).
    static func check(_ c: ContainerConfig, vfs: VFSConfig? = nil) throws(RuntimeError) {
        guard let process = c.process else { throw .invalidArgument("the container has no process", field: "process") }
        if let first = unsupported(container: c, vfs: vfs).first {
            throw .invalidArgument(first.message, field: first.path)
        }
        for (i, r) in (process.rlimits ?? []).enumerated() {
            guard let n = rlimitNumbers[r.type] else { continue }
            if r.soft > r.hard {
                throw .invalidArgument("\(r.type): soft limit \(r.soft) is above the hard limit \(r.hard)", field: "process.rlimits[\(i)]")
            }
            var current = rlimit()
            guard getrlimit(__rlimit_resource_t(UInt32(n)), &current) == 0 else { continue }
            let hard = UInt64(current.rlim_max)
            // /proc/self/status is read only for a limit that needs raising.
            if r.hard > hard && !hasCapability(24) {  // CAP_SYS_RESOURCE
                throw .invalidArgument("\(r.type): hard limit \(r.hard) is above the current hard limit \(hard), and raising it needs CAP_SYS_RESOURCE", field: "process.rlimits[\(i)]")
            }
        }
    }

    static func hasCapability(_ bit: Int) -> Bool {
        guard let bytes = Sys.readFile("/proc/self/status") else { return false }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix("CapEff:") {
            let hex = line.dropFirst(7).trimmingCharacters(in: " \t")
            return (UInt64(hex, radix: 16) ?? 0) & (1 << UInt64(bit)) != 0
        }
        return false
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}
