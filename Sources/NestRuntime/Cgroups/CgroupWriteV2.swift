// Writing limits: the cgroup v2 control files of a pure v2 host.

extension CgroupManager {
    /// memory.max, memory.low, memory.swap.max, cpu.weight, cpu.max,
    /// cpuset.cpus, cpuset.mems, pids.max (the unified map is written after).
    func writeV2(_ limits: CgroupLimits, dir: String) throws {
        if let limit = limits.memoryLimit {
            try writeV2File(dir + "/memory.max", Self.maxValue(limit))
        }
        if let swap = Self.v2SwapValue(memory: limits.memoryLimit, swap: limits.memorySwap) {
            let file = dir + "/memory.swap.max"
            if CgroupFS.exists(file) {
                try writeV2File(file, swap)
            } else if swap != "max" && swap != "0" {
                throw CgroupError(path: file, message: "memory.swap.max: swap accounting not enabled")
            }
        }
        if let r = limits.memoryReservation {
            try writeV2File(dir + "/memory.low", Self.maxValue(r))
        }
        if let weight = limits.cpuWeight ?? limits.cpuShares.map(Self.sharesToWeight) {
            try writeV2File(dir + "/cpu.weight", String(weight))
        }
        if let cpuMax = Self.cpuMaxValue(quota: limits.cpuQuota, period: limits.cpuPeriod) {
            try writeV2File(dir + "/cpu.max", cpuMax)
        }
        if let cpus = limits.cpus { try writeV2File(dir + "/cpuset.cpus", cpus) }
        if let mems = limits.mems { try writeV2File(dir + "/cpuset.mems", mems) }
        if let p = limits.pidsLimit { try writeV2File(dir + "/pids.max", Self.pidsValue(p)) }
        if let w = limits.blkioWeight {
            // BFQ takes the v1 weight as it is; io.weight has its own range.
            if CgroupFS.exists(dir + "/io.bfq.weight") {
                try writeV2File(dir + "/io.bfq.weight", String(w))
            } else {
                try writeV2File(dir + "/io.weight", "default \(Self.blkioToIOWeight(w))")
            }
        }
    }

    /// v1 blkio weight (10...1000) -> v2 io.weight (1...10000).
    static func blkioToIOWeight(_ w: UInt16) -> UInt64 {
        let v = UInt64(min(max(w, 10), 1000))
        return 1 + (v - 10) * 9999 / 990
    }

    /// -1 (any negative) = "max".
    static func maxValue(_ v: Int64) -> String { v < 0 ? "max" : String(v) }

    /// OCI memory+swap total -> v2 swap only: swap - memory; -1 = "max".
    /// (validate() has refused a swap limit without a memory limit, or below it.)
    static func v2SwapValue(memory: Int64?, swap: Int64?) -> String? {
        guard let swap, swap != 0 else { return nil }  // OCI: 0 = unset
        if swap < 0 { return "max" }
        guard let memory, memory > 0 else { return nil }
        return String(max(swap - memory, 0))
    }

    /// "quota period"; quota nil/<= 0 = "max"; period alone keeps "max".
    static func cpuMaxValue(quota: Int64?, period: UInt64?) -> String? {
        guard quota != nil || period != nil else { return nil }
        let q = quota.map { $0 > 0 ? String($0) : "max" } ?? "max"
        guard let period else { return q }
        return q + " " + String(period)
    }
}
