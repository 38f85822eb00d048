import Foundation
import XCTest
@testable import NestRuntime

/// The freezer (v1 freezer.state, v2 cgroup.freeze) and all-or-nothing
/// updates, on this host's real cgroups. A hybrid host has both freezers:
/// the v2 one is tried on the unified dir every container also gets.
extension CgroupTests {
    /// A cgroup of its own in every hierarchy, with a `sleep` in it; both
    /// removed at the end of the test.
    func cgroupWithSleeper(_ limits: CgroupLimits = CgroupLimits()) throws -> (CgroupManager, CgroupPaths, Process) {
        let (manager, _) = try realV1()
        let p = try manager.create(path: "/nest-test-\(UUID().uuidString)", limits: limits)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["60"]
        try child.run()
        addTeardownBlock {
            try? manager.thaw(p, wait: false)
            if let dir = p.unifiedDir { try? CgroupManager.thawV2(dir, wait: false) }
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            try? manager.destroy(p, killRemaining: true)
        }
        for dir in p.joinDirs {
            try "\(child.processIdentifier)".write(toFile: dir + "/cgroup.procs", atomically: false, encoding: .utf8)
        }
        return (manager, p, child)
    }

    /// The process's state letter from /proc/PID/stat (a sleeper frozen by
    /// the v1 freezer shows D; thawed, S or R).
    func procState(_ pid: Int32) throws -> String {
        let stat = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)
        let afterName = try XCTUnwrap(stat.range(of: ") ", options: .backwards))
        return String(stat[afterName.upperBound...].prefix(1))
    }

    func testRealFreezerFreezesAndThawsTheProcessesOfACgroup() throws {
        let (manager, p, child) = try cgroupWithSleeper()
        guard case .v1(let dir)? = manager.freezer(p) else { throw XCTSkip("needs the v1 freezer controller") }
        XCTAssertFalse(manager.isFrozen(p))
        try manager.freeze(p)
        XCTAssertTrue(manager.isFrozen(p))
        XCTAssertEqual(try read(dir + "/freezer.state"), "FROZEN")
        XCTAssertEqual(try procState(child.processIdentifier), "D")
        try manager.thaw(p)
        XCTAssertFalse(manager.isFrozen(p))
        XCTAssertEqual(try read(dir + "/freezer.state"), "THAWED")
        XCTAssertNotEqual(try procState(child.processIdentifier), "D")
    }

    func testRealV2FreezerOnTheUnifiedDir() throws {
        let (_, p, _) = try cgroupWithSleeper()
        guard let dir = p.unifiedDir, FileManager.default.fileExists(atPath: dir + "/cgroup.freeze") else {
            throw XCTSkip("needs a cgroup v2 hierarchy with cgroup.freeze")
        }
        XCTAssertFalse(CgroupManager.eventsSayFrozen(dir))
        try CgroupManager.freezeV2(dir)
        XCTAssertTrue(CgroupManager.eventsSayFrozen(dir))
        XCTAssertEqual(try read(dir + "/cgroup.freeze"), "1")
        try CgroupManager.thawV2(dir, wait: true)
        XCTAssertFalse(CgroupManager.eventsSayFrozen(dir))
    }

    func testThawingBelowAFrozenCgroupIsAnErrorThatSaysSo() throws {
        let (manager, _) = try realV1()
        let top = "/nest-test-\(UUID().uuidString)"
        let parent = try manager.create(path: top, limits: CgroupLimits())
        let inner = try manager.create(path: top + "/inner", limits: CgroupLimits())
        defer {
            try? manager.thaw(parent)
            try? manager.destroy(inner, killRemaining: true)
            try? manager.destroy(parent, killRemaining: true)
        }
        guard case .v1? = manager.freezer(parent) else { throw XCTSkip("needs the v1 freezer controller") }
        try manager.freeze(parent)
        XCTAssertTrue(manager.isFrozen(inner), "a frozen parent freezes what is below it")
        XCTAssertThrowsError(try manager.thaw(inner)) { e in
            XCTAssertTrue("\(e)".contains("an enclosing cgroup is frozen"), "\(e)")
        }
        try manager.thaw(parent)
        XCTAssertFalse(manager.isFrozen(inner))
    }

    func testRealV1UpdateTheKernelRefusesLeavesEveryLimitAsItWas() throws {
        let (manager, v1) = try realV1()
        guard v1["cpuset"] != nil else { throw XCTSkip("needs the v1 cpuset controller") }
        let name = "/nest-test-\(UUID().uuidString)"
        let p = try manager.create(path: name, limits: CgroupLimits(cpuQuota: 50000, cpuPeriod: 100_000, pidsLimit: 10))
        defer { try? manager.destroy(p, killRemaining: true) }
        let cpu = v1["cpu"]! + name
        // cpu is written before cpuset, which the kernel refuses; pids would come after.
        XCTAssertThrowsError(try manager.update(p, limits: CgroupLimits(cpuQuota: 20000, cpus: "999", pidsLimit: 20))) { e in
            XCTAssertTrue((e as? CgroupError)?.message.hasPrefix("cpuset.cpus: ") == true, "\(e)")
        }
        XCTAssertEqual(try read(cpu + "/cpu.cfs_quota_us"), "50000")
        XCTAssertEqual(try read(p.pidsDir! + "/pids.max"), "10")
        try manager.update(p, limits: CgroupLimits(cpuQuota: 20000, pidsLimit: 20))
        XCTAssertEqual(try read(cpu + "/cpu.cfs_quota_us"), "20000")
        XCTAssertEqual(try read(p.pidsDir! + "/pids.max"), "20")
    }
}
