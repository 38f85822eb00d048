@testable import NestRuntime

/// Runs a device program as the kernel would, for the instructions
/// DeviceProgram emits; anything else, a jump out of the program or a fall
/// off its end is a failure, as the verifier would refuse it.
struct BPFInterpreter {
    struct Fault: Error, CustomStringConvertible { var description: String }

    /// The program's return value for a bpf_cgroup_dev_ctx.
    static func run(_ code: [BPFInstruction], type: UInt32, access: UInt32, major: UInt32, minor: UInt32) throws -> UInt64 {
        let ctx: [Int16: UInt32] = [0: access << 16 | type, 4: major, 8: minor]
        var r = [UInt64](repeating: 0, count: 11)
        var written: Set<UInt8> = [1]
        var pc = 0
        func read(_ reg: UInt8) throws -> UInt64 {
            guard written.contains(reg) else { throw Fault(description: "r\(reg) read before written at \(pc)") }
            return r[Int(reg)]
        }
        // Only R1, until overwritten, points at the context.
        var isContext: Set<UInt8> = [1]
        func set(_ reg: UInt8, _ value: UInt64) {
            r[Int(reg)] = value
            written.insert(reg)
            isContext.remove(reg)
        }
        var steps = 0
        while true {
            guard code.indices.contains(pc) else { throw Fault(description: "pc \(pc) outside the program") }
            steps += 1
            guard steps < 10_000 else { throw Fault(description: "no exit") }
            let i = code[pc]
            let imm32 = UInt32(bitPattern: i.imm)
            let imm64 = UInt64(bitPattern: Int64(i.imm))
            pc += 1
            switch i.code {
            case DeviceProgram.Op.loadWord:
                guard isContext.contains(i.src), let word = ctx[i.off] else { throw Fault(description: "bad load at \(pc - 1)") }
                set(i.dst, UInt64(word))
            case DeviceProgram.Op.and32: set(i.dst, UInt64(UInt32(truncatingIfNeeded: try read(i.dst)) & imm32))
            case DeviceProgram.Op.rsh32: set(i.dst, UInt64(UInt32(truncatingIfNeeded: try read(i.dst)) >> imm32))
            case DeviceProgram.Op.mov32Reg: set(i.dst, UInt64(UInt32(truncatingIfNeeded: try read(i.src))))
            case DeviceProgram.Op.mov64: set(i.dst, imm64)
            case DeviceProgram.Op.jumpIfEqual: if try read(i.dst) == imm64 { pc += Int(i.off) }
            case DeviceProgram.Op.jumpIfNot: if try read(i.dst) != imm64 { pc += Int(i.off) }
            case DeviceProgram.Op.exit: return try read(0)
            default: throw Fault(description: "unknown opcode \(i.code) at \(pc - 1)")
            }
        }
    }
}
