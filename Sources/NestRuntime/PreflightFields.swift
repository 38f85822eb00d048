import NestOCI
import NestSubsystem

/// Fields of the runtime-spec that reach the subsystem but that no plan
/// record, cgroup file or Swift step applies (docs/spec-coverage.md).
///
/// The runtime-spec's lifecycle says a runtime that cannot create the
/// environment config.json asks for MUST generate an error, so such a field
/// is refused by its JSON path before anything is made, never dropped. A
/// value that asks for nothing (an empty list, `false`, the kernel's
/// default) is accepted.
extension Preflight {
    /// The seccomp flags nest-monitor sets (seccomp.c).
    static let seccompFlags: Set<String> = [
        "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    ]

    /// Every field of one process and its file system that the launcher
    /// would not apply, in the order of the spec.
    static func unsupported(container c: ContainerConfig, vfs: VFSConfig?) -> [SpecError] {
        var errors: [SpecError] = []
        func refuse(_ path: String, _ message: String) { errors.append(SpecError(path: path, message: message)) }
        if let vfs { errors += unsupported(vfs) }
        if let p = c.process { errors += unsupported(p) }
        if !c.netDevices.isEmpty {
            refuse(JSONPath.member("linux.netDevices", c.netDevices[0].hostName), "moving host network devices into the container is not supported")
        }
        errors += unsupported(c.resources)
        if let s = c.seccomp { errors += unsupported(s) }
        // Not a no-op even for LINUX without flags: the caller's persona
        // (setarch) would be inherited rather than reset.
        if c.personality != nil { refuse("linux.personality", "personality(2) is not supported") }
        // Present at all asks for a resctrl group (named by the container
        // id when closID is absent).
        if c.intelRdt != nil { refuse("linux.intelRdt", "Intel RDT (resctrl) is not supported") }
        // MPOL_DEFAULT too: it would reset a policy the caller set (numactl).
        if c.memoryPolicy != nil { refuse("linux.memoryPolicy", "set_mempolicy(2) is not supported") }
        return errors
    }

    static func unsupported(_ vfs: VFSConfig) -> [SpecError] {
        var errors: [SpecError] = []
        for (i, m) in vfs.mounts.enumerated() {
            let path = JSONPath.index("mounts", i)
            for option in MountOptions(m.options).unsupported {
                errors.append(SpecError(path: path + ".options", message: "mount option \(option) is not supported"))
            }
            if !m.uidMappings.isEmpty {
                errors.append(SpecError(path: path + ".uidMappings", message: "id-mapped mounts are not supported"))
            }
            if !m.gidMappings.isEmpty {
                errors.append(SpecError(path: path + ".gidMappings", message: "id-mapped mounts are not supported"))
            }
        }
        errors += LSMHost.unsupported(mountLabel: vfs.mountLabel)
        return errors
    }

    static func unsupported(_ p: Spec.Process) -> [SpecError] {
        var errors: [SpecError] = []
        func refuse(_ path: String, _ message: String) { errors.append(SpecError(path: path, message: message)) }
        errors += LSMHost.unsupported(p)
        if p.ioPriority != nil { refuse("process.ioPriority", "ioprio_set(2) is not supported") }
        if p.scheduler != nil { refuse("process.scheduler", "sched_setattr(2) is not supported") }
        if let a = p.execCPUAffinity, !(a.initial ?? "").isEmpty || !(a.final ?? "").isEmpty {
            refuse("process.execCPUAffinity", "CPU affinity is not supported")
        }
        return errors
    }

    static func unsupported(_ s: Spec.Linux.Seccomp) -> [SpecError] {
        var errors: [SpecError] = []
        // Validation has made every SCMP_ACT_NOTIFY rule come with a
        // listener (and refused it as the default action): refusing the
        // listener refuses user notification whatever uses it.
        if let listener = s.listenerPath, !listener.isEmpty {
            errors.append(SpecError(path: "linux.seccomp.listenerPath", message: "seccomp user notification (SCMP_ACT_NOTIFY) is not supported"))
        }
        for (i, flag) in (s.flags ?? []).enumerated() where !seccompFlags.contains(flag) {
            errors.append(SpecError(path: "linux.seccomp.flags[\(i)]", message: "seccomp flag \(flag) is not supported"))
        }
        return errors
    }

    /// What the cgroup writer (Quota.limits, DeviceRules) never writes.
    static func unsupported(_ q: Quota) -> [SpecError] {
        var errors: [SpecError] = []
        let base = "linux.resources"
        func refuse(_ field: String, _ message: String) { errors.append(SpecError(path: base + "." + field, message: message)) }
        if let m = q.memory {
            // -1 (unlimited) is what a new cgroup has.
            if let k = m.kernel, k != -1 { refuse("memory.kernel", "kernel memory limits are not supported") }
            // kernelTCP, swappiness and disableOOMKiller are written where
            // the host has them (PreflightCgroups.swift refuses the rest).
            // Hierarchical accounting is always on in the kernels Nest runs on.
            if m.useHierarchy == false { refuse("memory.useHierarchy", "non-hierarchical memory accounting is not supported") }
            // checkBeforeUpdate is about `update`, a no-op at create.
        }
        if let cpu = q.cpu {
            if cpu.burst != nil { refuse("cpu.burst", "CPU burst is not supported") }
            if cpu.realtimeRuntime != nil { refuse("cpu.realtimeRuntime", "real-time CPU runtime is not supported") }
            if cpu.realtimePeriod != nil { refuse("cpu.realtimePeriod", "real-time CPU period is not supported") }
            if let idle = cpu.idle, idle != 0 { refuse("cpu.idle", "SCHED_IDLE cgroups are not supported") }
        }
        // blockIO, hugepageLimits and network are written where the host
        // has them (PreflightCgroups.swift, and the writer for what only
        // a new cgroup's files tell).
        if let first = q.rdma.first {
            errors.append(SpecError(path: JSONPath.member(base + ".rdma", first.device), message: "RDMA limits are not supported"))
        }
        return errors
    }
}
