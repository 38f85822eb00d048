import NestOCI

/// What the translation takes besides the spec. Everything host-dependent
/// (hosts and resolv.conf contents) comes in here, so translation stays pure.
public struct TranslateOptions: Sendable, Equatable {
    public var id: String
    /// Absolute path of the bundle directory.
    public var bundlePath: String
    /// Absolute path of the rootfs (`root.path` resolved against the bundle).
    public var rootfsPath: String
    /// Contents for /etc/hosts and /etc/resolv.conf; nil leaves the rootfs's own.
    public var hosts: String?
    public var resolvConf: String?
    /// Where the log server writes the process's output; nil gives no log
    /// server, and the process's stdio is its runner's.
    public var logFile: String?
    /// The rootfs as an overlay of an image's layers, mounted at
    /// `rootfsPath`; nil: the rootfs is the bundle's directory.
    public var overlay: VFSOverlay?

    public init(id: String, bundlePath: String, rootfsPath: String, hosts: String? = nil, resolvConf: String? = nil,
                logFile: String? = nil, overlay: VFSOverlay? = nil) {
        self.overlay = overlay
        self.id = id
        self.bundlePath = bundlePath
        self.rootfsPath = rootfsPath
        self.hosts = hosts
        self.resolvConf = resolvConf
        self.logFile = logFile
    }
}

/// OCI spec → subsystem config. Pure: no syscalls, no clock, no environment;
/// the same spec and options always give the same subsystem. The spec must
/// have been validated (`Spec.validate()`); translation adds what the
/// runtime-spec leaves to the runtime (the default devices and /dev links,
/// the device cgroup's allowances for them, the default cgroup path) so that
/// the subsystem alone is enough to run the container.
public enum Translator {
    public static let defaultDevices: [VFSDevice] = [
        VFSDevice(path: "/dev/null", type: "c", major: 1, minor: 3),
        VFSDevice(path: "/dev/zero", type: "c", major: 1, minor: 5),
        VFSDevice(path: "/dev/full", type: "c", major: 1, minor: 7),
        VFSDevice(path: "/dev/random", type: "c", major: 1, minor: 8),
        VFSDevice(path: "/dev/urandom", type: "c", major: 1, minor: 9),
        VFSDevice(path: "/dev/tty", type: "c", major: 5, minor: 0),
    ]

    public static func translate(_ bundle: NestOCI.Bundle, id: String) -> Subsystem {
        translate(bundle.spec, options: TranslateOptions(id: id, bundlePath: bundle.path, rootfsPath: bundle.rootfsPath))
    }

    public static func translate(_ spec: Spec, options: TranslateOptions) -> Subsystem {
        let rom = romConfig(spec, options)
        let vfs = vfsConfig(spec, options, rom: rom)
        let container = containerConfig(spec, options, devices: vfs.devices)

        var vfsRoutes = [Route(service: Service.hostFS)]
        if !vfs.devices.isEmpty { vfsRoutes.append(Route(service: Service.device)) }

        var starts = [Start(name: "vfs", binary: Binary.vfs, provides: [Service.fileSystem], vfs: vfs, routes: vfsRoutes)]
        var initRoutes = [Route(service: Service.fileSystem, label: "/", child: "vfs")]
        if let file = options.logFile {
            starts.append(Start(name: "log", binary: Binary.log, provides: [Service.log], log: LogConfig(file: file),
                                routes: [Route(service: Service.hostFS)]))
            initRoutes.append(Route(service: Service.log, child: "log"))
        }
        if !rom.modules.isEmpty {
            starts.append(Start(name: "rom", binary: Binary.rom, provides: [Service.rom], rom: rom))
            initRoutes.append(Route(service: Service.rom, child: "rom"))
        }
        initRoutes += [Route(service: Service.pd), Route(service: Service.cgroup)]
        if container.namespaces.contains(where: { $0.path != nil }) { initRoutes.append(Route(service: Service.namespace)) }
        if !container.hooks.isEmpty { initRoutes.append(Route(service: Service.hook)) }
        starts.append(Start(name: "init", binary: Binary.initProcess, container: container, routes: initRoutes))

        return Subsystem(
            name: options.id, ociVersion: spec.ociVersion, bundle: options.bundlePath,
            annotations: (spec.annotations ?? [:]).sorted { $0.key < $1.key }.map { KeyValue($0.key, $0.value) },
            starts: starts)
    }

    static func romConfig(_ spec: Spec, _ options: TranslateOptions) -> ROMConfig {
        var modules: [ROMModule] = []
        if let hostname = spec.hostname { modules.append(ROMModule(name: "hostname", content: hostname)) }
        if let domainname = spec.domainname { modules.append(ROMModule(name: "domainname", content: domainname)) }
        if let hosts = options.hosts { modules.append(ROMModule(name: "hosts", content: hosts, path: "/etc/hosts")) }
        if let resolv = options.resolvConf {
            modules.append(ROMModule(name: "resolv.conf", content: resolv, path: "/etc/resolv.conf"))
        }
        return ROMConfig(modules: modules)
    }

    static func vfsConfig(_ spec: Spec, _ options: TranslateOptions, rom: ROMConfig) -> VFSConfig {
        let linux = spec.linux
        var vfs = VFSConfig(root: options.rootfsPath, readonly: spec.root?.readonly ?? false,
                            propagation: linux?.rootfsPropagation ?? "rprivate", mountLabel: linux?.mountLabel)
        vfs.overlay = options.overlay
        vfs.mounts = (spec.mounts ?? []).map { m in
            let options = m.options ?? []
            let isBind = options.contains("bind") || options.contains("rbind")
            let type = m.type ?? (isBind ? "bind" : "none")
            return VFSMount(destination: m.destination, type: type, source: m.source ?? type, options: options,
                            uidMappings: m.uidMappings ?? [], gidMappings: m.gidMappings ?? [])
        }
        let specDevices = (linux?.devices ?? []).map { d in
            VFSDevice(path: d.path, type: d.type, major: d.major ?? 0, minor: d.minor ?? 0, mode: d.fileMode ?? 0o666,
                      uid: d.uid ?? 0, gid: d.gid ?? 0)
        }
        let given = Set(specDevices.map(\.path))
        // The runtime-spec's default devices, unless the spec makes them itself
        // or bind-mounts something over /dev/… by that name.
        let mounted = Set(vfs.mounts.map(\.destination))
        vfs.devices = defaultDevices.filter { !given.contains($0.path) && !mounted.contains($0.path) } + specDevices
        vfs.symlinks = [VFSSymlink(target: "/proc/self/fd", path: "/dev/fd"),
                        VFSSymlink(target: "/proc/self/fd/0", path: "/dev/stdin"),
                        VFSSymlink(target: "/proc/self/fd/1", path: "/dev/stdout"),
                        VFSSymlink(target: "/proc/self/fd/2", path: "/dev/stderr")]
        if vfs.mounts.contains(where: { $0.destination == "/dev/pts" && $0.type == "devpts" }) {
            vfs.symlinks.append(VFSSymlink(target: "pts/ptmx", path: "/dev/ptmx"))
        }
        vfs.masked = linux?.maskedPaths ?? []
        vfs.readonlyPaths = linux?.readonlyPaths ?? []
        return vfs
    }

    static func containerConfig(_ spec: Spec, _ options: TranslateOptions, devices: [VFSDevice]) -> ContainerConfig {
        let linux = spec.linux
        var c = ContainerConfig()
        c.process = spec.process.map(normalized)
        c.namespaces = linux?.namespaces ?? []
        c.uidMappings = linux?.uidMappings ?? []
        c.gidMappings = linux?.gidMappings ?? []
        c.timeOffsets = (linux?.timeOffsets ?? [:]).sorted { $0.key < $1.key }
            .map { TimeOffset(clock: $0.key, secs: $0.value.secs ?? 0, nanosecs: $0.value.nanosecs ?? 0) }
        c.sysctl = (linux?.sysctl ?? [:]).sorted { $0.key < $1.key }.map { KeyValue($0.key, $0.value) }
        c.seccomp = linux?.seccomp.map(normalized)
        c.personality = linux?.personality
        c.netDevices = (linux?.netDevices ?? [:]).sorted { $0.key < $1.key }.map { NetDevice(hostName: $0.key, name: $0.value.name) }
        c.intelRdt = linux?.intelRdt.map { rdt in
            var r = rdt
            r.schemata = r.schemata?.nilIfEmpty
            return r
        }
        c.memoryPolicy = linux?.memoryPolicy
        c.hooks = (spec.hooks?.all ?? []).flatMap { kind, hooks in
            hooks.map { h in
                HookEntry(kind: kind, hook: Spec.Hook(path: h.path, args: h.args?.nilIfEmpty, env: h.env?.nilIfEmpty, timeout: h.timeout))
            }
        }
        c.resources = quota(linux, options, devices: devices)
        return c
    }

    /// The subsystem format keeps lists as repeated elements, which cannot
    /// tell an empty list from an absent one; the runtime-spec gives both the
    /// same meaning, so translation writes absent.
    static func normalized(_ process: Spec.Process) -> Spec.Process {
        var p = process
        p.args = p.args?.nilIfEmpty
        p.env = p.env?.nilIfEmpty
        p.rlimits = p.rlimits?.nilIfEmpty
        return p
    }

    static func normalized(_ seccomp: Spec.Linux.Seccomp) -> Spec.Linux.Seccomp {
        var s = seccomp
        s.syscalls = s.syscalls?.map { sc in
            var sc = sc
            sc.args = sc.args?.nilIfEmpty
            return sc
        }.nilIfEmpty
        return s
    }

    static func quota(_ linux: Spec.Linux?, _ options: TranslateOptions, devices: [VFSDevice]) -> Quota {
        let r = linux?.resources
        var q = Quota(cgroupsPath: cgroupsPath(linux?.cgroupsPath, id: options.id))
        q.memory = r?.memory
        q.cpu = r?.cpu
        q.pids = r?.pids
        q.blockIO = r?.blockIO.map { b in
            var b = b
            b.weightDevice = b.weightDevice?.nilIfEmpty
            b.throttleReadBpsDevice = b.throttleReadBpsDevice?.nilIfEmpty
            b.throttleWriteBpsDevice = b.throttleWriteBpsDevice?.nilIfEmpty
            b.throttleReadIOPSDevice = b.throttleReadIOPSDevice?.nilIfEmpty
            b.throttleWriteIOPSDevice = b.throttleWriteIOPSDevice?.nilIfEmpty
            return b
        }
        q.hugepageLimits = r?.hugepageLimits ?? []
        q.network = r?.network.map { n in
            var n = n
            n.priorities = n.priorities?.nilIfEmpty
            return n
        }
        q.rdma = (r?.rdma ?? [:]).sorted { $0.key < $1.key }
            .map { RdmaLimit(device: $0.key, hcaHandles: $0.value.hcaHandles, hcaObjects: $0.value.hcaObjects) }
        q.unified = (r?.unified ?? [:]).sorted { $0.key < $1.key }.map { KeyValue($0.key, $0.value) }
        // The device cgroup: the spec's rules (deny everything when it has
        // none), then access to the nodes the VFS server makes and to ptys.
        q.devices = r?.devices ?? [Spec.Linux.Resources.DeviceRule(allow: false, access: "rwm")]
        for d in devices where d.type == "c" || d.type == "b" {
            q.devices.append(Spec.Linux.Resources.DeviceRule(allow: true, type: d.type, major: d.major, minor: d.minor, access: "rwm"))
        }
        q.devices.append(Spec.Linux.Resources.DeviceRule(allow: true, type: "c", major: 5, minor: 2, access: "rwm"))
        q.devices.append(Spec.Linux.Resources.DeviceRule(allow: true, type: "c", major: 136, access: "rwm"))
        return q
    }

    /// `/nest/ID` by default; a relative path is taken below the hierarchy
    /// roots; the systemd form `slice:prefix:name` is kept for the launcher.
    static func cgroupsPath(_ path: String?, id: String) -> String {
        guard let path, !path.isEmpty else { return "/nest/\(id)" }
        if path.hasPrefix("/") || path.split(separator: ":", omittingEmptySubsequences: false).count == 3 { return path }
        return "/" + path
    }
}
