/// The single-value flags of runc's `update` (and docker's and nestctl's),
/// as a `linux.resources` document: what `nest update` and `nestctl update`
/// send where `--resources FILE` would. A value that does not read is an
/// error naming its flag; range checks are the document's
/// (`Spec.Linux.Resources.validate()`), whose field paths `flag(for:)` maps
/// back to the flags.
public enum ResourceFlags {
    /// Each flag and the field it sets.
    public static let fields: [(flag: String, field: String)] = [
        ("--memory", "memory.limit"),
        ("--memory-swap", "memory.swap"),
        ("--memory-reservation", "memory.reservation"),
        ("--kernel-memory", "memory.kernel"),
        ("--kernel-memory-tcp", "memory.kernelTCP"),
        ("--cpu-share", "cpu.shares"),
        ("--cpu-period", "cpu.period"),
        ("--cpu-quota", "cpu.quota"),
        ("--cpuset-cpus", "cpu.cpus"),
        ("--cpuset-mems", "cpu.mems"),
        ("--pids-limit", "pids.limit"),
        ("--blkio-weight", "blockIO.weight"),
    ]

    /// The flag that sets a field (`memory.limit` → `--memory`).
    public static func flag(for field: String) -> String? {
        fields.first { $0.field == field }?.flag
    }

    /// The resources the flags ask for, keyed by the names in `fields`.
    public static func resources(_ values: [String: String]) throws(SpecError) -> Spec.Linux.Resources {
        for key in values.keys.sorted() where !fields.contains(where: { $0.flag == key }) {
            throw SpecError(path: key, message: "not a resource flag")
        }
        var r = Spec.Linux.Resources()
        func bytes(_ flag: String) throws(SpecError) -> Int64? {
            try values[flag].map { v throws(SpecError) in try Self.bytes(v, flag: flag) }
        }
        func number<I: FixedWidthInteger>(_ flag: String, _ type: I.Type) throws(SpecError) -> I? {
            guard let text = values[flag] else { return nil }
            guard let v = I(text) else {
                let range = I.min == 0 ? "a whole number from 0 to \(I.max)" : "a whole number"
                throw SpecError(path: flag, message: "must be \(range), got \"\(text)\"")
            }
            return v
        }
        var memory = Spec.Linux.Resources.Memory()
        memory.limit = try bytes("--memory")
        memory.swap = try bytes("--memory-swap")
        memory.reservation = try bytes("--memory-reservation")
        memory.kernel = try bytes("--kernel-memory")
        memory.kernelTCP = try bytes("--kernel-memory-tcp")
        if memory != Spec.Linux.Resources.Memory() { r.memory = memory }
        var cpu = Spec.Linux.Resources.CPU()
        cpu.shares = try number("--cpu-share", UInt64.self)
        cpu.period = try number("--cpu-period", UInt64.self)
        cpu.quota = try number("--cpu-quota", Int64.self)
        cpu.cpus = values["--cpuset-cpus"]
        cpu.mems = values["--cpuset-mems"]
        if cpu != Spec.Linux.Resources.CPU() { r.cpu = cpu }
        if let limit = try number("--pids-limit", Int64.self) { r.pids = Spec.Linux.Resources.Pids(limit: limit) }
        if let weight = try number("--blkio-weight", UInt16.self) { r.blockIO = Spec.Linux.Resources.BlockIO(weight: weight) }
        return r
    }

    /// Bytes from `1024`, `512k`, `64m`, `1.5g`, `2GiB` (binary multiples,
    /// any case, as runc and docker read them), or -1 for unlimited.
    public static func bytes(_ text: String, flag: String) throws(SpecError) -> Int64 {
        if text == "-1" { return -1 }
        let bad = SpecError(path: flag, message: "must be a number of bytes with an optional unit (k, m, g, t, p), or -1, got \"\(text)\"")
        var s = Substring(text.lowercased())
        if s.hasSuffix("b") { s = s.dropLast() }
        if s.hasSuffix("i") { s = s.dropLast() }
        var shift = 0
        if let unit = s.last, let i = ["k", "m", "g", "t", "p"].firstIndex(of: unit) {
            shift = 10 * (i + 1)
            s = s.dropLast()
        }
        if s.hasSuffix(" ") { s = s.dropLast() }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let whole = Int64(parts[0])
        else { throw bad }
        let multiplier = Int64(1) << shift
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { throw SpecError(path: flag, message: "\"\(text)\" is too large") }
        guard parts.count == 2 else { return scaled }
        // The fraction of the unit, rounded down (a fraction of a byte is none).
        let digits = parts[1].prefix(18)
        guard let fraction = Int64(digits) else { throw bad }
        var scale: Int64 = 1
        for _ in 0..<digits.count { scale *= 10 }
        let extra = Double(fraction) / Double(scale) * Double(multiplier)
        let (total, over) = scaled.addingReportingOverflow(Int64(extra))
        guard !over else { throw SpecError(path: flag, message: "\"\(text)\" is too large") }
        return total
    }
}
