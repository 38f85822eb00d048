extension Spec.Linux {
    /// `linux.resources`: what the cgroup of the container allows.
    public struct Resources: Codable, Sendable, Equatable {
        public var devices: [DeviceRule]?
        public var memory: Memory?
        public var cpu: CPU?
        public var pids: Pids?
        public var blockIO: BlockIO?
        public var hugepageLimits: [HugepageLimit]?
        public var network: Network?
        /// Keyed by RDMA device name.
        public var rdma: [String: Rdma]?
        /// cgroup v2 file name → value (1.0.2).
        public var unified: [String: String]?

        public init(
            devices: [DeviceRule]? = nil, memory: Memory? = nil, cpu: CPU? = nil, pids: Pids? = nil,
            blockIO: BlockIO? = nil, hugepageLimits: [HugepageLimit]? = nil, network: Network? = nil,
            rdma: [String: Rdma]? = nil, unified: [String: String]? = nil
        ) {
            self.devices = devices
            self.memory = memory
            self.cpu = cpu
            self.pids = pids
            self.blockIO = blockIO
            self.hugepageLimits = hugepageLimits
            self.network = network
            self.rdma = rdma
            self.unified = unified
        }

        /// An entry of the device cgroup allow/deny list.
        public struct DeviceRule: Codable, Sendable, Equatable {
            public var allow: Bool
            /// `a`, `c` or `b`; all when absent.
            public var type: String?
            public var major: Int64?
            public var minor: Int64?
            /// Letters of `rwm`.
            public var access: String?

            public init(allow: Bool, type: String? = nil, major: Int64? = nil, minor: Int64? = nil, access: String? = nil) {
                self.allow = allow
                self.type = type
                self.major = major
                self.minor = minor
                self.access = access
            }
        }

        /// Bytes; -1 means unlimited where the kernel accepts it.
        public struct Memory: Codable, Sendable, Equatable {
            public var limit: Int64?
            public var reservation: Int64?
            /// Memory plus swap, as cgroup v1's memsw.
            public var swap: Int64?
            public var kernel: Int64?
            public var kernelTCP: Int64?
            public var swappiness: UInt64?
            public var disableOOMKiller: Bool?
            public var useHierarchy: Bool?
            public var checkBeforeUpdate: Bool?

            public init(
                limit: Int64? = nil, reservation: Int64? = nil, swap: Int64? = nil, kernel: Int64? = nil,
                kernelTCP: Int64? = nil, swappiness: UInt64? = nil, disableOOMKiller: Bool? = nil,
                useHierarchy: Bool? = nil, checkBeforeUpdate: Bool? = nil
            ) {
                self.limit = limit
                self.reservation = reservation
                self.swap = swap
                self.kernel = kernel
                self.kernelTCP = kernelTCP
                self.swappiness = swappiness
                self.disableOOMKiller = disableOOMKiller
                self.useHierarchy = useHierarchy
                self.checkBeforeUpdate = checkBeforeUpdate
            }
        }

        public struct CPU: Codable, Sendable, Equatable {
            public var shares: UInt64?
            public var quota: Int64?
            public var burst: UInt64?
            public var period: UInt64?
            public var realtimeRuntime: Int64?
            public var realtimePeriod: UInt64?
            public var cpus: String?
            public var mems: String?
            public var idle: Int64?

            public init(
                shares: UInt64? = nil, quota: Int64? = nil, burst: UInt64? = nil, period: UInt64? = nil,
                realtimeRuntime: Int64? = nil, realtimePeriod: UInt64? = nil, cpus: String? = nil,
                mems: String? = nil, idle: Int64? = nil
            ) {
                self.shares = shares
                self.quota = quota
                self.burst = burst
                self.period = period
                self.realtimeRuntime = realtimeRuntime
                self.realtimePeriod = realtimePeriod
                self.cpus = cpus
                self.mems = mems
                self.idle = idle
            }
        }

        public struct Pids: Codable, Sendable, Equatable {
            /// Required before 1.3.0; 0 or -1 means unlimited.
            public var limit: Int64?

            public init(limit: Int64? = nil) {
                self.limit = limit
            }
        }

        public struct BlockIO: Codable, Sendable, Equatable {
            public var weight: UInt16?
            public var leafWeight: UInt16?
            public var weightDevice: [WeightDevice]?
            public var throttleReadBpsDevice: [ThrottleDevice]?
            public var throttleWriteBpsDevice: [ThrottleDevice]?
            public var throttleReadIOPSDevice: [ThrottleDevice]?
            public var throttleWriteIOPSDevice: [ThrottleDevice]?

            public init(
                weight: UInt16? = nil, leafWeight: UInt16? = nil, weightDevice: [WeightDevice]? = nil,
                throttleReadBpsDevice: [ThrottleDevice]? = nil, throttleWriteBpsDevice: [ThrottleDevice]? = nil,
                throttleReadIOPSDevice: [ThrottleDevice]? = nil, throttleWriteIOPSDevice: [ThrottleDevice]? = nil
            ) {
                self.weight = weight
                self.leafWeight = leafWeight
                self.weightDevice = weightDevice
                self.throttleReadBpsDevice = throttleReadBpsDevice
                self.throttleWriteBpsDevice = throttleWriteBpsDevice
                self.throttleReadIOPSDevice = throttleReadIOPSDevice
                self.throttleWriteIOPSDevice = throttleWriteIOPSDevice
            }

            public struct WeightDevice: Codable, Sendable, Equatable {
                public var major: Int64
                public var minor: Int64
                public var weight: UInt16?
                public var leafWeight: UInt16?

                public init(major: Int64, minor: Int64, weight: UInt16? = nil, leafWeight: UInt16? = nil) {
                    self.major = major
                    self.minor = minor
                    self.weight = weight
                    self.leafWeight = leafWeight
                }
            }

            public struct ThrottleDevice: Codable, Sendable, Equatable {
                public var major: Int64
                public var minor: Int64
                /// Bytes or operations per second.
                public var rate: UInt64

                public init(major: Int64, minor: Int64, rate: UInt64) {
                    self.major = major
                    self.minor = minor
                    self.rate = rate
                }
            }
        }

        public struct HugepageLimit: Codable, Sendable, Equatable {
            /// Such as "2MB" or "1GB".
            public var pageSize: String
            public var limit: UInt64

            public init(pageSize: String, limit: UInt64) {
                self.pageSize = pageSize
                self.limit = limit
            }
        }

        public struct Network: Codable, Sendable, Equatable {
            public var classID: UInt32?
            public var priorities: [Priority]?

            public init(classID: UInt32? = nil, priorities: [Priority]? = nil) {
                self.classID = classID
                self.priorities = priorities
            }

            public struct Priority: Codable, Sendable, Equatable {
                public var name: String
                public var priority: UInt32

                public init(name: String, priority: UInt32) {
                    self.name = name
                    self.priority = priority
                }
            }
        }

        public struct Rdma: Codable, Sendable, Equatable {
            public var hcaHandles: UInt32?
            public var hcaObjects: UInt32?

            public init(hcaHandles: UInt32? = nil, hcaObjects: UInt32? = nil) {
                self.hcaHandles = hcaHandles
                self.hcaObjects = hcaObjects
            }
        }
    }
}
