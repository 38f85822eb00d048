import NestOCI

extension ContainerConfig {
    static func read(_ node: XMLNode, quota: Quota) throws -> ContainerConfig {
        try node.check(attributes: [], children: ["namespace", "uid-map", "gid-map", "time-offset", "sysctl", "net-device",
                                                  "personality", "memory-policy", "intel-rdt", "process", "seccomp", "hook"])
        var c = ContainerConfig(resources: quota)
        c.namespaces = try node.kids("namespace").map { n in
            try n.check(attributes: ["type", "path"])
            return Spec.Linux.Namespace(type: try n.req("type"), path: n.str("path"))
        }
        c.uidMappings = try readMaps(node, "uid-map")
        c.gidMappings = try readMaps(node, "gid-map")
        c.timeOffsets = try node.kids("time-offset").map { t in
            try t.check(attributes: ["clock", "secs", "nanosecs"])
            return TimeOffset(clock: try t.req("clock"), secs: try t.int("secs") ?? 0, nanosecs: try t.int("nanosecs") ?? 0)
        }
        c.sysctl = try node.kids("sysctl").map { s in
            try s.check(attributes: ["key", "value"])
            return KeyValue(try s.req("key"), try s.req("value"))
        }
        c.netDevices = try node.kids("net-device").map { d in
            try d.check(attributes: ["host", "name"])
            return NetDevice(hostName: try d.req("host"), name: d.str("name"))
        }
        if let p = try node.one("personality") {
            try p.check(attributes: ["domain", "flags"])
            c.personality = Spec.Linux.Personality(domain: try p.req("domain"), flags: p.list("flags"))
        }
        if let m = try node.one("memory-policy") {
            try m.check(attributes: ["mode", "nodes", "flags"])
            c.memoryPolicy = Spec.Linux.MemoryPolicy(mode: try m.req("mode"), nodes: m.str("nodes"), flags: m.list("flags"))
        }
        if let r = try node.one("intel-rdt") {
            try r.check(attributes: ["clos-id", "l3-cache-schema", "mem-bw-schema", "enable-monitoring", "enable-cmt", "enable-mbm"],
                        children: ["schema"])
            c.intelRdt = Spec.Linux.IntelRdt(closID: r.str("clos-id"), l3CacheSchema: r.str("l3-cache-schema"),
                                             memBwSchema: r.str("mem-bw-schema"), schemata: try r.values("schema"),
                                             enableMonitoring: try r.bool("enable-monitoring"), enableCMT: try r.bool("enable-cmt"),
                                             enableMBM: try r.bool("enable-mbm"))
        }
        if let p = try node.one("process") { c.process = try Spec.Process.read(p) }
        if let s = try node.one("seccomp") { c.seccomp = try Spec.Linux.Seccomp.read(s) }
        c.hooks = try node.kids("hook").map { h in
            try h.check(attributes: ["kind", "path", "timeout"], children: ["arg", "env"])
            return HookEntry(kind: try h.req("kind"), hook: Spec.Hook(path: try h.req("path"), args: try h.values("arg"),
                                                                    env: try h.values("env"), timeout: try h.int("timeout")))
        }
        return c
    }
}

extension Spec.Process {
    static func read(_ node: XMLNode) throws -> Spec.Process {
        try node.check(attributes: ["cwd", "terminal", "no-new-privileges", "oom-score-adj", "apparmor-profile",
                                    "selinux-label", "command-line"],
                       children: ["console", "user", "arg", "env", "capabilities", "rlimit", "io-priority", "scheduler", "cpu-affinity"])
        var p = Spec.Process(terminal: try node.bool("terminal"), args: try node.values("arg"), commandLine: node.str("command-line"),
                             env: try node.values("env"), cwd: try node.req("cwd"), noNewPrivileges: try node.bool("no-new-privileges"),
                             apparmorProfile: node.str("apparmor-profile"), oomScoreAdj: try node.int("oom-score-adj"),
                             selinuxLabel: node.str("selinux-label"))
        if let c = try node.one("console") {
            try c.check(attributes: ["height", "width"])
            p.consoleSize = ConsoleSize(height: try c.reqInt("height"), width: try c.reqInt("width"))
        }
        guard let u = try node.one("user") else { throw SpecError(path: "\(node.path)/user", message: "missing <user>") }
        try u.check(attributes: ["uid", "gid", "umask", "username", "additional-gids"])
        let gids = try u.list("additional-gids")?.map { text -> UInt32 in
            guard let gid = UInt32(text) else { throw u.error("'\(text)' is not a gid", attribute: "additional-gids") }
            return gid
        }
        p.user = User(uid: try u.reqInt("uid"), gid: try u.reqInt("gid"), umask: try u.octal("umask"),
                      additionalGids: gids, username: u.str("username"))
        if let c = try node.one("capabilities") {
            try c.check(attributes: ["bounding", "effective", "inheritable", "permitted", "ambient"])
            p.capabilities = Capabilities(bounding: c.list("bounding"), effective: c.list("effective"),
                                          inheritable: c.list("inheritable"), permitted: c.list("permitted"), ambient: c.list("ambient"))
        }
        p.rlimits = try node.kids("rlimit").map { r in
            try r.check(attributes: ["type", "soft", "hard"])
            return Rlimit(type: try r.req("type"), soft: try r.reqInt("soft"), hard: try r.reqInt("hard"))
        }.nilIfEmpty
        if let io = try node.one("io-priority") {
            try io.check(attributes: ["class", "priority"])
            p.ioPriority = IOPriority(ioClass: try io.req("class"), priority: try io.reqInt("priority"))
        }
        if let s = try node.one("scheduler") {
            try s.check(attributes: ["policy", "nice", "priority", "flags", "runtime", "deadline", "period"])
            p.scheduler = Scheduler(policy: try s.req("policy"), nice: try s.int("nice"), priority: try s.int("priority"),
                                    flags: s.list("flags"), runtime: try s.int("runtime"), deadline: try s.int("deadline"),
                                    period: try s.int("period"))
        }
        if let a = try node.one("cpu-affinity") {
            try a.check(attributes: ["initial", "final"])
            p.execCPUAffinity = CPUAffinity(initial: a.str("initial"), final: a.str("final"))
        }
        return p
    }
}

extension Spec.Linux.Seccomp {
    static func read(_ node: XMLNode) throws -> Spec.Linux.Seccomp {
        try node.check(attributes: ["default-action", "default-errno", "architectures", "flags", "listener-path", "listener-metadata"],
                       children: ["syscall"])
        let syscalls = try node.kids("syscall").map { s in
            try s.check(attributes: ["names", "action", "errno"], children: ["arg"])
            let args = try s.kids("arg").map { a in
                try a.check(attributes: ["index", "value", "value-two", "op"])
                return Arg(index: try a.reqInt("index"), value: try a.reqInt("value"), valueTwo: try a.int("value-two"), op: try a.req("op"))
            }
            return Syscall(names: s.list("names") ?? [], action: try s.req("action"), errnoRet: try s.int("errno"), args: args.nilIfEmpty)
        }
        return Spec.Linux.Seccomp(defaultAction: try node.req("default-action"), defaultErrnoRet: try node.int("default-errno"),
                                  architectures: node.list("architectures"), flags: node.list("flags"),
                                  listenerPath: node.str("listener-path"), listenerMetadata: node.str("listener-metadata"),
                                  syscalls: syscalls.nilIfEmpty)
    }
}
