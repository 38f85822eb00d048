import Glibc
import NestOCI
import NestSubsystem

/// The device cgroup. With a v1 devices hierarchy the rules are written to
/// its devices.deny and devices.allow in order; without one (pure v2, or a
/// hybrid host whose v1 hierarchies lack devices) they become an eBPF
/// program on the v2 dir. A hybrid host that has both gets the v1 rules
/// only: the kernel would run both checks, and the v1 one already decides.
enum DeviceRules {
    /// Returns a warning when the rules could not be enforced and need not
    /// be: an unprivileged user's container, whose user namespace already
    /// keeps it from making device nodes, may not load a cgroup program.
    static func apply(_ rules: [Spec.Linux.Resources.DeviceRule], to paths: CgroupPaths, in manager: CgroupManager,
                      unprivileged: Bool) throws(RuntimeError) -> String? {
        let field = "linux.resources.devices"
        if let dir = zip(manager.hierarchies, paths.dirs).first(where: { $0.0.controllers.contains("devices") })?.1 {
            do { try writeV1(rules, dir: dir) } catch { throw .invalidArgument(error.description, field: field) }
            return nil
        }
        guard let dir = paths.unifiedDir else {
            throw .invalidArgument("neither a v1 devices cgroup nor a cgroup v2 hierarchy is mounted to enforce the rules in", field: field)
        }
        let program = try DeviceProgram.rules(rules)
        do {
            try DeviceProgram.attach(program, to: dir)
        } catch {
            if unprivileged && error.errno == EPERM {
                return "\(field): not enforced by the cgroup (\(error)); the user namespace keeps the container from making device nodes"
            }
            throw .invalidArgument(error.description, field: field)
        }
        return nil
    }

    static func writeV1(_ rules: [Spec.Linux.Resources.DeviceRule], dir: String) throws(CgroupError) {
        // Each write is one rule; the two files are opened once each (a
        // path walk into cgroupfs per rule was most of the cost).
        var fds: [Bool: Int32] = [:]
        defer { fds.values.forEach { close($0) } }
        for rule in rules {
            let type = rule.type ?? "a"
            // -1 is "any", as runc reads it (and the v2 program).
            let major = rule.major.map { $0 == -1 ? "*" : String($0) } ?? "*"
            let minor = rule.minor.map { $0 == -1 ? "*" : String($0) } ?? "*"
            let line = "\(type) \(major):\(minor) \(rule.access ?? "rwm")"
            let file = dir + "/" + (rule.allow ? "devices.allow" : "devices.deny")
            let fd: Int32
            if let open = fds[rule.allow] {
                fd = open
            } else {
                fd = Glibc.open(file, O_WRONLY | O_CLOEXEC)
                guard fd >= 0 else { throw CgroupError(path: file, message: "\(file): \(Sys.errorText())", errno: errno) }
                fds[rule.allow] = fd
            }
            let n = line.withCString { write(fd, $0, strlen($0)) }
            if n < 0 { throw CgroupError(path: file, message: "devices \(line): \(Sys.errorText())", errno: errno) }
        }
    }
}

extension Quota {
    var limits: CgroupLimits {
        var l = CgroupLimits()
        l.memoryLimit = memory?.limit
        l.memoryReservation = memory?.reservation
        l.memorySwap = memory?.swap
        // Shares and blkio weight 0 ask for nothing (runc and crun skip them;
        // Docker always sends both): written, the kernel would clamp shares to
        // the least weight, 2, and refuse the weight.
        l.cpuShares = cpu?.shares == 0 ? nil : cpu?.shares
        l.cpuQuota = cpu?.quota
        l.cpuPeriod = cpu?.period
        l.cpus = cpu?.cpus
        l.mems = cpu?.mems
        l.pidsLimit = pids?.limit
        l.blkioWeight = blockIO?.weight == 0 ? nil : blockIO?.weight
        l.knobs = CgroupLimits.Knobs(memory: memory, blockIO: blockIO, hugepages: hugepageLimits, network: network)
        l.unified = Dictionary(unified.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        return l
    }
}
