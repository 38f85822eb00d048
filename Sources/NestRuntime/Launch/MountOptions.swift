/// OCI mount options → mount(2) flags, propagation and fs data, as the
/// launch plan's `mount` record carries them.
public struct MountOptions: Equatable, Sendable {
    public var flags: UInt64 = 0
    /// Flags that clear a bit (`rw`, `suid`...) are applied by leaving it out.
    public var propagation: UInt64 = 0
    public var data: [String] = []
    /// Options the plan cannot carry (id-mapped mounts, clearing a flag on
    /// every submount...): Preflight refuses them by name rather than let
    /// the launcher drop them.
    public var unsupported: [String] = []
    /// Needs a read-only remount after a bind.
    public var readonly: Bool { flags & MountOptions.rdonly != 0 }

    public static let rdonly: UInt64 = 0x1
    public static let nosuid: UInt64 = 0x2
    public static let nodev: UInt64 = 0x4
    public static let noexec: UInt64 = 0x8
    public static let synchronous: UInt64 = 0x10
    public static let remount: UInt64 = 0x20
    public static let mandlock: UInt64 = 0x40
    public static let dirsync: UInt64 = 0x80
    public static let nosymfollow: UInt64 = 0x100
    public static let noatime: UInt64 = 0x400
    public static let nodiratime: UInt64 = 0x800
    public static let bind: UInt64 = 0x1000
    public static let rec: UInt64 = 0x4000
    public static let silent: UInt64 = 0x8000
    public static let unbindable: UInt64 = 0x20000
    public static let `private`: UInt64 = 0x40000
    public static let slave: UInt64 = 0x80000
    public static let shared: UInt64 = 0x100000
    public static let relatime: UInt64 = 0x200000
    public static let iversion: UInt64 = 0x800000
    public static let strictatime: UInt64 = 0x1000000
    public static let lazytime: UInt64 = 0x2000000

    static let setting: [String: UInt64] = [
        "ro": rdonly, "nosuid": nosuid, "nodev": nodev, "noexec": noexec, "sync": synchronous,
        "remount": remount, "mand": mandlock, "dirsync": dirsync, "nosymfollow": nosymfollow, "noatime": noatime,
        "nodiratime": nodiratime, "bind": bind, "rbind": bind | rec, "silent": silent,
        "relatime": relatime, "iversion": iversion, "strictatime": strictatime, "lazytime": lazytime,
        // The monitor sets these attributes with mount_setattr(AT_RECURSIVE)
        // on an rbind, and any other mount has no submounts when it is
        // made: the plain flag is already the recursive one.
        "rro": rdonly, "rnosuid": nosuid, "rnodev": nodev, "rnoexec": noexec, "rnoatime": noatime,
        "rnodiratime": nodiratime, "rstrictatime": strictatime, "rrelatime": relatime,
    ]
    static let clearing: [String: UInt64] = [
        "rw": rdonly, "suid": nosuid, "dev": nodev, "exec": noexec, "async": synchronous,
        "nomand": mandlock, "symfollow": nosymfollow, "atime": noatime, "diratime": nodiratime,
        "norelatime": relatime, "noiversion": iversion, "nostrictatime": strictatime, "nolazytime": lazytime,
        "loud": silent,
    ]
    static let propagations: [String: UInt64] = [
        "private": `private`, "rprivate": `private` | rec, "shared": shared, "rshared": shared | rec,
        "slave": slave, "rslave": slave | rec, "unbindable": unbindable, "runbindable": unbindable | rec,
    ]
    /// `defaults` asks for nothing beyond the kernel's defaults.
    static let ignored: Set<String> = ["defaults"]
    /// Clearing a flag on the submounts of an rbind needs attr_clr with
    /// AT_RECURSIVE, which the plan has no field for; nosymfollow has no
    /// recursive attribute in the monitor; id-mapped mounts and tmpcopyup
    /// (copying the destination's contents into a tmpfs) are not done.
    public static let unsupportedOptions: Set<String> = [
        "rrw", "rsuid", "rdev", "rexec", "ratime", "rdiratime", "rnorelatime", "rnostrictatime",
        "rsymfollow", "rnosymfollow", "idmap", "ridmap", "tmpcopyup",
    ]

    public init(_ options: [String]) {
        for option in options {
            if let bit = MountOptions.setting[option] {
                flags |= bit
            } else if let bit = MountOptions.clearing[option] {
                flags &= ~bit
            } else if let p = MountOptions.propagations[option] {
                propagation = p
            } else if MountOptions.ignored.contains(option) {
                continue
            } else if MountOptions.unsupportedOptions.contains(option) {
                unsupported.append(option)
            } else {
                data.append(option)
            }
        }
    }

    /// The propagation of a rootfs (`rootfsPropagation`), `rprivate` by default.
    public static func propagation(named name: String) -> UInt64? { propagations[name] }
}
