import Testing
@testable import NestOCI

/// runc's update flags as a resources document, and the checks of a
/// resources document of its own.
@Suite struct ResourceFlagsTests {
    static let sizes: [(String, Int64)] = [
        ("1024", 1024), ("-1", -1), ("512k", 524_288), ("64m", 67_108_864), ("64M", 67_108_864), ("2g", 2_147_483_648),
        ("2GiB", 2_147_483_648), ("1.5g", 1_610_612_736), ("10 kb", 10_240), ("1t", 1_099_511_627_776), ("0", 0), ("0.5k", 512),
    ]

    @Test(arguments: sizes)
    func sizesReadAsRuncReadsThem(text: String, bytes: Int64) throws {
        #expect(try ResourceFlags.bytes(text, flag: "--memory") == bytes)
    }

    @Test(arguments: ["", "-2", "12q", "m", "1..5m", "1.m", ".5m", "0x10", "99999999999p", "1e3", " 5m", "5mm"])
    func badSizesAreErrorsNamingTheFlag(text: String) {
        #expect(throws: SpecError.self) { try ResourceFlags.bytes(text, flag: "--memory-swap") }
        do { _ = try ResourceFlags.bytes(text, flag: "--memory-swap") } catch { #expect(error.path == "--memory-swap") }
    }

    @Test func flagsMakeTheResourcesDocument() throws {
        let r = try ResourceFlags.resources([
            "--memory": "64m", "--memory-swap": "-1", "--memory-reservation": "32m", "--cpu-share": "512",
            "--cpu-period": "100000", "--cpu-quota": "-1", "--cpuset-cpus": "0-1", "--cpuset-mems": "0",
            "--pids-limit": "20", "--blkio-weight": "300",
        ])
        #expect(r == Spec.Linux.Resources(
            memory: .init(limit: 64 << 20, reservation: 32 << 20, swap: -1),
            cpu: .init(shares: 512, quota: -1, period: 100_000, cpus: "0-1", mems: "0"),
            pids: .init(limit: 20), blockIO: .init(weight: 300)))
        #expect(try ResourceFlags.resources(["--pids-limit": "5"]) == Spec.Linux.Resources(pids: .init(limit: 5)))
        #expect(try ResourceFlags.resources([:]).isEmpty)
    }

    static let badFlags: [([String: String], String, String)] = [
        (["--cpu-share": "-1"], "--cpu-share", "must be a whole number from 0 to 18446744073709551615, got \"-1\""),
        (["--blkio-weight": "70000"], "--blkio-weight", "must be a whole number from 0 to 65535, got \"70000\""),
        (["--pids-limit": "ten"], "--pids-limit", "must be a whole number, got \"ten\""),
        (["--cpus": "1"], "--cpus", "not a resource flag"),
    ]

    @Test(arguments: badFlags)
    func badFlagsAreNamed(values: [String: String], path: String, message: String) {
        do {
            _ = try ResourceFlags.resources(values)
            Issue.record("\(values) was taken")
        } catch {
            #expect(error == SpecError(path: path, message: message))
        }
    }

    @Test func fieldsMapBackToFlags() {
        #expect(ResourceFlags.flag(for: "memory.limit") == "--memory")
        #expect(ResourceFlags.flag(for: "cpu.shares") == "--cpu-share")
        #expect(ResourceFlags.flag(for: "blockIO.weight") == "--blkio-weight")
        #expect(ResourceFlags.flag(for: "unified") == nil)
    }

    @Test func aResourcesDocumentIsCheckedWithPathsOfItsOwn() {
        let r = Spec.Linux.Resources(memory: .init(limit: 64 << 20, swap: 32 << 20), cpu: .init(shares: 1, quota: 10),
                                     blockIO: .init(weight: 5), unified: ["a/b": "1"])
        #expect(r.validate().map(\.path) == ["memory.swap", "cpu.shares", "cpu.quota", "blockIO.weight", #"unified["a/b"]"#])
        #expect(Spec.Linux.Resources(memory: .init(limit: 1 << 20)).validate() == [])
    }
}
