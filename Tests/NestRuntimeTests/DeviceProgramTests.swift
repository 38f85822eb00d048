import NestOCI
import XCTest
@testable import NestRuntime

/// The cgroup v2 device program, run by a small interpreter: whatever the
/// rules, it must decide as the spec's ordered rules do (the last rule that
/// names a device and an access decides it; what no rule names is denied).
final class DeviceProgramTests: XCTestCase {
    typealias Rule = Spec.Linux.Resources.DeviceRule

    /// The decision the rules ask for, worked out without the program.
    func expected(_ rules: [Rule], type: String, major: Int64, minor: Int64, access: Set<Character>) -> Bool {
        access.allSatisfy { letter in
            let last = rules.last { r in
                (r.type ?? "a" == "a" || r.type == type) && (r.major ?? -1 == -1 || r.major == major)
                    && (r.minor ?? -1 == -1 || r.minor == minor) && (r.access ?? "rwm").contains(letter)
            }
            return last?.allow ?? false
        }
    }

    func decide(_ code: [BPFInstruction], type: String, major: Int64, minor: Int64, access: Set<Character>) throws -> Bool {
        let bits = (access.contains("m") ? 1 : 0) | (access.contains("r") ? 2 : 0) | (access.contains("w") ? 4 : 0)
        let verdict = try BPFInterpreter.run(code, type: type == "b" ? 1 : 2, access: UInt32(bits),
                                             major: UInt32(major), minor: UInt32(minor))
        XCTAssertTrue(verdict == 0 || verdict == 1, "a device program returns 0 or 1, got \(verdict)")
        return verdict == 1
    }

    static let requests: [Set<Character>] = [["m"], ["r"], ["w"], ["r", "w"], ["m", "r"], ["m", "w"], ["m", "r", "w"]]

    /// Every request over a few devices, program against the rules.
    func assertDecidesAsTheRules(_ rules: [Rule], file: StaticString = #filePath, line: UInt = #line) throws {
        let code = DeviceProgram.instructions(try DeviceProgram.rules(rules))
        for type in ["c", "b"] {
            for major: Int64 in [1, 5, 10, 136] {
                for minor: Int64 in [0, 1, 3, 237] {
                    for access in Self.requests {
                        let want = expected(rules, type: type, major: major, minor: minor, access: access)
                        let got = try decide(code, type: type, major: major, minor: minor, access: access)
                        if got != want {
                            XCTFail("\(type) \(major):\(minor) \(String(access.sorted())): program says \(got), rules \(want): \(rules)",
                                    file: file, line: line)
                            return
                        }
                    }
                }
            }
        }
    }

    func testTheTranslatorsDefaultRulesAllowTheNodesAndDenyTheRest() throws {
        let rules = [Rule(allow: false, access: "rwm"),
                     Rule(allow: true, type: "c", major: 1, minor: 3, access: "rwm"),
                     Rule(allow: true, type: "c", major: 5, minor: 2, access: "rwm"),
                     Rule(allow: true, type: "c", major: 136, access: "rwm")]
        try assertDecidesAsTheRules(rules)
        let code = DeviceProgram.instructions(try DeviceProgram.rules(rules))
        XCTAssertTrue(try decide(code, type: "c", major: 1, minor: 3, access: ["r", "w"]))
        XCTAssertTrue(try decide(code, type: "c", major: 136, minor: 7, access: ["m"]))
        XCTAssertFalse(try decide(code, type: "c", major: 1, minor: 1, access: ["m"]), "/dev/mem")
        XCTAssertFalse(try decide(code, type: "b", major: 1, minor: 3, access: ["r"]), "a block device of the same numbers")
    }

    func testALaterRuleOverridesAnEarlierOneAccessByAccess() throws {
        let rules = [Rule(allow: true, type: "c", major: 1, access: "rwm"),
                     Rule(allow: false, type: "c", major: 1, minor: 3, access: "w"),
                     Rule(allow: true, type: "c", major: 5, minor: 1, access: "r"),
                     Rule(allow: true, type: "c", major: 5, minor: 1, access: "w")]
        try assertDecidesAsTheRules(rules)
        let code = DeviceProgram.instructions(try DeviceProgram.rules(rules))
        XCTAssertTrue(try decide(code, type: "c", major: 1, minor: 3, access: ["r"]))
        XCTAssertFalse(try decide(code, type: "c", major: 1, minor: 3, access: ["r", "w"]), "the later deny of w decides")
        XCTAssertTrue(try decide(code, type: "c", major: 5, minor: 1, access: ["r", "w"]), "r and w allowed by two rules")
    }

    func testNoRulesDenyEverythingAndAnAllowAllAllowsEverything() throws {
        let none = DeviceProgram.instructions([])
        XCTAssertFalse(try decide(none, type: "c", major: 1, minor: 3, access: ["r"]))
        try assertDecidesAsTheRules([Rule(allow: true)])
        try assertDecidesAsTheRules([Rule(allow: true, type: "a", access: "rwm"), Rule(allow: false, type: "b", access: "m")])
    }

    /// A rule for every device and access decides all that the rules before
    /// it would: they are not in the program.
    func testRulesBeforeARuleForEverythingAreLeftOut() throws {
        let alone = DeviceProgram.instructions(try DeviceProgram.rules([Rule(allow: false, access: "rwm")]))
        let after = DeviceProgram.instructions(try DeviceProgram.rules([
            Rule(allow: true, type: "c", major: 1, minor: 3), Rule(allow: false, access: "rwm")]))
        XCTAssertEqual(after, alone)
        XCTAssertEqual(alone.suffix(2), [BPFInstruction(code: DeviceProgram.Op.mov64, dst: 0, imm: 0),
                                         BPFInstruction(code: DeviceProgram.Op.exit)])
    }

    /// Many rule lists a small generator makes (fixed seed): every decision
    /// of the program is the rules' own.
    func testGeneratedRuleListsDecideAsTheirRules() throws {
        var seed: UInt64 = 0x5eed
        func next(_ n: Int) -> Int {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Int((seed >> 33) % UInt64(n))
        }
        for _ in 0..<300 {
            var rules: [Rule] = []
            for _ in 0..<next(7) {
                let access = ["m", "r", "w", "rw", "rm", "wm", "rwm"][next(7)]
                rules.append(Rule(allow: next(2) == 0, type: [nil, "a", "c", "b"][next(4)],
                                  major: [nil, -1, 1, 5, 136][next(5)], minor: [nil, 1, 3, 237][next(4)],
                                  access: next(5) == 0 ? nil : access))
            }
            try assertDecidesAsTheRules(rules)
        }
    }

    func testOneRulesInstructions() throws {
        let code = DeviceProgram.instructions(try DeviceProgram.rules([Rule(allow: true, type: "c", major: 1, minor: 3, access: "rw")]))
        let op = DeviceProgram.Op.self
        XCTAssertEqual(Array(code.dropFirst(6)), [
            BPFInstruction(code: op.jumpIfNot, dst: 2, off: 6, imm: 2),
            BPFInstruction(code: op.jumpIfNot, dst: 4, off: 5, imm: 1),
            BPFInstruction(code: op.jumpIfNot, dst: 5, off: 4, imm: 3),
            BPFInstruction(code: op.and32, dst: 3, imm: 0xFFFF & ~6),
            BPFInstruction(code: op.jumpIfNot, dst: 3, off: 2, imm: 0),
            BPFInstruction(code: op.mov64, dst: 0, imm: 1),
            BPFInstruction(code: op.exit),
            BPFInstruction(code: op.mov64, dst: 0, imm: 0),
            BPFInstruction(code: op.exit),
        ])
    }

    func testABadRuleIsAnErrorNamingItsField() {
        let cases: [(Rule, String)] = [
            (Rule(allow: true, type: "c", major: -2), "linux.resources.devices[1].major"),
            (Rule(allow: true, type: "c", major: 1, minor: 1 << 40), "linux.resources.devices[1].minor"),
            (Rule(allow: true, type: "x"), "linux.resources.devices[1].type"),
            (Rule(allow: true, access: "rx"), "linux.resources.devices[1].access"),
        ]
        for (rule, field) in cases {
            XCTAssertThrowsError(try DeviceProgram.rules([Rule(allow: false), rule])) { e in
                XCTAssertTrue("\(e)".hasPrefix(field + ": "), "\(e)")
            }
        }
    }
}
