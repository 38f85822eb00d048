extension Spec {
    /// `process`: what nest-init runs inside the container.
    public struct Process: Codable, Sendable, Equatable {
        public var terminal: Bool?
        public var consoleSize: ConsoleSize?
        public var user: User
        public var args: [String]?
        /// Windows only in the spec; kept so that such configs round-trip.
        public var commandLine: String?
        public var env: [String]?
        public var cwd: String
        public var capabilities: Capabilities?
        public var rlimits: [Rlimit]?
        public var noNewPrivileges: Bool?
        public var apparmorProfile: String?
        public var oomScoreAdj: Int?
        public var selinuxLabel: String?
        public var ioPriority: IOPriority?
        public var scheduler: Scheduler?
        public var execCPUAffinity: CPUAffinity?

        public init(
            terminal: Bool? = nil, consoleSize: ConsoleSize? = nil, user: User = User(), args: [String]? = nil,
            commandLine: String? = nil, env: [String]? = nil, cwd: String = "/",
            capabilities: Capabilities? = nil, rlimits: [Rlimit]? = nil, noNewPrivileges: Bool? = nil,
            apparmorProfile: String? = nil, oomScoreAdj: Int? = nil, selinuxLabel: String? = nil,
            ioPriority: IOPriority? = nil, scheduler: Scheduler? = nil, execCPUAffinity: CPUAffinity? = nil
        ) {
            self.terminal = terminal
            self.consoleSize = consoleSize
            self.user = user
            self.args = args
            self.commandLine = commandLine
            self.env = env
            self.cwd = cwd
            self.capabilities = capabilities
            self.rlimits = rlimits
            self.noNewPrivileges = noNewPrivileges
            self.apparmorProfile = apparmorProfile
            self.oomScoreAdj = oomScoreAdj
            self.selinuxLabel = selinuxLabel
            self.ioPriority = ioPriority
            self.scheduler = scheduler
            self.execCPUAffinity = execCPUAffinity
        }

        public struct ConsoleSize: Codable, Sendable, Equatable {
            public var height: UInt64
            public var width: UInt64

            public init(height: UInt64, width: UInt64) {
                self.height = height
                self.width = width
            }
        }

        public struct User: Codable, Sendable, Equatable {
            public var uid: UInt32
            public var gid: UInt32
            public var umask: UInt32?
            public var additionalGids: [UInt32]?
            /// Windows only in the spec; kept so that such configs round-trip.
            public var username: String?

            public init(
                uid: UInt32 = 0, gid: UInt32 = 0, umask: UInt32? = nil, additionalGids: [UInt32]? = nil,
                username: String? = nil
            ) {
                self.uid = uid
                self.gid = gid
                self.umask = umask
                self.additionalGids = additionalGids
                self.username = username
            }
        }

        /// The five capability sets, each a list of `CAP_*` names (see `OCINames.capabilities`).
        public struct Capabilities: Codable, Sendable, Equatable {
            public var bounding: [String]?
            public var effective: [String]?
            public var inheritable: [String]?
            public var permitted: [String]?
            public var ambient: [String]?

            public init(
                bounding: [String]? = nil, effective: [String]? = nil, inheritable: [String]? = nil,
                permitted: [String]? = nil, ambient: [String]? = nil
            ) {
                self.bounding = bounding
                self.effective = effective
                self.inheritable = inheritable
                self.permitted = permitted
                self.ambient = ambient
            }

            /// Every set with its JSON key, in a fixed order.
            public var all: [(name: String, caps: [String])] {
                [("bounding", bounding), ("effective", effective), ("inheritable", inheritable),
                 ("permitted", permitted), ("ambient", ambient)]
                    .compactMap { name, caps in caps.map { (name, $0) } }
            }
        }

        public struct Rlimit: Codable, Sendable, Equatable {
            /// `RLIMIT_*` name (see `OCINames.rlimits`).
            public var type: String
            /// UInt64.max means RLIM_INFINITY.
            public var soft: UInt64
            public var hard: UInt64

            public init(type: String, soft: UInt64, hard: UInt64) {
                self.type = type
                self.soft = soft
                self.hard = hard
            }
        }

        /// `process.ioPriority` (1.2.0).
        public struct IOPriority: Codable, Sendable, Equatable {
            /// `IOPRIO_CLASS_RT`, `IOPRIO_CLASS_BE` or `IOPRIO_CLASS_IDLE`; JSON key `class`.
            public var ioClass: String
            public var priority: Int

            public init(ioClass: String, priority: Int) {
                self.ioClass = ioClass
                self.priority = priority
            }

            enum CodingKeys: String, CodingKey {
                case ioClass = "class"
                case priority
            }
        }

        /// `process.scheduler` (1.2.0), the arguments of sched_setattr(2).
        public struct Scheduler: Codable, Sendable, Equatable {
            public var policy: String
            public var nice: Int32?
            public var priority: Int32?
            public var flags: [String]?
            public var runtime: UInt64?
            public var deadline: UInt64?
            public var period: UInt64?

            public init(
                policy: String, nice: Int32? = nil, priority: Int32? = nil, flags: [String]? = nil,
                runtime: UInt64? = nil, deadline: UInt64? = nil, period: UInt64? = nil
            ) {
                self.policy = policy
                self.nice = nice
                self.priority = priority
                self.flags = flags
                self.runtime = runtime
                self.deadline = deadline
                self.period = period
            }
        }

        /// `process.execCPUAffinity` (1.2.0): cpu lists such as "0-3,7".
        public struct CPUAffinity: Codable, Sendable, Equatable {
            public var initial: String?
            public var final: String?

            public init(initial: String? = nil, final: String? = nil) {
                self.initial = initial
                self.final = final
            }
        }
    }
}
