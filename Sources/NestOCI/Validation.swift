/// Static checks of the runtime-spec's MUSTs (and of values the kernel would
/// refuse later, half-way through creating the container). Every problem is
/// reported, each with its JSON path.
extension Spec {
    public func validate() -> [SpecError] {
        var check = Checker()
        check.version(ociVersion)
        check.root(root)
        for (i, mount) in (mounts ?? []).enumerated() {
            check.absolute(mount.destination, "mounts[\(i)].destination")
            if let source = mount.source { check.noNUL(source, "mounts[\(i)].source") }
            for (name, maps) in [("uidMappings", mount.uidMappings), ("gidMappings", mount.gidMappings)] {
                check.mappings(maps, "mounts[\(i)].\(name)")
            }
        }
        if let process { check.process(process, linux: linux) }
        let namespaces = check.namespaces(linux?.namespaces)
        for (field, value) in [("hostname", hostname), ("domainname", domainname)] {
            guard let value else { continue }
            // A joined UTS namespace takes the names too (set after the
            // join, as runc and crun do); only the host's own is refused.
            check.needsNamespace("uts", field, namespaces, joinedAllowed: true)
            check.noNUL(value, field)
        }
        if let hooks {
            for (kind, list) in hooks.all {
                for (i, hook) in list.enumerated() {
                    let path = "hooks.\(kind)[\(i)]"
                    check.absolute(hook.path, "\(path).path")
                    if let timeout = hook.timeout, timeout <= 0 {
                        check.add("\(path).timeout", "must be greater than zero, got \(timeout)")
                    }
                    check.environment(hook.env, "\(path).env")
                }
            }
        }
        if let annotations, annotations.keys.contains("") {
            check.add(JSONPath.member("annotations", ""), "key must not be empty")
        }
        if let linux { check.linux(linux, namespaces) }
        return check.problems
    }

    /// The spec itself, or `SpecErrors` with every problem `validate()` finds.
    public func validated() throws(SpecErrors) -> Spec {
        let problems = validate()
        guard problems.isEmpty else { throw SpecErrors(problems) }
        return self
    }
}

extension Spec.Process {
    /// The runtime-spec's MUSTs of a process on its own (an exec'd one),
    /// each problem with its path under `process`.
    public func validate() -> [SpecError] {
        var check = Checker()
        check.process(self, linux: nil)
        return check.problems
    }
}

extension Spec.Linux.Resources {
    /// The checks `Spec.validate()` makes of `linux.resources`, for a
    /// resources document of its own (`nest update --resources`): paths
    /// are relative to it (`memory.limit`).
    public func validate() -> [SpecError] {
        var check = Checker()
        check.resources(self, base: "")
        return check.problems
    }
}

/// Namespace type → its entry, first occurrence.
private typealias NamespaceIndex = [String: (index: Int, path: String?)]

private struct Checker {
    var problems: [SpecError] = []

    mutating func add(_ path: String, _ message: String) {
        problems.append(SpecError(path: path, message: message))
    }

    mutating func absolute(_ value: String, _ path: String) {
        if value.isEmpty {
            add(path, "must not be empty")
        } else if !value.hasPrefix("/") {
            add(path, "must be an absolute path, got \"\(value)\"")
        }
        noNUL(value, path)
    }

    mutating func noNUL(_ value: String, _ path: String) {
        if value.utf8.contains(0) { add(path, "must not contain a NUL character") }
    }

    mutating func oneOf(_ value: String, _ allowed: [String], _ path: String, _ what: String) {
        if !allowed.contains(value) {
            add(path, "unknown \(what) \"\(value)\"")
        }
    }

    mutating func version(_ version: String) {
        // MAJOR.MINOR.PATCH, optional -prerelease and +build (semver 2.0.0).
        var core = Substring(version)
        if let plus = core.firstIndex(of: "+") {
            let build = core[core.index(after: plus)...]
            if build.isEmpty || build.split(separator: ".", omittingEmptySubsequences: false).contains(where: { !Self.isIdentifier($0) }) {
                return add("ociVersion", "\"\(version)\" is not a semantic version (MAJOR.MINOR.PATCH)")
            }
            core = core[..<plus]
        }
        if let dash = core.firstIndex(of: "-") {
            let pre = core[core.index(after: dash)...]
            if pre.isEmpty || pre.split(separator: ".", omittingEmptySubsequences: false).contains(where: { !Self.isIdentifier($0) }) {
                return add("ociVersion", "\"\(version)\" is not a semantic version (MAJOR.MINOR.PATCH)")
            }
            core = core[..<dash]
        }
        let numbers = core.split(separator: ".", omittingEmptySubsequences: false)
        guard numbers.count == 3, numbers.allSatisfy({ Self.isNumber($0) }) else {
            return add("ociVersion", "\"\(version)\" is not a semantic version (MAJOR.MINOR.PATCH)")
        }
        if numbers[0] != "1" {
            add("ociVersion", "version \(version) is not supported (Nest reads 1.x)")
        }
    }

    private static func isNumber(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { (0x30...0x39).contains($0) } && (text == "0" || text.first != "0")
    }

    private static func isIdentifier(_ text: Substring) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy {
            (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || $0 == UInt8(ascii: "-")
        }
    }

    mutating func root(_ root: Spec.Root?) {
        guard let root else { return add("root", "is required on Linux") }
        if root.path.isEmpty { add("root.path", "must not be empty") }
        noNUL(root.path, "root.path")
    }

    mutating func mappings(_ maps: [Spec.IDMapping]?, _ path: String) {
        for (i, map) in (maps ?? []).enumerated() {
            if map.size == 0 { add("\(path)[\(i)].size", "must be greater than zero") }
            if UInt64(map.containerID) + UInt64(map.size) > 1 << 32 || UInt64(map.hostID) + UInt64(map.size) > 1 << 32 {
                add("\(path)[\(i)].size", "range ends beyond id 4294967295")
            }
        }
    }

    mutating func environment(_ env: [String]?, _ path: String) {
        for (i, entry) in (env ?? []).enumerated() {
            guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else {
                add("\(path)[\(i)]", "must have the form NAME=value, got \"\(entry)\"")
                continue
            }
            noNUL(entry, "\(path)[\(i)]")
        }
    }

    mutating func process(_ process: Spec.Process, linux: Spec.Linux?) {
        if (process.args ?? []).isEmpty {
            add("process.args", "must not be empty when process is given")
        }
        for (i, arg) in (process.args ?? []).enumerated() { noNUL(arg, "process.args[\(i)]") }
        if process.args?.first == "" { add("process.args[0]", "must not be empty") }
        absolute(process.cwd, "process.cwd")
        environment(process.env, "process.env")
        if process.consoleSize != nil, process.terminal != true {
            add("process.consoleSize", "requires process.terminal to be true")
        }
        if let umask = process.user.umask, umask > 0o7777 {
            add("process.user.umask", "must be at most 0o7777 (4095), got \(umask)")
        }
        if let capabilities = process.capabilities {
            for (set, names) in capabilities.all {
                for (i, name) in names.enumerated() where OCINames.capabilityNumber(name) == nil {
                    add("process.capabilities.\(set)[\(i)]", "unknown capability \"\(name)\"")
                }
            }
        }
        var seenRlimits: [String: Int] = [:]
        for (i, rlimit) in (process.rlimits ?? []).enumerated() {
            let path = "process.rlimits[\(i)]"
            if OCINames.rlimitNumber(rlimit.type) == nil {
                add("\(path).type", "unknown rlimit \"\(rlimit.type)\"")
            } else if let first = seenRlimits[rlimit.type] {
                add("\(path).type", "\(rlimit.type) is already set by process.rlimits[\(first)]")
            } else {
                seenRlimits[rlimit.type] = i
            }
            if rlimit.soft > rlimit.hard {
                add("\(path).soft", "soft limit \(rlimit.soft) exceeds hard limit \(rlimit.hard)")
            }
        }
        if let score = process.oomScoreAdj, !(-1000...1000).contains(score) {
            add("process.oomScoreAdj", "must be between -1000 and 1000, got \(score)")
        }
        if let io = process.ioPriority {
            oneOf(io.ioClass, OCINames.ioPriorityClasses, "process.ioPriority.class", "I/O priority class")
            if !(0...7).contains(io.priority) {
                add("process.ioPriority.priority", "must be between 0 and 7, got \(io.priority)")
            }
        }
        if let scheduler = process.scheduler {
            oneOf(scheduler.policy, OCINames.schedulerPolicies, "process.scheduler.policy", "scheduler policy")
            for (i, flag) in (scheduler.flags ?? []).enumerated() {
                oneOf(flag, OCINames.schedulerFlags, "process.scheduler.flags[\(i)]", "scheduler flag")
            }
            if let nice = scheduler.nice, !(-20...19).contains(nice) {
                add("process.scheduler.nice", "must be between -20 and 19, got \(nice)")
            }
            if let priority = scheduler.priority, ["SCHED_FIFO", "SCHED_RR"].contains(scheduler.policy),
                !(1...99).contains(priority)
            {
                add("process.scheduler.priority", "must be between 1 and 99 for \(scheduler.policy), got \(priority)")
            }
        }
        if let affinity = process.execCPUAffinity {
            for (name, list) in [("initial", affinity.initial), ("final", affinity.final)] {
                if let list, !Self.isCPUList(list) {
                    add("process.execCPUAffinity.\(name)", "\"\(list)\" is not a CPU list such as 0-3,7")
                }
            }
        }
    }

    /// "0-3,7": comma-separated numbers and ascending ranges.
    static func isCPUList(_ text: String) -> Bool {
        guard !text.isEmpty else { return false }
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count),
                bounds.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }),
                let low = Int(bounds[0]), let high = Int(bounds[bounds.count - 1]), low <= high
            else { return false }
        }
        return true
    }

    mutating func namespaces(_ list: [Spec.Linux.Namespace]?) -> NamespaceIndex {
        var index: NamespaceIndex = [:]
        for (i, namespace) in (list ?? []).enumerated() {
            let path = "linux.namespaces[\(i)]"
            if !OCINames.namespaceTypes.contains(namespace.type) {
                add("\(path).type", "unknown namespace type \"\(namespace.type)\"")
                continue
            }
            if let first = index[namespace.type] {
                add("\(path).type", "namespace \"\(namespace.type)\" is already listed as linux.namespaces[\(first.index)]")
                continue
            }
            if let nsPath = namespace.path { absolute(nsPath, "\(path).path") }
            index[namespace.type] = (i, namespace.path)
        }
        return index
    }

    /// `field` configures namespace `type`: it must be created by the
    /// container, not joined (the spec forbids changing a joined namespace).
    mutating func needsNamespace(_ type: String, _ field: String, _ namespaces: NamespaceIndex, joinedAllowed: Bool = false) {
        guard let entry = namespaces[type] else {
            return add(field, "requires a \(type) namespace in linux.namespaces")
        }
        if entry.path != nil, !joinedAllowed {
            add(field, "cannot be set when the \(type) namespace is joined (linux.namespaces[\(entry.index)].path)")
        }
    }

    mutating func linux(_ linux: Spec.Linux, _ namespaces: NamespaceIndex) {
        for (name, maps) in [("uidMappings", linux.uidMappings), ("gidMappings", linux.gidMappings)] {
            guard let maps else { continue }
            needsNamespace("user", "linux.\(name)", namespaces)
            mappings(maps, "linux.\(name)")
        }
        if let offsets = linux.timeOffsets {
            needsNamespace("time", "linux.timeOffsets", namespaces)
            for (clock, offset) in offsets.sorted(by: { $0.key < $1.key }) {
                let path = JSONPath.member("linux.timeOffsets", clock)
                oneOf(clock, OCINames.timeOffsetClocks, path, "clock")
                if let nanosecs = offset.nanosecs, nanosecs >= 1_000_000_000 {
                    add("\(path).nanosecs", "must be less than 1000000000, got \(nanosecs)")
                }
            }
        }
        for (i, device) in (linux.devices ?? []).enumerated() {
            let path = "linux.devices[\(i)]"
            oneOf(device.type, OCINames.deviceTypes, "\(path).type", "device type (c, b, u or p)")
            absolute(device.path, "\(path).path")
            if device.type != "p" {
                if device.major == nil { add("\(path).major", "is required for device type \"\(device.type)\"") }
                if device.minor == nil { add("\(path).minor", "is required for device type \"\(device.type)\"") }
            }
            if let mode = device.fileMode, mode > 0o7777 {
                add("\(path).fileMode", "must hold permission bits only (at most 0o7777), got \(mode)")
            }
        }
        if let netDevices = linux.netDevices {
            needsNamespace("network", "linux.netDevices", namespaces)
            for (host, device) in netDevices.sorted(by: { $0.key < $1.key }) {
                let path = JSONPath.member("linux.netDevices", host)
                if !Self.isInterfaceName(host) { add(path, "\"\(host)\" is not a valid interface name") }
                if let name = device.name, !Self.isInterfaceName(name) {
                    add("\(path).name", "\"\(name)\" is not a valid interface name")
                }
            }
        }
        if let cgroupsPath = linux.cgroupsPath {
            if cgroupsPath.split(separator: "/").contains("..") {
                add("linux.cgroupsPath", "must not contain \"..\" components, got \"\(cgroupsPath)\"")
            }
            noNUL(cgroupsPath, "linux.cgroupsPath")
        }
        if let resources = linux.resources { self.resources(resources) }
        for (key, _) in (linux.sysctl ?? [:]).sorted(by: { $0.key < $1.key }) {
            sysctl(key, namespaces)
        }
        if let seccomp = linux.seccomp { self.seccomp(seccomp) }
        if let propagation = linux.rootfsPropagation {
            oneOf(propagation, OCINames.rootfsPropagations, "linux.rootfsPropagation", "propagation")
        }
        for (name, list) in [("maskedPaths", linux.maskedPaths), ("readonlyPaths", linux.readonlyPaths)] {
            for (i, path) in (list ?? []).enumerated() { absolute(path, "linux.\(name)[\(i)]") }
        }
        if let personality = linux.personality {
            oneOf(personality.domain, OCINames.personalityDomains, "linux.personality.domain", "personality domain")
            for (i, flag) in (personality.flags ?? []).enumerated() {
                add("linux.personality.flags[\(i)]", "unknown personality flag \"\(flag)\" (the spec defines none)")
            }
        }
        if let rdt = linux.intelRdt {
            if let clos = rdt.closID, clos.isEmpty || clos == "." || clos == ".." || clos.contains("/") {
                add("linux.intelRdt.closID", "\"\(clos)\" is not a valid resctrl group name")
            }
            if let l3 = rdt.l3CacheSchema, !l3.hasPrefix("L3") {
                add("linux.intelRdt.l3CacheSchema", "must start with \"L3\"")
            }
            if let mb = rdt.memBwSchema, !mb.hasPrefix("MB:") || mb.contains("\n") {
                add("linux.intelRdt.memBwSchema", "must be one line starting with \"MB:\"")
            }
        }
        if let policy = linux.memoryPolicy {
            oneOf(policy.mode, OCINames.memoryPolicyModes, "linux.memoryPolicy.mode", "memory policy mode")
            for (i, flag) in (policy.flags ?? []).enumerated() {
                oneOf(flag, OCINames.memoryPolicyFlags, "linux.memoryPolicy.flags[\(i)]", "memory policy flag")
            }
            let needsNodes = ["MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_PREFERRED_MANY", "MPOL_WEIGHTED_INTERLEAVE"]
            if let nodes = policy.nodes, !nodes.isEmpty {
                if !Self.isCPUList(nodes) { add("linux.memoryPolicy.nodes", "\"\(nodes)\" is not a node list such as 0-3,7") }
                if ["MPOL_DEFAULT", "MPOL_LOCAL"].contains(policy.mode) {
                    add("linux.memoryPolicy.nodes", "must be empty for \(policy.mode)")
                }
            } else if needsNodes.contains(policy.mode) {
                add("linux.memoryPolicy.nodes", "is required for \(policy.mode)")
            }
        }
    }

    static func isInterfaceName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count < 16 && name != "." && name != ".."
            && !name.utf8.contains { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: ":") || $0 <= 0x20 }
    }

    /// `base` is where the object is (`linux.resources`; empty for a
    /// resources document of its own).
    mutating func resources(_ resources: Spec.Linux.Resources, base: String = "linux.resources") {
        let dot = base.isEmpty ? "" : base + "."
        for (i, rule) in (resources.devices ?? []).enumerated() {
            if let type = rule.type {
                oneOf(type, OCINames.deviceRuleTypes, "\(dot)devices[\(i)].type", "device rule type (a, c or b)")
            }
            if let access = rule.access, access.isEmpty || !access.allSatisfy({ "rwm".contains($0) }) {
                add("\(dot)devices[\(i)].access", "must be letters of \"rwm\", got \"\(access)\"")
            }
        }
        if let memory = resources.memory {
            let fields: [(String, Int64?)] = [
                ("limit", memory.limit), ("reservation", memory.reservation), ("swap", memory.swap),
                ("kernel", memory.kernel), ("kernelTCP", memory.kernelTCP),
            ]
            for (name, value) in fields {
                if let value, value < -1 {
                    add("\(dot)memory.\(name)", "must be a number of bytes or -1 (unlimited), got \(value)")
                }
            }
            if let swap = memory.swap, swap > 0 {
                if let limit = memory.limit, limit > 0 {
                    if swap < limit {
                        add("\(dot)memory.swap", "memory+swap limit \(swap) is below memory.limit \(limit)")
                    }
                } else {
                    add("\(dot)memory.swap", "requires a positive memory.limit")
                }
            }
            if let swappiness = memory.swappiness, swappiness > 100 {
                add("\(dot)memory.swappiness", "must be between 0 and 100, got \(swappiness)")
            }
        }
        if let cpu = resources.cpu {
            if let shares = cpu.shares, shares != 0, !(2...262_144).contains(shares) {
                add("\(dot)cpu.shares", "must be between 2 and 262144, got \(shares)")
            }
            if let quota = cpu.quota, quota < -1 || (quota > 0 && quota < 1000) {
                add("\(dot)cpu.quota", "must be at least 1000 microseconds or -1 (unlimited), got \(quota)")
            }
            if let period = cpu.period, period != 0, !(1000...1_000_000).contains(period) {
                add("\(dot)cpu.period", "must be between 1000 and 1000000 microseconds, got \(period)")
            }
            if let burst = cpu.burst, burst > 0 {
                if let quota = cpu.quota, quota > 0, burst > UInt64(quota) {
                    add("\(dot)cpu.burst", "must not exceed cpu.quota \(quota), got \(burst)")
                }
            }
            for (name, list) in [("cpus", cpu.cpus), ("mems", cpu.mems)] {
                if let list, !list.isEmpty, !Self.isCPUList(list) {
                    add("\(dot)cpu.\(name)", "\"\(list)\" is not a list such as 0-3,7")
                }
            }
            if let idle = cpu.idle, idle != 0, idle != 1 {
                add("\(dot)cpu.idle", "must be 0 or 1, got \(idle)")
            }
        }
        if let blockIO = resources.blockIO {
            func weight(_ value: UInt16?, _ path: String, _ checker: inout Checker) {
                if let value, value != 0, !(10...1000).contains(value) {
                    checker.add(path, "must be between 10 and 1000, got \(value)")
                }
            }
            weight(blockIO.weight, "\(dot)blockIO.weight", &self)
            weight(blockIO.leafWeight, "\(dot)blockIO.leafWeight", &self)
            for (i, device) in (blockIO.weightDevice ?? []).enumerated() {
                weight(device.weight, "\(dot)blockIO.weightDevice[\(i)].weight", &self)
                weight(device.leafWeight, "\(dot)blockIO.weightDevice[\(i)].leafWeight", &self)
            }
        }
        var pageSizes: [String: Int] = [:]
        for (i, limit) in (resources.hugepageLimits ?? []).enumerated() {
            let path = "\(dot)hugepageLimits[\(i)].pageSize"
            let size = limit.pageSize
            let digits = size.prefix { $0.isASCII && $0.isNumber }
            if digits.isEmpty || !["KB", "MB", "GB"].contains(String(size.dropFirst(digits.count))) {
                add(path, "\"\(size)\" is not a page size such as 2MB or 1GB")
            } else if let first = pageSizes[size] {
                add(path, "\(size) is already limited by \(dot)hugepageLimits[\(first)]")
            } else {
                pageSizes[size] = i
            }
        }
        for (i, priority) in (resources.network?.priorities ?? []).enumerated() where !Self.isInterfaceName(priority.name) {
            add("\(dot)network.priorities[\(i)].name", "\"\(priority.name)\" is not a valid interface name")
        }
        for (key, _) in (resources.unified ?? [:]).sorted(by: { $0.key < $1.key }) {
            if key.isEmpty || key.contains("/") || key == "." || key == ".." || key.utf8.contains(0) {
                add(JSONPath.member("\(dot)unified", key), "must be a cgroup file name")
            }
        }
    }

    /// Only namespaced sysctls may be set: anything else would change the host.
    mutating func sysctl(_ key: String, _ namespaces: NamespaceIndex) {
        let path = JSONPath.member("linux.sysctl", key)
        let name = key.replacingSlashes()
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard !key.isEmpty, parts.allSatisfy({ !$0.isEmpty }), !key.hasPrefix("/"),
            key.utf8.allSatisfy({ (0x21...0x7E).contains($0) })
        else {
            return add(path, "\"\(key)\" is not a valid sysctl name")
        }
        let ipc: Set<String> = [
            "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall", "kernel.shmmax",
            "kernel.shmmni", "kernel.shm_rmid_forced",
        ]
        if ipc.contains(name) || name.hasPrefix("fs.mqueue.") {
            if namespaces["ipc"] == nil { add(path, "requires an ipc namespace in linux.namespaces") }
        } else if name.hasPrefix("net.") {
            if namespaces["network"] == nil { add(path, "requires a network namespace in linux.namespaces") }
        } else if name == "kernel.hostname" || name == "kernel.domainname" {
            if namespaces["uts"] == nil { add(path, "requires a uts namespace in linux.namespaces") }
        } else {
            add(path, "\(name) is not namespaced: setting it would change the host")
        }
    }

    mutating func seccomp(_ seccomp: Spec.Linux.Seccomp) {
        let base = "linux.seccomp"
        let errnoActions = ["SCMP_ACT_ERRNO", "SCMP_ACT_TRACE"]
        oneOf(seccomp.defaultAction, OCINames.seccompActions, "\(base).defaultAction", "seccomp action")
        if seccomp.defaultAction == "SCMP_ACT_NOTIFY" {
            add("\(base).defaultAction", "SCMP_ACT_NOTIFY cannot be the default action")
        }
        if seccomp.defaultErrnoRet != nil, !errnoActions.contains(seccomp.defaultAction) {
            add("\(base).defaultErrnoRet", "is only allowed with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not \(seccomp.defaultAction)")
        }
        for (i, arch) in (seccomp.architectures ?? []).enumerated() {
            oneOf(arch, OCINames.seccompArchitectures, "\(base).architectures[\(i)]", "seccomp architecture")
        }
        for (i, flag) in (seccomp.flags ?? []).enumerated() {
            oneOf(flag, OCINames.seccompFlags, "\(base).flags[\(i)]", "seccomp flag")
        }
        if let listener = seccomp.listenerPath { absolute(listener, "\(base).listenerPath") }
        var usesNotify = false
        for (i, rule) in (seccomp.syscalls ?? []).enumerated() {
            let path = "\(base).syscalls[\(i)]"
            if rule.names.isEmpty { add("\(path).names", "must name at least one syscall") }
            for (j, name) in rule.names.enumerated() where name.isEmpty {
                add("\(path).names[\(j)]", "must not be empty")
            }
            oneOf(rule.action, OCINames.seccompActions, "\(path).action", "seccomp action")
            if rule.action == "SCMP_ACT_NOTIFY" { usesNotify = true }
            if rule.errnoRet != nil, !errnoActions.contains(rule.action) {
                add("\(path).errnoRet", "is only allowed with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not \(rule.action)")
            }
            for (j, arg) in (rule.args ?? []).enumerated() {
                if arg.index > 5 { add("\(path).args[\(j)].index", "must be between 0 and 5, got \(arg.index)") }
                oneOf(arg.op, OCINames.seccompOperators, "\(path).args[\(j)].op", "seccomp operator")
            }
        }
        if usesNotify, seccomp.listenerPath == nil {
            add("\(base).listenerPath", "is required when a rule uses SCMP_ACT_NOTIFY")
        }
    }
}

extension String {
    /// sysctl names may be written net/ipv4/ip_forward or net.ipv4.ip_forward.
    fileprivate func replacingSlashes() -> String {
        String(map { $0 == "/" ? "." : $0 })
    }
}
