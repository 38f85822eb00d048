import NestOCI

extension ContainerConfig {
    func xmlElements() -> [XMLElement] {
        var out: [XMLElement] = []
        for ns in namespaces {
            var e = XMLElement("namespace", [("type", ns.type)])
            e.set("path", ns.path)
            out.append(e)
        }
        out += idMaps(uid: uidMappings, gid: gidMappings)
        for t in timeOffsets {
            out.append(XMLElement("time-offset", [("clock", t.clock), ("secs", String(t.secs)), ("nanosecs", String(t.nanosecs))]))
        }
        for s in sysctl { out.append(XMLElement("sysctl", [("key", s.key), ("value", s.value)])) }
        for d in netDevices {
            var e = XMLElement("net-device", [("host", d.hostName)])
            e.set("name", d.name)
            out.append(e)
        }
        if let p = personality {
            var e = XMLElement("personality", [("domain", p.domain)])
            e.set("flags", list: p.flags)
            out.append(e)
        }
        if let m = memoryPolicy {
            var e = XMLElement("memory-policy", [("mode", m.mode)])
            e.set("nodes", m.nodes)
            e.set("flags", list: m.flags)
            out.append(e)
        }
        if let r = intelRdt {
            var e = XMLElement("intel-rdt")
            e.set("clos-id", r.closID)
            e.set("l3-cache-schema", r.l3CacheSchema)
            e.set("mem-bw-schema", r.memBwSchema)
            e.set("enable-monitoring", r.enableMonitoring)
            e.set("enable-cmt", r.enableCMT)
            e.set("enable-mbm", r.enableMBM)
            e.add(values: r.schemata, as: "schema")
            out.append(e)
        }
        if let process { out.append(process.xmlElement()) }
        if let seccomp { out.append(seccomp.xmlElement()) }
        for h in hooks {
            var e = XMLElement("hook", [("kind", h.kind), ("path", h.hook.path)])
            e.set("timeout", h.hook.timeout)
            e.add(values: h.hook.args, as: "arg")
            e.add(values: h.hook.env, as: "env")
            out.append(e)
        }
        return out
    }
}

extension Spec.Process {
    func xmlElement() -> XMLElement {
        var e = XMLElement("process", [("cwd", cwd)])
        e.set("terminal", terminal)
        e.set("no-new-privileges", noNewPrivileges)
        e.set("oom-score-adj", oomScoreAdj)
        e.set("apparmor-profile", apparmorProfile)
        e.set("selinux-label", selinuxLabel)
        e.set("command-line", commandLine)
        if let c = consoleSize { e.children.append(XMLElement("console", [("height", String(c.height)), ("width", String(c.width))])) }
        var u = XMLElement("user", [("uid", String(user.uid)), ("gid", String(user.gid))])
        u.set("umask", octal: user.umask)
        u.set("username", user.username)
        u.set("additional-gids", list: user.additionalGids?.map(String.init))
        e.children.append(u)
        e.add(values: args, as: "arg")
        e.add(values: env, as: "env")
        if let caps = capabilities {
            var c = XMLElement("capabilities")
            for (set, names) in caps.all { c.set(set, list: names) }
            e.children.append(c)
        }
        for r in rlimits ?? [] {
            e.children.append(XMLElement("rlimit", [("type", r.type), ("soft", String(r.soft)), ("hard", String(r.hard))]))
        }
        if let io = ioPriority {
            e.children.append(XMLElement("io-priority", [("class", io.ioClass), ("priority", String(io.priority))]))
        }
        if let s = scheduler {
            var se = XMLElement("scheduler", [("policy", s.policy)])
            se.set("nice", s.nice)
            se.set("priority", s.priority)
            se.set("flags", list: s.flags)
            se.set("runtime", s.runtime)
            se.set("deadline", s.deadline)
            se.set("period", s.period)
            e.children.append(se)
        }
        if let a = execCPUAffinity {
            var ae = XMLElement("cpu-affinity")
            ae.set("initial", a.initial)
            ae.set("final", a.final)
            e.children.append(ae)
        }
        return e
    }
}

extension Spec.Linux.Seccomp {
    func xmlElement() -> XMLElement {
        var e = XMLElement("seccomp", [("default-action", defaultAction)])
        e.set("default-errno", defaultErrnoRet)
        e.set("architectures", list: architectures)
        e.set("flags", list: flags)
        e.set("listener-path", listenerPath)
        e.set("listener-metadata", listenerMetadata)
        for s in syscalls ?? [] {
            var se = XMLElement("syscall", [("names", s.names.joined(separator: " ")), ("action", s.action)])
            se.set("errno", s.errnoRet)
            for a in s.args ?? [] {
                var ae = XMLElement("arg", [("index", String(a.index)), ("value", String(a.value))])
                ae.set("value-two", a.valueTwo)
                ae.set("op", a.op)
                se.children.append(ae)
            }
            e.children.append(se)
        }
        return e
    }
}
