// The limits of CgroupLimits that only some hierarchies have: v1-only memory
// knobs, per-device block I/O, huge pages, and the network classifiers.

extension CgroupLimits {
    public struct Knobs: Sendable, Equatable {
        /// v1 `memory.swappiness` (cgroup v2 has none).
        public var swappiness: UInt64?
        /// v1 `memory.oom_control` (cgroup v2 cannot turn the OOM killer off).
        public var disableOOMKiller: Bool?
        /// Bytes; v1 `memory.kmem.tcp.limit_in_bytes`.
        public var kernelTCP: Int64?
        /// v1 `blkio.leaf_weight` (the CFQ scheduler's, gone since Linux 5.0).
        public var blkioLeafWeight: UInt16?
        /// Merged by device: a line per device is what the kernel keeps.
        public var weightDevices: [WeightDevice] = []
        public var throttles: [Throttle] = []
        /// Merged by page size.
        public var hugepages: [Hugepage] = []
        /// v1 `net_cls.classid`.
        public var netClassID: UInt32?
        /// v1 `net_prio.ifpriomap`, merged by interface.
        public var netPriorities: [NetPriority] = []

        public init() {}

        public var isEmpty: Bool { self == Knobs() }

        /// These with each one `other` sets in its place.
        func overridden(by other: Knobs) -> Knobs {
            var m = self
            if let v = other.swappiness { m.swappiness = v }
            if let v = other.disableOOMKiller { m.disableOOMKiller = v }
            if let v = other.kernelTCP { m.kernelTCP = v }
            if let v = other.blkioLeafWeight { m.blkioLeafWeight = v }
            if let v = other.netClassID { m.netClassID = v }
            m.weightDevices = Self.merge(weightDevices, other.weightDevices) { "\($0.major):\($0.minor)" }
            m.throttles = Self.merge(throttles, other.throttles) { "\($0.kind) \($0.major):\($0.minor)" }
            m.hugepages = Self.merge(hugepages, other.hugepages) { Hugepage.kilobytes($0.pageSize).map(String.init) ?? $0.pageSize }
            m.netPriorities = Self.merge(netPriorities, other.netPriorities) { $0.name }
            return m
        }

        static func merge<T>(_ old: [T], _ new: [T], key: (T) -> String) -> [T] {
            var out = old
            for n in new {
                if let i = out.firstIndex(where: { key($0) == key(n) }) { out[i] = n } else { out.append(n) }
            }
            return out
        }
    }

    public struct WeightDevice: Sendable, Equatable {
        public var major: Int64
        public var minor: Int64
        public var weight: UInt16?
        public var leafWeight: UInt16?
        public init(major: Int64, minor: Int64, weight: UInt16?, leafWeight: UInt16?) {
            self.major = major
            self.minor = minor
            self.weight = weight
            self.leafWeight = leafWeight
        }
    }

    public struct Throttle: Sendable, Equatable {
        public enum Kind: String, Sendable, CaseIterable {
            case readBps = "read_bps", writeBps = "write_bps", readIOPS = "read_iops", writeIOPS = "write_iops"

            /// The key of the v2 `io.max` line.
            var ioMaxKey: String {
                switch self {
                case .readBps: "rbps"
                case .writeBps: "wbps"
                case .readIOPS: "riops"
                case .writeIOPS: "wiops"
                }
            }
        }
        public var kind: Kind
        public var major: Int64
        public var minor: Int64
        public var rate: UInt64
        public init(kind: Kind, major: Int64, minor: Int64, rate: UInt64) {
            self.kind = kind
            self.major = major
            self.minor = minor
            self.rate = rate
        }
    }

    public struct Hugepage: Sendable, Equatable {
        /// As the spec gives it: "2MB", "1GB", "64KB".
        public var pageSize: String
        public var limit: UInt64
        public init(pageSize: String, limit: UInt64) {
            self.pageSize = pageSize
            self.limit = limit
        }

        /// "2MB" -> 2048; nil when not digits then KB, MB or GB.
        static func kilobytes(_ pageSize: String) -> UInt64? {
            let digits = pageSize.prefix { $0.isASCII && $0.isNumber }
            guard let n = UInt64(digits), n > 0 else { return nil }
            let shift: UInt64
            switch pageSize.dropFirst(digits.count) {
            case "KB": shift = 0
            case "MB": shift = 10
            case "GB": shift = 20
            default: return nil
            }
            guard n <= UInt64.max >> 30 else { return nil }
            return n << shift
        }

        /// The size in the kernel's hugetlb file names: the largest unit
        /// (mm/hugetlb_cgroup.c's mem_fmt), so a "2048KB" page is "2MB".
        static func kernelName(kilobytes kb: UInt64) -> String {
            if kb >= 1 << 20 { return "\(kb >> 20)GB" }
            if kb >= 1 << 10 { return "\(kb >> 10)MB" }
            return "\(kb)KB"
        }

        /// The kernel's name of this page size; nil when malformed.
        var kernelName: String? { Self.kilobytes(pageSize).map(Self.kernelName(kilobytes:)) }
    }

    public struct NetPriority: Sendable, Equatable {
        public var name: String
        public var priority: UInt32
        public init(name: String, priority: UInt32) {
            self.name = name
            self.priority = priority
        }
    }
}
