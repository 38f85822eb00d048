import NestOCI
import NestSubsystem

/// What the launch plan needs besides the subsystem: the places on this
/// host. Kept apart so the plan of a subsystem is a pure function of both.
public struct PlanContext: Sendable {
    public var stateDir: String
    public var execFifo: String?
    public var syncFD: Int32
    public var stdio: StdioMode
    public var pidFile: String?
    public var consoleSocket: String?
    public var cgroupJoinDirs: [String]
    public var oomFile: String?
    /// The host's cgroup layout as Runtime detected it (`v1`, `v2`, `hybrid`),
    /// written as the plan's `cgroup-layout`; `none` (no hierarchy) is no record.
    public var cgroupLayout: String
    /// An init program for the monitor to exec; nil (the default) runs
    /// nest-init's loop inside the monitor's container process, one exec
    /// less per container.
    public var initPath: String? = nil
    /// Where the ROM server's files are (the subsystem's state dir/rom).
    public var romDir: String = ""
    /// The container's id when it is not the subsystem's name (`SUB/NAME`
    /// for a process of a subsystem of several): what hooks are told.
    public var containerID: String? = nil
    /// The init becomes the child of the monitor's spawner (`CreateOptions.handoff`).
    public var handoff = false
    /// The spawner's fds 3...3+N-1 go to the container's process.
    public var preserveFds: Int = 0
}

/// Writes the launch plan (docs/launch-plan.md) of one process of a
/// subsystem, from what its routes give it (`Subsystem.layout(of:)`).
public enum PlanWriter {
    /// The plan of the subsystem's only process (an OCI bundle's).
    public static func plan(_ sub: Subsystem, _ ctx: PlanContext) throws(RuntimeError) -> String {
        guard let only = sub.processes.first, sub.processes.count == 1 else {
            throw .invalidArgument("the subsystem has \(sub.processes.count) processes; name one", field: "subsystem")
        }
        return try plan(sub, process: only.name, ctx)
    }

    public static func plan(_ sub: Subsystem, process name: String, _ ctx: PlanContext) throws(RuntimeError) -> String {
        let layout: ProcessLayout
        do { layout = try sub.layout(of: name) } catch { throw .invalidSpec([error]) }
        return try plan(sub, layout, ctx)
    }

    static func plan(_ sub: Subsystem, _ layout: ProcessLayout, _ ctx: PlanContext) throws(RuntimeError) -> String {
        let c = layout.container
        guard let process = c.process, let args = process.args, !args.isEmpty else {
            throw .invalidArgument("the container has no process to run", field: "process.args")
        }
        let rom = layout.rom ?? ROMConfig()
        // New or joined (hostname with a joined UTS namespace is the
        // spec's): the names are set in the namespace the process is in,
        // never the host's (validation needs a uts entry). A subsystem's
        // shared UTS namespace is named by its holder.
        let ownsUTS = c.namespaces.contains { $0.type == "uts" } && !sub.shared.contains("uts")
        var out = head(sub, ctx)
        func rec(_ fields: String...) { rec(fields) }
        func rec(_ fields: [String]) { out += line(fields) }
        if process.terminal == true {
            guard let socket = ctx.consoleSocket else {
                throw .invalidArgument("process.terminal needs --console-socket", field: "process.terminal")
            }
            rec("console-socket", socket)
            if let size = process.consoleSize { rec("console-size", String(size.height), String(size.width)) }
        }
        rec("rootfs", layout.root)
        if let overlay = layout.overlay {
            try checkOverlay(layout)
            rec(["rootfs-overlay", overlay.upper, overlay.work] + overlay.layers.reversed().map(\.path))
        }
        rec("rootfs-readonly", layout.readonly ? "1" : "0")
        rec("rootfs-propagation", layout.propagation)
        for ns in c.namespaces { rec("namespace", ns.type, ns.path ?? "-") }
        for m in c.uidMappings { rec("uid-map", String(m.containerID), String(m.hostID), String(m.size)) }
        for m in c.gidMappings { rec("gid-map", String(m.containerID), String(m.hostID), String(m.size)) }
        for t in c.timeOffsets { rec("time-offset", t.clock, String(t.secs), String(t.nanosecs)) }
        if ownsUTS, let hostname = rom.module("hostname") { rec("hostname", hostname) }
        if ownsUTS, let domainname = rom.module("domainname") { rec("domainname", domainname) }
        out += cgroups(ctx)
        if let oom = ctx.oomFile { rec("oom-file", oom) }
        out += layoutAndAnnotations(sub, ctx)
        let mountLabel = sub.start(layout.rootServer)?.vfs?.mountLabel
        for m in layout.mounts {
            let o = MountOptions(m.options)
            var flags = o.flags
            var type = m.type
            if m.isBind { flags |= MountOptions.bind; type = "bind" }
            let data = LSMHost.labeled(data: o.data, type: type, bind: m.isBind, mountLabel: mountLabel)
            rec("mount", m.destination, type, m.source, hex(flags), hex(o.propagation), data.joined(separator: ","))
        }
        for module in rom.modules {
            if let path = module.path {
                rec("mount", path, "bind", (ctx.romDir.isEmpty ? ctx.stateDir + "/rom" : ctx.romDir) + "/" + module.name, hex(MountOptions.bind | MountOptions.rdonly), "0", "")
            }
        }
        for d in layout.devices {
            rec("device", d.path, d.type, String(d.major), String(d.minor), String(d.mode, radix: 8), String(d.uid), String(d.gid))
        }
        for s in layout.symlinks { rec("symlink", s.target, s.path) }
        for p in layout.masked { rec("masked", p) }
        for p in layout.readonlyPaths { rec("readonly", p) }
        for s in c.sysctl { rec("sysctl", s.key, s.value) }
        out += processRecords(process, args: args, seccomp: c.seccomp)
        // Every kind: poststart and poststop are run by `nest-monitor -H` from this plan.
        for h in c.hooks {
            let args = h.hook.args ?? [h.hook.path]
            rec(["hook", h.kind, String(h.hook.timeout ?? 0), h.hook.path, String(args.count)] + args + (h.hook.env ?? []))
        }
        if let initPath = ctx.initPath { rec("init", initPath) }
        return out
    }

    /// An overlay rootfs is mounted in the container's own mount namespace,
    /// so that it goes with the container's last process: without one it
    /// would stay mounted on the host.
    static func checkOverlay(_ layout: ProcessLayout) throws(RuntimeError) {
        guard layout.overlay != nil else { return }
        if !layout.container.namespaces.contains(where: { $0.type == "mount" && $0.path == nil }) {
            throw .invalidArgument("an overlay rootfs needs a new mount namespace (a \"mount\" entry without a path)",
                                   field: "linux.namespaces")
        }
        for (at, message) in layout.overlay?.problems() ?? [] {
            throw .invalidArgument(message, field: "subsystem/start[\(layout.rootServer)]/config/vfs/overlay\(at)")
        }
    }

    /// What the process stage applies (create's and exec's): limits,
    /// identity, cwd, environment, arguments, capabilities, seccomp.
    static func processRecords(_ process: Spec.Process, args: [String], seccomp: Spec.Linux.Seccomp?) -> String {
        var out = ""
        func rec(_ fields: String...) { rec(fields) }
        func rec(_ fields: [String]) { out += line(fields) }
        for r in process.rlimits ?? [] { rec("rlimit", r.type, String(r.soft), String(r.hard)) }
        if let adj = process.oomScoreAdj { rec("oom-score-adj", String(adj)) }
        rec("user", String(process.user.uid), String(process.user.gid), process.user.umask.map { String($0, radix: 8) } ?? "-")
        rec(["groups"] + (process.user.additionalGids ?? []).map(String.init))
        rec("cwd", process.cwd)
        for e in process.env ?? [] { rec("env", e) }
        for a in args { rec("arg", a) }
        rec("no-new-privileges", process.noNewPrivileges == true ? "1" : "0")
        // Preflight has refused a label this host's LSMs cannot apply.
        if let profile = process.apparmorProfile, !profile.isEmpty { rec("apparmor-profile", profile) }
        if let label = process.selinuxLabel, !label.isEmpty { rec("selinux-label", label) }
        for (set, caps) in process.capabilities?.all ?? [] {
            for cap in caps { rec("cap", set, cap) }
        }
        if let s = seccomp {
            rec("seccomp-default", s.defaultAction, s.defaultErrnoRet.map(String.init) ?? "-")
            for a in s.architectures ?? [] { rec("seccomp-arch", a) }
            for f in s.flags ?? [] { rec("seccomp-flag", f) }
            for sc in s.syscalls ?? [] {
                let conditions = (sc.args ?? []).map { "\($0.index):\($0.op):\($0.value):\($0.valueTwo ?? 0)" }
                for name in sc.names {
                    rec(["seccomp-rule", sc.action, sc.errnoRet.map(String.init) ?? "-", name] + conditions)
                }
            }
        }
        return out
    }

    /// The records every plan starts with: who it is, where its state and
    /// status go, its stdio.
    static func head(_ sub: Subsystem, _ ctx: PlanContext) -> String {
        var out = line(["version", "1"]) + line(["id", ctx.containerID ?? sub.name]) + line(["oci-version", sub.ociVersion])
        if !sub.bundle.isEmpty { out += line(["bundle", sub.bundle]) }
        out += line(["state-dir", ctx.stateDir])
        if let fifo = ctx.execFifo { out += line(["exec-fifo", fifo]) }
        out += line(["sync-fd", String(ctx.syncFD)]) + line(["status-file", ctx.stateDir + "/status"])
        if let pidFile = ctx.pidFile { out += line(["pid-file", pidFile]) }
        if ctx.handoff { out += line(["handoff"]) }
        if ctx.preserveFds > 0 { out += line(["preserve-fds", String(ctx.preserveFds)]) }
        switch ctx.stdio {
        case .inherit: out += line(["stdio", "inherit"])
        case .null: out += line(["stdio", "null"])
        case .log(let path): out += line(["stdio", "log", path])
        }
        return out
    }

    /// The cgroups the init joins.
    static func cgroups(_ ctx: PlanContext) -> String { ctx.cgroupJoinDirs.map { line(["cgroup-join", $0]) }.joined() }

    /// The host's cgroup layout and the annotations (which hooks are told).
    static func layoutAndAnnotations(_ sub: Subsystem, _ ctx: PlanContext) -> String {
        let layout = ctx.cgroupLayout == "none" ? "" : line(["cgroup-layout", ctx.cgroupLayout])
        return layout + sub.annotations.map { line(["annotation", $0.key, $0.value]) }.joined()
    }

    static func line(_ fields: [String]) -> String { fields.map(escape).joined(separator: "\t") + "\n" }

    static func hex(_ v: UInt64) -> String { String(v, radix: 16) }

    static func escape(_ field: String) -> String {
        guard field.contains(where: { $0 == "\\" || $0 == "\t" || $0 == "\n" }) else { return field }
        var out = ""
        for ch in field {
            switch ch {
            case "\\": out += "\\\\"
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            default: out.append(ch)
            }
        }
        return out
    }
}
