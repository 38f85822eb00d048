import NestOCI

// Quotas are Genode-style <resource> nodes of the nest-init start node:
// RAM, CPU, PIDS, IO, HUGETLB, NET, RDMA, UNIFIED, DEVICES, and the cgroup
// they are realized in.
typealias Res = Spec.Linux.Resources

extension Quota {
    func xmlElements() -> [XMLElement] {
        var out = [XMLElement("cgroup", [("path", cgroupsPath)])]
        if let m = memory {
            var e = XMLElement("resource", [("name", "RAM")])
            e.set("limit", m.limit)
            e.set("reservation", m.reservation)
            e.set("swap", m.swap)
            e.set("kernel", m.kernel)
            e.set("kernel-tcp", m.kernelTCP)
            e.set("swappiness", m.swappiness)
            e.set("disable-oom-killer", m.disableOOMKiller)
            e.set("use-hierarchy", m.useHierarchy)
            e.set("check-before-update", m.checkBeforeUpdate)
            out.append(e)
        }
        if let c = cpu {
            var e = XMLElement("resource", [("name", "CPU")])
            e.set("shares", c.shares)
            e.set("quota", c.quota)
            e.set("burst", c.burst)
            e.set("period", c.period)
            e.set("realtime-runtime", c.realtimeRuntime)
            e.set("realtime-period", c.realtimePeriod)
            e.set("cpus", c.cpus)
            e.set("mems", c.mems)
            e.set("idle", c.idle)
            out.append(e)
        }
        if let p = pids {
            var e = XMLElement("resource", [("name", "PIDS")])
            e.set("limit", p.limit)
            out.append(e)
        }
        if let b = blockIO {
            var e = XMLElement("resource", [("name", "IO")])
            e.set("weight", b.weight)
            e.set("leaf-weight", b.leafWeight)
            for w in b.weightDevice ?? [] {
                var we = XMLElement("weight-device", [("major", String(w.major)), ("minor", String(w.minor))])
                we.set("weight", w.weight)
                we.set("leaf-weight", w.leafWeight)
                e.children.append(we)
            }
            let throttles: [(String, [Res.BlockIO.ThrottleDevice]?)] = [
                ("read-bps", b.throttleReadBpsDevice), ("write-bps", b.throttleWriteBpsDevice),
                ("read-iops", b.throttleReadIOPSDevice), ("write-iops", b.throttleWriteIOPSDevice)]
            for (kind, list) in throttles {
                for t in list ?? [] {
                    e.children.append(XMLElement("throttle", [("kind", kind), ("major", String(t.major)),
                                                              ("minor", String(t.minor)), ("rate", String(t.rate))]))
                }
            }
            out.append(e)
        }
        for h in hugepageLimits {
            out.append(XMLElement("resource", [("name", "HUGETLB"), ("page-size", h.pageSize), ("limit", String(h.limit))]))
        }
        if let n = network {
            var e = XMLElement("resource", [("name", "NET")])
            e.set("class-id", n.classID)
            for p in n.priorities ?? [] {
                e.children.append(XMLElement("priority", [("interface", p.name), ("value", String(p.priority))]))
            }
            out.append(e)
        }
        for r in rdma {
            var e = XMLElement("resource", [("name", "RDMA"), ("device", r.device)])
            e.set("hca-handles", r.hcaHandles)
            e.set("hca-objects", r.hcaObjects)
            out.append(e)
        }
        for u in unified {
            out.append(XMLElement("resource", [("name", "UNIFIED"), ("key", u.key), ("value", u.value)]))
        }
        if !devices.isEmpty {
            var e = XMLElement("resource", [("name", "DEVICES")])
            for d in devices {
                var de = XMLElement(d.allow ? "allow" : "deny")
                de.set("type", d.type)
                de.set("major", d.major)
                de.set("minor", d.minor)
                de.set("access", d.access)
                e.children.append(de)
            }
            out.append(e)
        }
        return out
    }

    /// Reads the <cgroup> and <resource> children of a start node.
    static func read(_ start: XMLNode) throws -> Quota {
        guard let cg = try start.one("cgroup") else {
            throw SpecError(path: "\(start.path)/cgroup", message: "a nest-init start node needs <cgroup path=...>")
        }
        try cg.check(attributes: ["path"])
        var q = Quota(cgroupsPath: try cg.req("path"))
        var seen: Set<String> = []
        for r in start.kids("resource") {
            let name = try r.req("name")
            if ["RAM", "CPU", "PIDS", "IO", "NET", "DEVICES"].contains(name) {
                if seen.contains(name) { throw r.error("resource \(name) given twice") }
                seen.insert(name)
            }
            switch name {
            case "RAM":
                try r.check(attributes: ["name", "limit", "reservation", "swap", "kernel", "kernel-tcp", "swappiness",
                                         "disable-oom-killer", "use-hierarchy", "check-before-update"])
                q.memory = Res.Memory(limit: try r.int("limit"), reservation: try r.int("reservation"), swap: try r.int("swap"),
                                      kernel: try r.int("kernel"), kernelTCP: try r.int("kernel-tcp"),
                                      swappiness: try r.int("swappiness"), disableOOMKiller: try r.bool("disable-oom-killer"),
                                      useHierarchy: try r.bool("use-hierarchy"), checkBeforeUpdate: try r.bool("check-before-update"))
            case "CPU":
                try r.check(attributes: ["name", "shares", "quota", "burst", "period", "realtime-runtime", "realtime-period",
                                         "cpus", "mems", "idle"])
                q.cpu = Res.CPU(shares: try r.int("shares"), quota: try r.int("quota"), burst: try r.int("burst"),
                                period: try r.int("period"), realtimeRuntime: try r.int("realtime-runtime"),
                                realtimePeriod: try r.int("realtime-period"), cpus: r.str("cpus"), mems: r.str("mems"),
                                idle: try r.int("idle"))
            case "PIDS":
                try r.check(attributes: ["name", "limit"])
                q.pids = Res.Pids(limit: try r.int("limit"))
            case "IO":
                try r.check(attributes: ["name", "weight", "leaf-weight"], children: ["weight-device", "throttle"])
                var b = Res.BlockIO(weight: try r.int("weight"), leafWeight: try r.int("leaf-weight"))
                b.weightDevice = try r.kids("weight-device").map { w in
                    try w.check(attributes: ["major", "minor", "weight", "leaf-weight"])
                    return Res.BlockIO.WeightDevice(major: try w.reqInt("major"), minor: try w.reqInt("minor"),
                                                    weight: try w.int("weight"), leafWeight: try w.int("leaf-weight"))
                }.nilIfEmpty
                for t in r.kids("throttle") {
                    try t.check(attributes: ["kind", "major", "minor", "rate"])
                    let dev = Res.BlockIO.ThrottleDevice(major: try t.reqInt("major"), minor: try t.reqInt("minor"), rate: try t.reqInt("rate"))
                    switch try t.req("kind") {
                    case "read-bps": b.throttleReadBpsDevice = (b.throttleReadBpsDevice ?? []) + [dev]
                    case "write-bps": b.throttleWriteBpsDevice = (b.throttleWriteBpsDevice ?? []) + [dev]
                    case "read-iops": b.throttleReadIOPSDevice = (b.throttleReadIOPSDevice ?? []) + [dev]
                    case "write-iops": b.throttleWriteIOPSDevice = (b.throttleWriteIOPSDevice ?? []) + [dev]
                    case let other: throw t.error("unknown throttle kind '\(other)'", attribute: "kind")
                    }
                }
                q.blockIO = b
            case "HUGETLB":
                try r.check(attributes: ["name", "page-size", "limit"])
                q.hugepageLimits.append(Res.HugepageLimit(pageSize: try r.req("page-size"), limit: try r.reqInt("limit")))
            case "NET":
                try r.check(attributes: ["name", "class-id"], children: ["priority"])
                q.network = Res.Network(classID: try r.int("class-id"), priorities: try r.kids("priority").map { p in
                    try p.check(attributes: ["interface", "value"])
                    return Res.Network.Priority(name: try p.req("interface"), priority: try p.reqInt("value"))
                }.nilIfEmpty)
            case "RDMA":
                try r.check(attributes: ["name", "device", "hca-handles", "hca-objects"])
                q.rdma.append(RdmaLimit(device: try r.req("device"), hcaHandles: try r.int("hca-handles"), hcaObjects: try r.int("hca-objects")))
            case "UNIFIED":
                try r.check(attributes: ["name", "key", "value"])
                q.unified.append(KeyValue(try r.req("key"), try r.req("value")))
            case "DEVICES":
                try r.check(attributes: ["name"], children: ["allow", "deny"])
                for d in r.element.children {
                    let node = XMLNode(d, path: "\(r.path)/\(d.name)")
                    try node.check(attributes: ["type", "major", "minor", "access"])
                    q.devices.append(Res.DeviceRule(allow: d.name == "allow", type: node.str("type"), major: try node.int("major"),
                                                    minor: try node.int("minor"), access: node.str("access")))
                }
            default:
                throw r.error("unknown resource '\(name)'", attribute: "name")
            }
        }
        return q
    }
}

extension Array {
    var nilIfEmpty: [Element]? { isEmpty ? nil : self }
}
