/// The runtime-spec `config.json` of a bundle, versions 1.0.0 through 1.3.0.
///
/// Optional JSON fields are optional properties so that encoding a decoded
/// spec writes back exactly the fields that were given. Platform sections
/// other than `linux` (windows, solaris, vm, zos) are not modelled: Nest only
/// runs Linux containers, and unknown fields are ignored as the spec requires.
public struct Spec: Codable, Sendable, Equatable {
    public var ociVersion: String
    public var root: Root?
    public var mounts: [Mount]?
    public var process: Process?
    public var hostname: String?
    public var domainname: String?
    public var hooks: Hooks?
    public var annotations: [String: String]?
    public var linux: Linux?

    public init(
        ociVersion: String, root: Root? = nil, mounts: [Mount]? = nil, process: Process? = nil,
        hostname: String? = nil, domainname: String? = nil, hooks: Hooks? = nil,
        annotations: [String: String]? = nil, linux: Linux? = nil
    ) {
        self.ociVersion = ociVersion
        self.root = root
        self.mounts = mounts
        self.process = process
        self.hostname = hostname
        self.domainname = domainname
        self.hooks = hooks
        self.annotations = annotations
        self.linux = linux
    }

    public struct Root: Codable, Sendable, Equatable {
        public var path: String
        public var readonly: Bool?

        public init(path: String, readonly: Bool? = nil) {
            self.path = path
            self.readonly = readonly
        }
    }

    public struct Mount: Codable, Sendable, Equatable {
        public var destination: String
        public var type: String?
        public var source: String?
        public var options: [String]?
        /// Id-mapped mounts (1.2.0).
        public var uidMappings: [IDMapping]?
        public var gidMappings: [IDMapping]?

        public init(
            destination: String, type: String? = nil, source: String? = nil, options: [String]? = nil,
            uidMappings: [IDMapping]? = nil, gidMappings: [IDMapping]? = nil
        ) {
            self.destination = destination
            self.type = type
            self.source = source
            self.options = options
            self.uidMappings = uidMappings
            self.gidMappings = gidMappings
        }
    }

    public struct IDMapping: Codable, Sendable, Equatable {
        public var containerID: UInt32
        public var hostID: UInt32
        public var size: UInt32

        public init(containerID: UInt32, hostID: UInt32, size: UInt32) {
            self.containerID = containerID
            self.hostID = hostID
            self.size = size
        }
    }

    public struct Hooks: Codable, Sendable, Equatable {
        /// Deprecated since 1.0.2 in favour of the three hooks below, still run.
        public var prestart: [Hook]?
        public var createRuntime: [Hook]?
        public var createContainer: [Hook]?
        public var startContainer: [Hook]?
        public var poststart: [Hook]?
        public var poststop: [Hook]?

        public init(
            prestart: [Hook]? = nil, createRuntime: [Hook]? = nil, createContainer: [Hook]? = nil,
            startContainer: [Hook]? = nil, poststart: [Hook]? = nil, poststop: [Hook]? = nil
        ) {
            self.prestart = prestart
            self.createRuntime = createRuntime
            self.createContainer = createContainer
            self.startContainer = startContainer
            self.poststart = poststart
            self.poststop = poststop
        }

        /// Every hook list with its JSON key, in the order the lifecycle runs them.
        public var all: [(kind: String, hooks: [Hook])] {
            [("prestart", prestart), ("createRuntime", createRuntime), ("createContainer", createContainer),
             ("startContainer", startContainer), ("poststart", poststart), ("poststop", poststop)]
                .compactMap { kind, list in list.map { (kind, $0) } }
        }
    }

    public struct Hook: Codable, Sendable, Equatable {
        public var path: String
        public var args: [String]?
        public var env: [String]?
        /// Seconds; the spec requires it to be greater than zero when given.
        public var timeout: Int?

        public init(path: String, args: [String]? = nil, env: [String]? = nil, timeout: Int? = nil) {
            self.path = path
            self.args = args
            self.env = env
            self.timeout = timeout
        }
    }
}
