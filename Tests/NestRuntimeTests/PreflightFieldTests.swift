import Foundation
import NestOCI
import NestSubsystem
import XCTest
@testable import NestRuntime

/// Every spec field the launcher does not apply is refused by its JSON
/// path; the spec's own example configs pass. No root: Preflight makes nothing.
final class PreflightFieldTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: TestEnv.repo + "/Tests/NestOCITests/Fixtures")

    static func fixture(_ name: String) throws -> Spec {
        try Spec.decode(Array(try Data(contentsOf: fixtures.appendingPathComponent(name + ".json"))))
    }

    /// What Preflight sees of SPEC: its process and its file system.
    static func refusals(_ spec: Spec) -> [SpecError] {
        let sub = Translator.translate(spec, options: TranslateOptions(id: "pf", bundlePath: "/b", rootfsPath: "/b/rootfs"))
        let vfs = sub.start("vfs")?.vfs
        guard let c = sub.processes.first?.container else { return [SpecError(path: "", message: "no init")] }
        return Preflight.unsupported(container: c, vfs: vfs)
    }

    typealias Edit = (inout Spec) -> Void
    static func resources(_ edit: @escaping (inout Spec.Linux.Resources) -> Void) -> Edit {
        { spec in
            var r = spec.linux!.resources ?? Spec.Linux.Resources()
            edit(&r)
            spec.linux!.resources = r
        }
    }
    static func mount(_ options: [String], uid: Bool = false, gid: Bool = false) -> Edit {
        { spec in
            let map = [Spec.IDMapping(containerID: 0, hostID: 100000, size: 65536)]
            spec.mounts!.append(Spec.Mount(destination: "/data", type: "bind", source: "/srv/data", options: options,
                                           uidMappings: uid ? map : nil, gidMappings: gid ? map : nil))
        }
    }
    static func seccomp(_ edit: @escaping (inout Spec.Linux.Seccomp) -> Void) -> Edit {
        { spec in
            var s = Spec.Linux.Seccomp(defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_X86_64"])
            edit(&s)
            spec.linux!.seccomp = s
        }
    }

    /// One field at a time, each with the path its refusal must name. (The
    /// LSM labels depend on the host: LSMLabelTests.)
    static var unapplied: [(field: String, edit: Edit)] {
        return [
            ("process.ioPriority", { $0.process!.ioPriority = .init(ioClass: "IOPRIO_CLASS_IDLE", priority: 0) }),
            ("process.scheduler", { $0.process!.scheduler = .init(policy: "SCHED_BATCH") }),
            ("process.execCPUAffinity", { $0.process!.execCPUAffinity = .init(initial: "0", final: "0-1") }),
            ("linux.personality", { $0.linux!.personality = .init(domain: "LINUX32") }),
            ("linux.intelRdt", { $0.linux!.intelRdt = .init(closID: "nest") }),
            ("linux.memoryPolicy", { $0.linux!.memoryPolicy = .init(mode: "MPOL_INTERLEAVE", nodes: "0") }),
            ("linux.netDevices.eth1", { $0.linux!.netDevices = ["eth1": .init(name: "net0")] }),
            ("mounts[7].options", mount(["rbind", "idmap"])),
            ("mounts[7].options", mount(["rbind", "ridmap"])),
            ("mounts[7].options", mount(["rbind", "rrw"])),
            ("mounts[7].options", mount(["rbind", "rnosymfollow"])),
            ("mounts[7].options", mount(["bind", "tmpcopyup"])),
            ("mounts[7].uidMappings", mount(["rbind"], uid: true)),
            ("mounts[7].gidMappings", mount(["rbind"], gid: true)),
            ("linux.seccomp.listenerPath", seccomp { $0.listenerPath = "/run/listener.sock" }),
            ("linux.seccomp.flags[1]", seccomp { $0.flags = ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"] }),
            ("linux.seccomp.listenerPath", seccomp {
                $0.listenerPath = "/run/listener.sock"
                $0.syscalls = [.init(names: ["mkdir"], action: "SCMP_ACT_NOTIFY")]
            }),
            ("linux.resources.memory.kernel", resources { $0.memory = .init(kernel: 1 << 26) }),
            ("linux.resources.memory.useHierarchy", resources { $0.memory = .init(useHierarchy: false) }),
            ("linux.resources.cpu.burst", resources { $0.cpu = .init(burst: 1000) }),
            ("linux.resources.cpu.realtimeRuntime", resources { $0.cpu = .init(realtimeRuntime: 950_000) }),
            ("linux.resources.cpu.realtimePeriod", resources { $0.cpu = .init(realtimePeriod: 1_000_000) }),
            ("linux.resources.cpu.idle", resources { $0.cpu = .init(idle: 1) }),
            ("linux.resources.rdma.mlx5_1", resources { $0.rdma = ["mlx5_1": .init(hcaHandles: 3)] }),
        ]
    }

    func testEachUnappliedFieldIsRefusedByItsPathAlone() throws {
        let base = try Self.fixture("runc-spec")
        XCTAssertEqual(base.mounts?.count, 7, "the mount cases add mounts[7]")
        XCTAssertEqual(Self.refusals(base), [])
        for (field, edit) in Self.unapplied {
            var spec = base
            edit(&spec)
            XCTAssertEqual(spec.validate(), [], "the case of \(field) is not a valid spec")
            let refusals = Self.refusals(spec)
            XCTAssertEqual(refusals.map(\.path), [field], "\(field): \(refusals)")
        }
    }

    func testAMountOptionRefusalNamesTheOption() throws {
        var spec = try Self.fixture("runc-spec")
        Self.mount(["rbind", "ro", "ridmap"])(&spec)
        XCTAssertEqual(Self.refusals(spec), [SpecError(path: "mounts[7].options", message: "mount option ridmap is not supported")])
    }

    func testCheckThrowsTheRefusalAsAnInvalidArgumentNamingTheField() throws {
        var spec = try Self.fixture("runc-spec")
        spec.linux!.personality = .init(domain: "LINUX")
        let sub = Translator.translate(spec, options: TranslateOptions(id: "pf", bundlePath: "/b", rootfsPath: "/b/rootfs"))
        let c = try XCTUnwrap(sub.processes.first?.container)
        XCTAssertThrowsError(try Preflight.check(c, vfs: sub.start("vfs")?.vfs)) { error in
            guard case .invalidArgument(let message, let field)? = error as? RuntimeError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(field, "linux.personality")
            XCTAssertTrue(message.contains("personality"), message)
        }
    }

    /// Values that ask for nothing, and fields the launcher does apply.
    func testNoOpValuesAndAppliedFieldsPass() throws {
        var spec = try Self.fixture("runc-spec")
        spec.process!.apparmorProfile = ""
        spec.process!.selinuxLabel = ""
        spec.process!.execCPUAffinity = .init()
        spec.process!.oomScoreAdj = 100
        spec.linux!.mountLabel = ""
        spec.linux!.netDevices = [:]
        spec.linux!.sysctl = ["net.ipv4.ip_forward": "1"]
        spec.linux!.resources = Spec.Linux.Resources(
            memory: .init(limit: 1 << 28, reservation: 1 << 27, swap: 1 << 29, kernel: -1, kernelTCP: -1,
                          disableOOMKiller: false, useHierarchy: true, checkBeforeUpdate: true),
            cpu: .init(shares: 512, quota: 50_000, period: 100_000, cpus: "0", mems: "0", idle: 0),
            pids: .init(limit: 64), blockIO: .init(weightDevice: [], throttleReadBpsDevice: []), hugepageLimits: [],
            network: .init(priorities: []), rdma: [:], unified: ["hugetlb.2MB.max": "max"])
        spec.mounts!.append(Spec.Mount(destination: "/data", type: "bind", source: "/srv/data",
                                       options: ["rbind", "rro", "rnosuid", "nosymfollow", "defaults", "rslave"],
                                       uidMappings: [], gidMappings: []))
        spec.linux!.seccomp = .init(defaultAction: "SCMP_ACT_ERRNO", architectures: ["SCMP_ARCH_X86_64"],
                                    flags: ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"],
                                    syscalls: [.init(names: ["read", "write"], action: "SCMP_ACT_ALLOW")])
        XCTAssertEqual(spec.validate(), [])
        XCTAssertEqual(Self.refusals(spec), [])
    }

    /// The resources Docker 20.10 puts in every config: zeros that mean unset.
    func testDockersUnsetResourcesPassAndWriteNothing() throws {
        var spec = try Self.fixture("runc-spec")
        spec.linux!.resources = Spec.Linux.Resources(
            memory: .init(disableOOMKiller: false), cpu: .init(shares: 0), blockIO: .init(weight: 0))
        XCTAssertEqual(spec.validate(), [])
        XCTAssertEqual(Self.refusals(spec), [])
        var q = Quota(cgroupsPath: "/nest/x")
        q.cpu = spec.linux!.resources!.cpu
        q.blockIO = spec.linux!.resources!.blockIO
        XCTAssertNil(q.limits.cpuShares)
        XCTAssertNil(q.limits.blkioWeight)
        q.cpu = .init(shares: 512)
        q.blockIO = .init(weight: 500)
        XCTAssertEqual(q.limits.cpuShares, 512)
        XCTAssertEqual(q.limits.blkioWeight, 500)
    }

    func testTheRuntimeSpecExampleConfigsPass() throws {
        for name in ["runc-spec", "crun-spec", "runc-spec-rootless", "crun-spec-rootless"] {
            XCTAssertEqual(Self.refusals(try Self.fixture(name)), [], name)
        }
    }

    /// The config `nest spec` writes, from the built binary.
    func testTheDefaultConfigOfNestSpecPasses() throws {
        let nest = TestEnv.repo + "/.build/debug/nest"
        guard FileManager.default.isExecutableFile(atPath: nest) else { throw XCTSkip("no \(nest): run swift build") }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("nest-pf-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: dir) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: nest)
        p.arguments = ["spec", "--bundle", dir.path]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        let spec = try Spec.decode(Array(try Data(contentsOf: dir.appendingPathComponent("config.json"))))
        XCTAssertEqual(spec.validate(), [])
        XCTAssertEqual(Self.refusals(spec), [])
    }
}
