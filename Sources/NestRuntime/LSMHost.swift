import Glibc
import NestOCI
import NestSubsystem

/// The Linux security modules this host has enabled, as far as the labels
/// of a config need them. A label is applied where its module is enabled
/// and refused by its JSON path where it is not: a process that runs
/// unconfined or unlabeled is not the one the config asked for, so it is
/// never silently run so.
public struct LSMHost: Sendable, Equatable {
    public var apparmor: Bool
    public var selinux: Bool

    public init(apparmor: Bool, selinux: Bool) {
        self.apparmor = apparmor
        self.selinux = selinux
    }

    /// AppArmor is enabled when the module says so and its interface is
    /// there (securityfs, or the module's own attr directory of newer
    /// kernels, which nest-monitor writes); SELinux when selinuxfs is mounted.
    public static var current: LSMHost {
        LSMHost(apparmor: appArmorEnabled(), selinux: access("/sys/fs/selinux/enforce", F_OK) == 0)
    }

    static func appArmorEnabled() -> Bool {
        guard let b = Sys.readFile("/sys/module/apparmor/parameters/enabled"), b.first == UInt8(ascii: "Y") else { return false }
        return access("/sys/kernel/security/apparmor", F_OK) == 0 || access("/proc/self/attr/apparmor", F_OK) == 0
    }

    public static let noAppArmor = "AppArmor is not enabled on this host (/sys/module/apparmor/parameters/enabled is not Y, or no /sys/kernel/security/apparmor): the profile cannot be applied"
    public static let noSELinux = "SELinux is not enabled on this host (no /sys/fs/selinux/enforce): the label cannot be applied"

    /// The process's labels this host cannot apply. The host is read only
    /// when a label is given (`host` is asked lazily).
    static func unsupported(_ p: Spec.Process, host: @autoclosure () -> LSMHost = .current) -> [SpecError] {
        var errors: [SpecError] = []
        let profile = !(p.apparmorProfile ?? "").isEmpty, label = !(p.selinuxLabel ?? "").isEmpty
        guard profile || label else { return errors }
        let h = host()
        if profile && !h.apparmor { errors.append(SpecError(path: "process.apparmorProfile", message: noAppArmor)) }
        if label && !h.selinux { errors.append(SpecError(path: "process.selinuxLabel", message: noSELinux)) }
        return errors
    }

    static func unsupported(mountLabel: String?, host: @autoclosure () -> LSMHost = .current) -> [SpecError] {
        guard let l = mountLabel, !l.isEmpty, !host().selinux else { return [] }
        return [SpecError(path: "linux.mountLabel", message: noSELinux)]
    }

    /// The file systems that take `context=`: not a bind mount (it keeps
    /// its source's labels), nor those whose labels the policy fixes
    /// (proc, sysfs, cgroup) or that refuse the option (mqueue), as runc
    /// has it.
    static let unlabeledTypes: Set<String> = ["bind", "proc", "sysfs", "cgroup", "cgroup2", "mqueue"]

    /// A mount's data with the mount label, as SELinux's `context=` option.
    static func labeled(data: [String], type: String, bind: Bool, mountLabel: String?) -> [String] {
        guard let l = mountLabel, !l.isEmpty, !bind, !unlabeledTypes.contains(type) else { return data }
        return data + ["context=\"\(l)\""]
    }
}
