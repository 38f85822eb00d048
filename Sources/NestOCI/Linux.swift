extension Spec {
    /// `linux`: namespaces, devices, cgroup resources, seccomp and the other
    /// Linux-only settings.
    public struct Linux: Codable, Sendable, Equatable {
        public var namespaces: [Namespace]?
        public var uidMappings: [IDMapping]?
        public var gidMappings: [IDMapping]?
        /// Keyed by clock name: `monotonic`, `boottime` (1.1.0).
        public var timeOffsets: [String: TimeOffset]?
        public var devices: [Device]?
        /// Keyed by the host interface name (1.2.0).
        public var netDevices: [String: NetDevice]?
        public var cgroupsPath: String?
        public var resources: Resources?
        public var sysctl: [String: String]?
        public var seccomp: Seccomp?
        public var rootfsPropagation: String?
        public var maskedPaths: [String]?
        public var readonlyPaths: [String]?
        public var mountLabel: String?
        public var personality: Personality?
        public var intelRdt: IntelRdt?
        /// `linux.memoryPolicy` (1.3.0), the arguments of set_mempolicy(2).
        public var memoryPolicy: MemoryPolicy?

        public init(
            namespaces: [Namespace]? = nil, uidMappings: [IDMapping]? = nil, gidMappings: [IDMapping]? = nil,
            timeOffsets: [String: TimeOffset]? = nil, devices: [Device]? = nil,
            netDevices: [String: NetDevice]? = nil, cgroupsPath: String? = nil, resources: Resources? = nil,
            sysctl: [String: String]? = nil, seccomp: Seccomp? = nil, rootfsPropagation: String? = nil,
            maskedPaths: [String]? = nil, readonlyPaths: [String]? = nil, mountLabel: String? = nil,
            personality: Personality? = nil, intelRdt: IntelRdt? = nil, memoryPolicy: MemoryPolicy? = nil
        ) {
            self.namespaces = namespaces
            self.uidMappings = uidMappings
            self.gidMappings = gidMappings
            self.timeOffsets = timeOffsets
            self.devices = devices
            self.netDevices = netDevices
            self.cgroupsPath = cgroupsPath
            self.resources = resources
            self.sysctl = sysctl
            self.seccomp = seccomp
            self.rootfsPropagation = rootfsPropagation
            self.maskedPaths = maskedPaths
            self.readonlyPaths = readonlyPaths
            self.mountLabel = mountLabel
            self.personality = personality
            self.intelRdt = intelRdt
            self.memoryPolicy = memoryPolicy
        }

        /// The namespace entry of `type`, if the config lists one.
        public func namespace(_ type: String) -> Namespace? {
            namespaces?.first { $0.type == type }
        }

        public struct Namespace: Codable, Sendable, Equatable {
            /// One of `OCINames.namespaceTypes`.
            public var type: String
            /// Join this namespace instead of creating one.
            public var path: String?

            public init(type: String, path: String? = nil) {
                self.type = type
                self.path = path
            }
        }

        public struct TimeOffset: Codable, Sendable, Equatable {
            public var secs: Int64?
            public var nanosecs: UInt32?

            public init(secs: Int64? = nil, nanosecs: UInt32? = nil) {
                self.secs = secs
                self.nanosecs = nanosecs
            }
        }

        public struct Device: Codable, Sendable, Equatable {
            /// `c`, `b`, `u` or `p`.
            public var type: String
            public var path: String
            public var major: Int64?
            public var minor: Int64?
            public var fileMode: UInt32?
            public var uid: UInt32?
            public var gid: UInt32?

            public init(
                type: String, path: String, major: Int64? = nil, minor: Int64? = nil, fileMode: UInt32? = nil,
                uid: UInt32? = nil, gid: UInt32? = nil
            ) {
                self.type = type
                self.path = path
                self.major = major
                self.minor = minor
                self.fileMode = fileMode
                self.uid = uid
                self.gid = gid
            }
        }

        public struct NetDevice: Codable, Sendable, Equatable {
            /// Name inside the container; the host name when absent.
            public var name: String?

            public init(name: String? = nil) {
                self.name = name
            }
        }

        public struct Personality: Codable, Sendable, Equatable {
            /// `LINUX` or `LINUX32`.
            public var domain: String
            public var flags: [String]?

            public init(domain: String, flags: [String]? = nil) {
                self.domain = domain
                self.flags = flags
            }
        }

        public struct IntelRdt: Codable, Sendable, Equatable {
            public var closID: String?
            public var l3CacheSchema: String?
            public var memBwSchema: String?
            /// 1.3.0: free-form resctrl schemata lines.
            public var schemata: [String]?
            public var enableMonitoring: Bool?
            public var enableCMT: Bool?
            public var enableMBM: Bool?

            public init(
                closID: String? = nil, l3CacheSchema: String? = nil, memBwSchema: String? = nil,
                schemata: [String]? = nil, enableMonitoring: Bool? = nil, enableCMT: Bool? = nil,
                enableMBM: Bool? = nil
            ) {
                self.closID = closID
                self.l3CacheSchema = l3CacheSchema
                self.memBwSchema = memBwSchema
                self.schemata = schemata
                self.enableMonitoring = enableMonitoring
                self.enableCMT = enableCMT
                self.enableMBM = enableMBM
            }
        }

        public struct MemoryPolicy: Codable, Sendable, Equatable {
            /// `MPOL_*` mode (see `OCINames.memoryPolicyModes`).
            public var mode: String
            /// Node list such as "0-3,7".
            public var nodes: String?
            public var flags: [String]?

            public init(mode: String, nodes: String? = nil, flags: [String]? = nil) {
                self.mode = mode
                self.nodes = nodes
                self.flags = flags
            }
        }

        public struct Seccomp: Codable, Sendable, Equatable {
            public var defaultAction: String
            public var defaultErrnoRet: UInt32?
            public var architectures: [String]?
            public var flags: [String]?
            public var listenerPath: String?
            public var listenerMetadata: String?
            public var syscalls: [Syscall]?

            public init(
                defaultAction: String, defaultErrnoRet: UInt32? = nil, architectures: [String]? = nil,
                flags: [String]? = nil, listenerPath: String? = nil, listenerMetadata: String? = nil,
                syscalls: [Syscall]? = nil
            ) {
                self.defaultAction = defaultAction
                self.defaultErrnoRet = defaultErrnoRet
                self.architectures = architectures
                self.flags = flags
                self.listenerPath = listenerPath
                self.listenerMetadata = listenerMetadata
                self.syscalls = syscalls
            }

            public struct Syscall: Codable, Sendable, Equatable {
                public var names: [String]
                public var action: String
                public var errnoRet: UInt32?
                public var args: [Arg]?

                public init(names: [String], action: String, errnoRet: UInt32? = nil, args: [Arg]? = nil) {
                    self.names = names
                    self.action = action
                    self.errnoRet = errnoRet
                    self.args = args
                }
            }

            public struct Arg: Codable, Sendable, Equatable {
                public var index: UInt32
                public var value: UInt64
                public var valueTwo: UInt64?
                /// `SCMP_CMP_*` (see `OCINames.seccompOperators`).
                public var op: String

                public init(index: UInt32, value: UInt64, valueTwo: UInt64? = nil, op: String) {
                    self.index = index
                    self.value = value
                    self.valueTwo = valueTwo
                    self.op = op
                }
            }
        }
    }
}
