import NestOCI

/// One eBPF instruction: the kernel's struct bpf_insn with its two register
/// nibbles apart (the C shim packs them).
struct BPFInstruction: Equatable, Sendable, CustomStringConvertible {
    var code: UInt8
    var dst: UInt8 = 0
    var src: UInt8 = 0
    var off: Int16 = 0
    var imm: Int32 = 0

    var description: String { "{\(code) r\(dst) r\(src) \(off) \(imm)}" }
}

/// The device rules as a BPF_PROG_TYPE_CGROUP_DEVICE program, what cgroup
/// v2 has in place of the v1 devices controller.
///
/// What it decides, for a request of one or more of mknod/read/write on a
/// device: each requested access is decided by the last rule that matches
/// the device and names that access (the spec applies the rules in order,
/// so a later rule overrides an earlier one, as writes to the v1
/// devices.allow and devices.deny do); the request is allowed only if
/// every access it asks for is; an access no rule names is denied.
///
/// How: the rules are tested last to first. R3 holds the accesses still
/// undecided; an allow rule that matches clears its accesses from R3 and
/// allows once none is left; a deny rule that matches one of them denies.
/// A rule for every device and access ends the program with its verdict:
/// the rules before it can no longer decide anything.
enum DeviceProgram {
    /// A rule as the program tests it; nil is "any".
    struct Rule: Equatable {
        var allow: Bool
        var type: Int32?
        var major: Int32?
        var minor: Int32?
        /// Bits of `Access`.
        var access: Int32
    }

    /// struct bpf_cgroup_dev_ctx: access_type's low 16 bits are the type,
    /// the high 16 the access.
    enum DevType { static let block: Int32 = 1, char: Int32 = 2 }
    enum Access { static let mknod: Int32 = 1, read: Int32 = 2, write: Int32 = 4, all: Int32 = 7 }

    enum Op {
        static let loadWord: UInt8 = 0x61      // BPF_LDX | BPF_MEM | BPF_W
        static let and32: UInt8 = 0x54         // BPF_ALU | BPF_AND | BPF_K
        static let rsh32: UInt8 = 0x74         // BPF_ALU | BPF_RSH | BPF_K
        static let mov32Reg: UInt8 = 0xbc      // BPF_ALU | BPF_MOV | BPF_X
        static let mov64: UInt8 = 0xb7         // BPF_ALU64 | BPF_MOV | BPF_K
        static let jumpIfEqual: UInt8 = 0x15   // BPF_JMP | BPF_JEQ | BPF_K
        static let jumpIfNot: UInt8 = 0x55     // BPF_JMP | BPF_JNE | BPF_K
        static let exit: UInt8 = 0x95          // BPF_JMP | BPF_EXIT
    }

    /// The spec's rules checked and made numbers; the error names the field
    /// (`linux.resources.devices[2].major`).
    static func rules(_ spec: [Spec.Linux.Resources.DeviceRule]) throws(RuntimeError) -> [Rule] {
        var out: [Rule] = []
        for (i, r) in spec.enumerated() {
            let field = "linux.resources.devices[\(i)]"
            let type: Int32?
            switch r.type ?? "a" {
            case "a": type = nil
            case "c": type = DevType.char
            case "b": type = DevType.block
            case let t: throw .invalidArgument("device rule type must be a, c or b, got \"\(t)\"", field: field + ".type")
            }
            var access: Int32 = 0
            for letter in r.access ?? "rwm" {
                switch letter {
                case "m": access |= Access.mknod
                case "r": access |= Access.read
                case "w": access |= Access.write
                default: throw .invalidArgument("must be letters of \"rwm\", got \"\(r.access ?? "")\"", field: field + ".access")
                }
            }
            if access == 0 { throw .invalidArgument("must be letters of \"rwm\", got \"\"", field: field + ".access") }
            out.append(Rule(allow: r.allow, type: type, major: try number(r.major, field + ".major"),
                            minor: try number(r.minor, field + ".minor"), access: access))
        }
        return out
    }

    /// -1 is "any", as runc reads it; a device number fits in 32 bits.
    private static func number(_ n: Int64?, _ field: String) throws(RuntimeError) -> Int32? {
        guard let n, n != -1 else { return nil }
        guard n >= 0, n <= Int64(Int32.max) else {
            throw .invalidArgument("must be a device number (0 to \(Int32.max)) or -1 for any, got \(n)", field: field)
        }
        return Int32(n)
    }

    static func instructions(_ rules: [Rule]) -> [BPFInstruction] {
        // R1 is the context; R2 the type, R3 the access, R4 the major,
        // R5 the minor.
        var code: [BPFInstruction] = [
            .init(code: Op.loadWord, dst: 2, src: 1, off: 0),
            .init(code: Op.and32, dst: 2, imm: 0xFFFF),
            .init(code: Op.loadWord, dst: 3, src: 1, off: 0),
            .init(code: Op.rsh32, dst: 3, imm: 16),
            .init(code: Op.loadWord, dst: 4, src: 1, off: 4),
            .init(code: Op.loadWord, dst: 5, src: 1, off: 8),
        ]
        var verdict: Int32 = 0
        for rule in rules.reversed() {
            if rule.type == nil, rule.major == nil, rule.minor == nil, rule.access == Access.all {
                verdict = rule.allow ? 1 : 0
                break
            }
            code += block(rule)
        }
        code += [.init(code: Op.mov64, dst: 0, imm: verdict), .init(code: Op.exit)]
        return code
    }

    /// One rule's test; every jump skips to the next rule's.
    private static func block(_ rule: Rule) -> [BPFInstruction] {
        var tests: [(register: UInt8, value: Int32)] = []
        if let t = rule.type { tests.append((2, t)) }
        if let m = rule.major { tests.append((4, m)) }
        if let m = rule.minor { tests.append((5, m)) }
        let body: [BPFInstruction] = rule.allow ? [
            .init(code: Op.and32, dst: 3, imm: ~rule.access & 0xFFFF),
            .init(code: Op.jumpIfNot, dst: 3, off: 2, imm: 0),
            .init(code: Op.mov64, dst: 0, imm: 1),
            .init(code: Op.exit),
        ] : [
            .init(code: Op.mov32Reg, dst: 1, src: 3),
            .init(code: Op.and32, dst: 1, imm: rule.access),
            .init(code: Op.jumpIfEqual, dst: 1, off: 2, imm: 0),
            .init(code: Op.mov64, dst: 0, imm: 0),
            .init(code: Op.exit),
        ]
        var out: [BPFInstruction] = []
        for (i, test) in tests.enumerated() {
            let after = tests.count - i - 1 + body.count
            out.append(.init(code: Op.jumpIfNot, dst: test.register, off: Int16(after), imm: test.value))
        }
        return out + body
    }
}
