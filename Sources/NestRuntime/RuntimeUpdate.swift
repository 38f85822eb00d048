import Glibc
import NestOCI
import NestSubsystem

// update: new limits written to a live container's cgroups, and recorded in
// its state; ps: the processes of its cgroups.

extension Runtime {
    /// The pids of a container's processes: those of its cgroups (see
    /// `kill --all`); none once it has stopped.
    public func pids(id: String) throws(RuntimeError) -> [Int32] {
        try Self.validate(id: id)
        let record = try self.record(id)
        guard let cgroups, try status(record).status != "stopped" else { return [] }
        return Self.containerPids(record, cgroups)
    }

    /// Changes the limits of a created, running or paused container: each
    /// field `resources` sets replaces the one in force (runc's `update`).
    /// Errors name the field, relative to the resources document
    /// (`memory.limit`); when one is refused (by a check, or by the kernel)
    /// the limits in force stay as they were. Returns the new state, whose
    /// `resources` are the limits now in force.
    @discardableResult
    public func update(id: String, resources update: Spec.Linux.Resources) throws(RuntimeError) -> ContainerStatus {
        try Self.validate(id: id)
        // One at a time: each reads the limits in force and records new ones.
        return try updates.withLock { _ throws(RuntimeError) in try updateLocked(id: id, update) }
    }

    private func updateLocked(id: String, _ update: Spec.Linux.Resources) throws(RuntimeError) -> ContainerStatus {
        // From the file, not the cache: another process may have updated it.
        var record = try store.load(id)
        let current = try status(record)
        guard ["created", "running", "paused"].contains(current.status) else {
            throw .invalidState(id: id, state: current.status, wanted: "created, running or paused")
        }
        if let first = Self.unappliable(update).first { throw .invalidArgument(first.message, field: first.path) }
        var asked = CgroupLimits(update)
        let before = record.resources.map(CgroupLimits.init) ?? CgroupLimits()
        // Unlimited memory lifts a swap limit with it (as the v1 writer does).
        if asked.memoryLimit == -1, asked.memorySwap == nil, let swap = before.memorySwap, swap > 0 { asked.memorySwap = -1 }
        let after = before.overridden(by: asked)
        var problems = (after.resources ?? Spec.Linux.Resources()).validate()
        // The swap limit in force, below a new memory limit: the memory
        // limit is what was asked for.
        if update.memory?.swap == nil, let limit = update.memory?.limit {
            problems = problems.map { p in
                p.path == "memory.swap" ? SpecError(path: "memory.limit", message: "\(limit) is above the memory+swap limit in force (\(after.memorySwap ?? 0)); give memory.swap too") : p
            }
        }
        if !problems.isEmpty { throw .invalidSpec(problems) }
        guard let cgroups else { throw .system("no cgroup hierarchy is mounted") }
        if let first = Preflight.cgroupHost(asked, cgroups, base: "").first { throw .invalidArgument(first.message, field: first.path) }
        if update.memory?.checkBeforeUpdate == true, let limit = asked.memoryLimit, limit > 0,
           let usage = Self.memoryUsage(record.cgroups), usage > limit {
            throw .invalidArgument("\(limit) is below the container's memory usage (\(usage) bytes) and memory.checkBeforeUpdate is set", field: "memory.limit")
        }
        // Values the kernel's files hold together: on cgroup v2 the swap
        // file holds swap alone (memory+swap less memory), so the memory
        // limit in force goes with a new swap limit; cpu.max holds quota and
        // period, so the one not asked for keeps its value.
        var delta = asked
        if asked.memorySwap != nil, asked.memoryLimit == nil { delta.memoryLimit = before.memoryLimit }
        if asked.cpuQuota != nil, asked.cpuPeriod == nil { delta.cpuPeriod = before.cpuPeriod }
        if asked.cpuPeriod != nil, asked.cpuQuota == nil { delta.cpuQuota = before.cpuQuota }
        do {
            try cgroups.update(record.cgroups, limits: delta)
        } catch let e as CgroupError {
            throw .invalidArgument(e.message + "; the limits in force are unchanged", field: Self.field(of: e, update))
        } catch {
            throw .system("update \(id): \(error)")
        }
        record.resources = after.resources
        do {
            try store.save(record)
        } catch {
            // The cgroups hold the new limits: the record must say so, or
            // the next update would validate against the old ones.
            throw .system("update \(id): the new limits are in force but could not be recorded: \(error)")
        }
        records.withLock { $0[id] = record }
        return try status(record)
    }

    /// A resources document (`nest update --resources FILE`, `-` for
    /// stdin): an OCI `linux.resources` object. Errors name the field.
    public static func readResources(path: String) throws(RuntimeError) -> Spec.Linux.Resources {
        let bytes: [UInt8]
        if path == "-" {
            guard let read = try Sys.readExisting("/dev/stdin") else { throw .invalidArgument("stdin cannot be read", field: "--resources") }
            bytes = read
        } else {
            do { bytes = try BundleLoader.readFile(path) } catch {
                throw .invalidArgument(error.message, field: "--resources")
            }
        }
        do {
            return try Spec.Linux.Resources(json: JSONReader.parse(bytes))
        } catch {
            throw .invalidSpec([error])
        }
    }

    /// What the cgroup writer would not apply: what create refuses too
    /// (Preflight), and device rules, which a live container keeps.
    static func unappliable(_ r: Spec.Linux.Resources) -> [SpecError] {
        let rdma = (r.rdma ?? [:]).sorted { $0.key < $1.key }.map { RdmaLimit(device: $0.key, hcaHandles: $0.value.hcaHandles, hcaObjects: $0.value.hcaObjects) }
        let quota = Quota(cgroupsPath: "", memory: r.memory, cpu: r.cpu, pids: r.pids, blockIO: r.blockIO,
                          hugepageLimits: r.hugepageLimits ?? [], network: r.network, rdma: rdma)
        var errors = Preflight.unsupported(quota).map { e in
            SpecError(path: e.path.hasPrefix("linux.resources.") ? String(e.path.dropFirst(16)) : e.path, message: e.message)
        }
        if !(r.devices ?? []).isEmpty {
            errors.append(SpecError(path: "devices", message: "the device rules of a created container cannot be changed"))
        }
        return errors
    }

    /// The field of the resources document behind a file the kernel refused.
    static func field(of e: CgroupError, _ update: Spec.Linux.Resources) -> String {
        let file = CgroupFS.lastPathComponent(e.path)
        if let unified = update.unified, unified[file] != nil { return JSONPath.member("unified", file) }
        switch file {
        case "memory.limit_in_bytes", "memory.max": return "memory.limit"
        case "memory.memsw.limit_in_bytes", "memory.swap.max": return "memory.swap"
        case "memory.soft_limit_in_bytes", "memory.low": return "memory.reservation"
        case "cpu.shares", "cpu.weight": return "cpu.shares"
        case "cpu.cfs_quota_us": return "cpu.quota"
        case "cpu.cfs_period_us": return "cpu.period"
        case "cpu.max": return update.cpu?.quota != nil ? "cpu.quota" : "cpu.period"
        case "cpuset.cpus": return "cpu.cpus"
        case "cpuset.mems": return "cpu.mems"
        case "pids.max": return "pids.limit"
        case "blkio.weight", "blkio.bfq.weight", "io.bfq.weight", "io.weight":
            return update.blockIO?.weight == nil && !(update.blockIO?.weightDevice ?? []).isEmpty ? "blockIO.weightDevice" : "blockIO.weight"
        default:
            if let knob = knobField(file, update) { return knob }
            if e.message.hasPrefix("unified") { return "unified" }
            if e.message.contains("swap") { return "memory.swap" }
            return "resources"
        }
    }

    /// Bytes in use: v1 `memory.usage_in_bytes`, v2 `memory.current`.
    static func memoryUsage(_ paths: CgroupPaths) -> Int64? {
        guard let dir = paths.memoryDir else { return nil }
        for name in ["memory.usage_in_bytes", "memory.current"] {
            if let text = CgroupFS.readTrimmed(dir + "/" + name), let n = Int64(text) { return n }
        }
        return nil
    }
}
