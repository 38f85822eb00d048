import Glibc
import NestOCI
import NestSubsystem

/// The device cgroup: on v1 the rules are written to devices.deny and
/// devices.allow in order. (cgroup v2 needs an eBPF program; not yet.)
enum DeviceRules {
    static func apply(_ rules: [Spec.Linux.Resources.DeviceRule], to paths: CgroupPaths) throws {
        guard let dir = paths.dirs.first(where: { $0.split(separator: "/").contains("devices") }) else { return }
        // Each write is one rule; the two files are opened once each (a
        // path walk into cgroupfs per rule was most of the cost).
        var fds: [Bool: Int32] = [:]
        defer { fds.values.forEach { close($0) } }
        for rule in rules {
            let type = rule.type ?? "a"
            let major = rule.major.map(String.init) ?? "*"
            let minor = rule.minor.map(String.init) ?? "*"
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
        l.more = CgroupLimits.More(memory: memory, blockIO: blockIO, hugepages: hugepageLimits, network: network)
        l.unified = Dictionary(unified.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        return l
    }
}
