import Foundation
import NestOCI
import XCTest
@testable import NestRuntime

/// What the host checks refuse on a pure v2 host, and the v2 files and
/// lines of huge pages and block I/O (against a fake tree). No root.
final class CgroupKnobUnitTests: XCTestCase {
    var root = ""

    override func setUpWithError() throws {
        var template = Array("/tmp/nest-cgm-XXXXXX".utf8CString)
        root = String(cString: try XCTUnwrap(mkdtemp(&template)))
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: root)
        super.tearDown()
    }

    /// A v2 root whose new dirs get the files a kernel would show, empty.
    func fakeV2(files: [String]) throws -> CgroupManager {
        try "cpu io memory pids hugetlb\n".write(toFile: root + "/cgroup.controllers", atomically: false, encoding: .utf8)
        try "".write(toFile: root + "/cgroup.subtree_control", atomically: false, encoding: .utf8)
        let all = files + ["cgroup.controllers", "cgroup.subtree_control", "cgroup.procs", "memory.max", "pids.max"]
        let hooks = CgroupHooks(didMakeDir: { dir in
            for f in all { _ = FileManager.default.createFile(atPath: dir + "/" + f, contents: Data()) }
        }, willRemoveDir: { dir in
            for f in all { try? FileManager.default.removeItem(atPath: dir + "/" + f) }
        })
        return CgroupManager(layout: .unified(root: root), hooks: hooks)
    }

    func read(_ path: String) -> String? {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testV2RefusesTheV1OnlyKnobsByTheirPaths() throws {
        let manager = try fakeV2(files: [])
        var l = CgroupLimits()
        l.knobs.swappiness = 10
        l.knobs.disableOOMKiller = true
        l.knobs.kernelTCP = 1 << 20
        l.knobs.blkioLeafWeight = 100
        l.knobs.netClassID = 7
        l.knobs.netPriorities = [.init(name: "lo", priority: 1)]
        XCTAssertEqual(Preflight.cgroupHost(l, manager, base: "linux.resources").map(\.path), [
            "linux.resources.memory.swappiness", "linux.resources.memory.disableOOMKiller", "linux.resources.memory.kernelTCP",
            "linux.resources.blockIO.leafWeight", "linux.resources.network.classID", "linux.resources.network.priorities",
        ])
        // What asks for nothing is no refusal: v2's OOM killer is on, -1 is no limit.
        var none = CgroupLimits()
        none.knobs.disableOOMKiller = false
        none.knobs.kernelTCP = -1
        XCTAssertEqual(Preflight.cgroupHost(none, manager, base: ""), [])
    }

    func testAPageSizeTheHostLacksIsRefusedByItsIndex() throws {
        guard FileManager.default.fileExists(atPath: "/sys/kernel/mm/hugepages/hugepages-2048kB") else {
            throw XCTSkip("this host has no 2MB huge pages")
        }
        let manager = try fakeV2(files: [])
        var l = CgroupLimits()
        l.knobs.hugepages = [.init(pageSize: "2MB", limit: 1 << 21), .init(pageSize: "3MB", limit: 3 << 20)]
        let errors = Preflight.cgroupHost(l, manager, base: "")
        XCTAssertEqual(errors.map(\.path), ["hugepageLimits[1].pageSize"])
        XCTAssertTrue(errors[0].message.contains("2MB"), errors[0].message)
    }

    func testHugepageNamesAreTheKernels() {
        XCTAssertEqual(CgroupLimits.Hugepage(pageSize: "2048KB", limit: 0).kernelName, "2MB")
        XCTAssertEqual(CgroupLimits.Hugepage(pageSize: "1GB", limit: 0).kernelName, "1GB")
        XCTAssertEqual(CgroupLimits.Hugepage(pageSize: "64KB", limit: 0).kernelName, "64KB")
        XCTAssertEqual(CgroupLimits.Hugepage(pageSize: "32MB", limit: 0).kernelName, "32MB")
        XCTAssertNil(CgroupLimits.Hugepage(pageSize: "2mb", limit: 0).kernelName)
    }

    func testV2WritesHugetlbAndIOMax() throws {
        let manager = try fakeV2(files: ["hugetlb.2MB.max", "hugetlb.2MB.rsvd.max", "io.max", "io.weight"])
        var l = CgroupLimits()
        l.knobs.hugepages = [.init(pageSize: "2MB", limit: 4 << 20)]
        l.knobs.throttles = [.init(kind: .readBps, major: 254, minor: 0, rate: 1000), .init(kind: .writeIOPS, major: 254, minor: 0, rate: 7)]
        _ = try manager.create(path: "/nest/c", limits: l)
        let leaf = root + "/nest/c"
        XCTAssertEqual(read(leaf + "/hugetlb.2MB.max"), String(4 << 20))
        XCTAssertEqual(read(leaf + "/hugetlb.2MB.rsvd.max"), String(4 << 20))
        XCTAssertEqual(read(leaf + "/io.max"), "254:0 rbps=1000 wiops=7")
        XCTAssertEqual(read(root + "/cgroup.subtree_control"), "+cpu +io +memory +pids +hugetlb")
    }

    func testV2IOLinesOnePerDeviceAndWeights() {
        var m = CgroupLimits.Knobs()
        m.throttles = [.init(kind: .readBps, major: 8, minor: 0, rate: 1), .init(kind: .readIOPS, major: 8, minor: 16, rate: 2),
                       .init(kind: .writeBps, major: 8, minor: 0, rate: 3)]
        m.weightDevices = [.init(major: 8, minor: 0, weight: 1000, leafWeight: nil)]
        let plain = CgroupManager.v2IOFiles(m, bfq: false)
        XCTAssertEqual(plain.map(\.0), ["io.weight", "io.max", "io.max"])
        XCTAssertEqual(plain.map(\.1), ["8:0 10000", "8:0 rbps=1 wbps=3", "8:16 riops=2"])
        XCTAssertEqual(CgroupManager.v2IOFiles(m, bfq: true).first?.1, "8:0 1000")
    }

    func testV2RefusesAMissingIOFileNotSilently() throws {
        let manager = try fakeV2(files: [])
        var l = CgroupLimits()
        l.knobs.throttles = [.init(kind: .readBps, major: 8, minor: 0, rate: 1)]
        XCTAssertThrowsError(try manager.create(path: "/nest/c", limits: l)) { e in
            XCTAssertEqual((e as? CgroupError)?.path, root + "/nest/c/io.max")
            XCTAssertEqual(Runtime.resourceField(of: e as! CgroupError, Spec.Linux.Resources()), "linux.resources.blockIO")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/nest"))
    }

    func testAnUpdateMergesByDeviceAndPageSize() {
        var old = CgroupLimits.Knobs()
        old.throttles = [.init(kind: .readBps, major: 8, minor: 0, rate: 1), .init(kind: .readBps, major: 8, minor: 16, rate: 2)]
        old.hugepages = [.init(pageSize: "2MB", limit: 1)]
        old.swappiness = 5
        var new = CgroupLimits.Knobs()
        new.throttles = [.init(kind: .readBps, major: 8, minor: 16, rate: 9), .init(kind: .writeBps, major: 8, minor: 0, rate: 4)]
        new.hugepages = [.init(pageSize: "2048KB", limit: 3)]
        let merged = old.overridden(by: new)
        XCTAssertEqual(merged.throttles.map(\.rate), [1, 9, 4])
        XCTAssertEqual(merged.hugepages.map(\.limit), [3])
        XCTAssertEqual(merged.swappiness, 5)
    }
}
