import NestOCI

/// The VFS server: the whole mount tree of the container, in the order the
/// launcher realizes it.
public struct VFSConfig: Codable, Sendable, Equatable {
    /// Absolute host path of the rootfs (the overlay's mount point when
    /// there is one).
    public var root: String
    public var overlay: VFSOverlay?
    public var readonly: Bool
    /// `rprivate` unless the spec says otherwise.
    public var propagation: String
    public var mountLabel: String?
    public var mounts: [VFSMount]
    public var devices: [VFSDevice]
    public var symlinks: [VFSSymlink]
    public var masked: [String]
    public var readonlyPaths: [String]

    public init(root: String, readonly: Bool = false, propagation: String = "rprivate", mountLabel: String? = nil,
                mounts: [VFSMount] = [], devices: [VFSDevice] = [], symlinks: [VFSSymlink] = [],
                masked: [String] = [], readonlyPaths: [String] = [], overlay: VFSOverlay? = nil) {
        self.root = root
        self.overlay = overlay
        self.readonly = readonly
        self.propagation = propagation
        self.mountLabel = mountLabel
        self.mounts = mounts
        self.devices = devices
        self.symlinks = symlinks
        self.masked = masked
        self.readonlyPaths = readonlyPaths
    }
}

/// One mount. Options are kept as the spec gives them; `MountOptions`
/// turns them into flags, propagation and data.
public struct VFSMount: Codable, Sendable, Equatable {
    public var destination: String
    public var type: String
    public var source: String
    public var options: [String]
    public var uidMappings: [Spec.IDMapping]
    public var gidMappings: [Spec.IDMapping]

    public init(destination: String, type: String, source: String, options: [String] = [],
                uidMappings: [Spec.IDMapping] = [], gidMappings: [Spec.IDMapping] = []) {
        self.destination = destination
        self.type = type
        self.source = source
        self.options = options
        self.uidMappings = uidMappings
        self.gidMappings = gidMappings
    }

    /// A bind mount takes a host path as its source and needs a HOST_FS route.
    public var isBind: Bool {
        type == "bind" || options.contains("bind") || options.contains("rbind")
    }
}

public struct VFSDevice: Codable, Sendable, Equatable {
    public var path: String
    /// `c`, `b`, `u` or `p`.
    public var type: String
    public var major: Int64
    public var minor: Int64
    public var mode: UInt32
    public var uid: UInt32
    public var gid: UInt32

    public init(path: String, type: String, major: Int64, minor: Int64, mode: UInt32 = 0o666, uid: UInt32 = 0, gid: UInt32 = 0) {
        self.path = path
        self.type = type
        self.major = major
        self.minor = minor
        self.mode = mode
        self.uid = uid
        self.gid = gid
    }
}

public struct VFSSymlink: Codable, Sendable, Equatable {
    public var target: String
    public var path: String
    public init(target: String, path: String) {
        self.target = target
        self.path = path
    }
}
