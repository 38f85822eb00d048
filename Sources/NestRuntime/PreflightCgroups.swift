import Glibc
import NestOCI

/// The limits this host's cgroups cannot hold, refused by their JSON path
/// before any cgroup is made: knobs only cgroup v1 has, controllers that
/// are not mounted, huge page sizes the kernel lacks. (What only a new
/// cgroup's files tell, such as the I/O scheduler's weights, the writer
/// refuses; the dirs it made are removed.)
extension Preflight {
    static let hugepagesDir = "/sys/kernel/mm/hugepages"

    /// `base` is the resources object's path (`linux.resources`; empty for
    /// an update's resources document).
    static func cgroupHost(_ l: CgroupLimits, _ cgroups: CgroupManager, base: String) -> [SpecError] {
        var errors: [SpecError] = []
        let dot = base.isEmpty ? "" : base + "."
        func refuse(_ field: String, _ message: String) { errors.append(SpecError(path: dot + field, message: message)) }
        let m = l.knobs
        let memoryV1 = cgroups.v1Root("memory")
        if m.swappiness != nil, memoryV1 == nil {
            refuse("memory.swappiness", "cgroup v2 has no per-cgroup swappiness")
        }
        if m.disableOOMKiller == true, memoryV1 == nil {
            refuse("memory.disableOOMKiller", "cgroup v2 cannot disable the OOM killer")
        }
        if let k = m.kernelTCP, k != -1, !(memoryV1.map { CgroupFS.exists($0 + "/memory.kmem.tcp.limit_in_bytes") } ?? false) {
            refuse("memory.kernelTCP", "this kernel has no kernel TCP memory limit (memory.kmem.tcp.limit_in_bytes)")
        }
        if cgroups.v1Root("blkio") == nil {
            if m.blkioLeafWeight != nil { refuse("blockIO.leafWeight", "cgroup v2 has no leaf weights") }
            if let i = m.weightDevices.firstIndex(where: { $0.leafWeight != nil }) {
                refuse("blockIO.weightDevice[\(i)].leafWeight", "cgroup v2 has no leaf weights")
            }
        }
        if !m.hugepages.isEmpty {
            if !cgroups.hasController("hugetlb") {
                refuse("hugepageLimits", "the hugetlb controller is not available on this host")
            }
            for (i, p) in m.hugepages.enumerated() {
                guard let kb = CgroupLimits.Hugepage.kilobytes(p.pageSize) else { continue }  // validation's
                if !CgroupFS.exists("\(hugepagesDir)/hugepages-\(kb)kB") {
                    refuse("hugepageLimits[\(i)].pageSize", "this host has no \(p.pageSize) huge pages (it has \(hostPageSizes().joined(separator: ", ")))")
                }
            }
        }
        if m.netClassID != nil, cgroups.v1Root("net_cls") == nil {
            refuse("network.classID", "the net_cls controller is not mounted (a cgroup v1 controller)")
        }
        if !m.netPriorities.isEmpty, cgroups.v1Root("net_prio") == nil {
            refuse("network.priorities", "the net_prio controller is not mounted (a cgroup v1 controller)")
        }
        return errors
    }

    /// The kernel's names of the huge page sizes in /sys/kernel/mm/hugepages.
    static func hostPageSizes() -> [String] {
        CgroupFS.subdirs(hugepagesDir).compactMap { name -> UInt64? in
            guard name.hasPrefix("hugepages-"), name.hasSuffix("kB") else { return nil }
            return UInt64(name.dropFirst(10).dropLast(2))
        }.sorted().map(CgroupLimits.Hugepage.kernelName(kilobytes:))
    }
}

extension CgroupManager {
    /// The mount dir of a v1 controller's hierarchy; nil when not mounted.
    func v1Root(_ controller: String) -> String? {
        hierarchies.first { !$0.isV2 && $0.controllers.contains(controller) }?.root
    }

    /// Whether a container can have `controller`: in a v1 hierarchy, or
    /// offered by the root of the v2 one.
    func hasController(_ controller: String) -> Bool {
        if v1Root(controller) != nil { return true }
        guard let v2 = hierarchies.first(where: { $0.isV2 }) else { return false }
        let available = CgroupFS.readTrimmed(Self.join(v2.root, "/") + "/cgroup.controllers") ?? ""
        return available.split(separator: " ").contains(Substring(controller))
    }
}
