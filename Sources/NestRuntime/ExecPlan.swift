import NestOCI

/// Where an exec'd process goes: the container it joins (through its
/// init) and the places on this host.
struct ExecPlanContext {
    var id: String
    var stateDir: String
    var initPid: Int32
    /// Field 22 of /proc/PID/stat when the container was created: the
    /// monitor checks the pid still names that process.
    var initStartTime: UInt64
    var syncFD: Int32
    var preserveFds: Int
    var consoleSocket: String?
    var cgroupJoinDirs: [String]
}

extension PlanWriter {
    /// The plan of `nest-monitor -x` (docs/launch-plan.md, "Exec plans"):
    /// the container to join, and the process as the process stage of a
    /// create applies it, with the container's seccomp filter.
    static func execPlan(_ ctx: ExecPlanContext, process: Spec.Process, seccomp: Spec.Linux.Seccomp?) -> String {
        var out = line(["version", "1"]) + line(["id", ctx.id]) + line(["state-dir", ctx.stateDir])
        out += line(["exec", String(ctx.initPid), String(ctx.initStartTime)])
        out += line(["sync-fd", String(ctx.syncFD)])
        if ctx.preserveFds > 0 { out += line(["preserve-fds", String(ctx.preserveFds)]) }
        if process.terminal == true, let socket = ctx.consoleSocket {
            out += line(["console-socket", socket])
            if let size = process.consoleSize { out += line(["console-size", String(size.height), String(size.width)]) }
        }
        out += ctx.cgroupJoinDirs.map { line(["cgroup-join", $0]) }.joined()
        return out + processRecords(process, args: process.args ?? [], seccomp: seccomp)
    }
}
