import NestOCI

/// What a request says about a container of an image (`nestctl run`'s
/// options); nil fields take the image's value.
public struct ImageRun: Sendable, Equatable {
    /// The rootfs's mount point (an empty directory): `root.path`.
    public var rootfs: String
    public var hostname: String?
    /// `--entrypoint`: replaces the image's Entrypoint and drops its Cmd
    /// (unless `cmd` is given), as docker has it. `[]` clears it.
    public var entrypoint: [String]?
    /// The arguments after the image: replace the image's Cmd; nil or
    /// empty keeps it.
    public var cmd: [String]?
    /// `-e K=V`, over the image's Env.
    public var env: [String]
    public var workingDir: String?
    /// USER[:GROUP], names or numbers; over the image's User.
    public var user: String?
    public var tty: Bool

    public init(rootfs: String, hostname: String? = nil, entrypoint: [String]? = nil, cmd: [String]? = nil,
                env: [String] = [], workingDir: String? = nil, user: String? = nil, tty: Bool = false) {
        self.rootfs = rootfs
        self.hostname = hostname
        self.entrypoint = entrypoint
        self.cmd = cmd
        self.env = env
        self.workingDir = workingDir
        self.user = user
        self.tty = tty
    }
}

/// A user as the image's /etc/passwd and /etc/group give it.
public struct ImageUser: Sendable, Equatable {
    public var uid: UInt32
    /// nil: a UID of no passwd entry and no GROUP; the process keeps GID 0.
    public var gid: UInt32?
    public var additionalGids: [UInt32]
    /// nil: no passwd entry.
    public var home: String?

    public init(uid: UInt32, gid: UInt32?, additionalGids: [UInt32] = [], home: String?) {
        self.uid = uid
        self.gid = gid
        self.additionalGids = additionalGids
        self.home = home
    }
}

/// Image config + request → OCI spec. Pure: the spec starts as Nest's
/// default (`nest spec`'s), so that a container of an image goes through
/// the validator, translator and launcher bundles use. The user's names are
/// resolved by the caller (`users`: the spec and the field to name in an
/// error), which reads the image's files.
public enum ImageSpec {
    /// Where the image's StopSignal goes (as containerd puts it); nestd's
    /// stop sends it.
    public static let stopSignalAnnotation = "org.opencontainers.image.stopSignal"

    public static func spec(_ image: ImageConfig, _ run: ImageRun,
                            users: (String, String) throws(ImageConfigError) -> ImageUser) throws(ImageConfigError) -> Spec {
        let c = image.config ?? ImageConfig.Process()
        var spec = Spec.default()
        guard var process = spec.process else { throw ImageConfigError(field: "", "Nest's default spec has no process") }

        process.args = try args(c, run)
        var env = process.env ?? []
        for (i, e) in (c.env ?? []).enumerated() { try set(e, in: &env, field: "config.Env[\(i)]") }
        for (i, e) in run.env.enumerated() { try set(e, in: &env, field: "env[\(i)]") }
        process.env = env

        if let dir = run.workingDir {
            guard dir.hasPrefix("/") else { throw ImageConfigError(field: "workingDir", "must be an absolute path, not \"\(dir)\"") }
            process.cwd = dir
        } else if let dir = c.workingDir, !dir.isEmpty {
            guard dir.hasPrefix("/") else { throw ImageConfigError(field: "config.WorkingDir", "must be an absolute path, not \"\(dir)\"") }
            process.cwd = dir
        } else {
            process.cwd = "/"
        }

        let (userSpec, userField) = run.user.map { ($0, "user") } ?? (c.user ?? "", "config.User")
        if userField == "user" && userSpec.isEmpty { throw ImageConfigError(field: "user", "must not be empty") }
        // no user is root, whose home the image's passwd may give
        let user = try users(userSpec.isEmpty ? "0" : userSpec, userField)
        process.user.uid = user.uid
        process.user.gid = user.gid ?? 0
        process.user.additionalGids = user.additionalGids.isEmpty ? nil : user.additionalGids
        if !env.contains(where: { $0.hasPrefix("HOME=") }) { process.env?.append("HOME=" + (user.home ?? "/")) }
        process.capabilities = Self.capabilities(uid: user.uid)

        process.terminal = run.tty
        spec.process = process
        spec.root = Spec.Root(path: run.rootfs, readonly: false)
        if let hostname = run.hostname { spec.hostname = hostname }
        if let signal = c.stopSignal, !signal.isEmpty {
            spec.annotations = (spec.annotations ?? [:]).merging([stopSignalAnnotation: signal]) { $1 }
        }
        return spec
    }

    /// The capabilities a container of an image starts with: the set
    /// docker gives, as images are built and run expecting it (a package
    /// manager chowns, a server binds and setuids). Nest's bundle default
    /// (`nest spec`) keeps the smaller set. Root holds them; any other user
    /// only keeps them in its bounding set, so exec of a setuid or
    /// file-capable program can still raise them, as under docker.
    public static let dockerCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL",
        "CAP_AUDIT_WRITE",
    ]

    static func capabilities(uid: UInt32) -> Spec.Process.Capabilities {
        let held = uid == 0 ? dockerCapabilities : []
        return Spec.Process.Capabilities(bounding: dockerCapabilities, effective: held, inheritable: [],
                                         permitted: held, ambient: [])
    }

    /// docker's rules: (`--entrypoint` or Entrypoint) + (the arguments or
    /// Cmd), where `--entrypoint` drops the image's Cmd.
    static func args(_ c: ImageConfig.Process, _ run: ImageRun) throws(ImageConfigError) -> [String] {
        let given = run.cmd.flatMap { $0.isEmpty ? nil : $0 }
        let args: [String]
        if let entrypoint = run.entrypoint {
            args = entrypoint + (given ?? [])
        } else {
            args = (c.entrypoint ?? []) + (given ?? c.cmd ?? [])
        }
        guard !args.isEmpty else {
            throw ImageConfigError(field: "cmd", "the image has no Entrypoint or Cmd: give a command to run")
        }
        if args[0].isEmpty { throw ImageConfigError(field: run.entrypoint != nil ? "entrypoint" : "cmd", "the program's name is empty") }
        return args
    }

    /// `K=V` into `env`, replacing an entry of the same key where it is.
    static func set(_ entry: String, in env: inout [String], field: String) throws(ImageConfigError) {
        guard let eq = entry.firstIndex(of: "="), eq != entry.startIndex else {
            throw ImageConfigError(field: field, "must be KEY=VALUE, got \"\(entry.prefix(64))\"")
        }
        let key = entry[...eq]
        if let i = env.firstIndex(where: { $0.hasPrefix(key) }) { env[i] = entry } else { env.append(entry) }
    }
}
