import Foundation
import XCTest
@testable import NestRuntime

/// This machine's /proc/self/mountinfo (hybrid: v1 controllers + cgroup2 with hugetlb only).
let hybridMountinfo = """
22 27 0:21 / /proc rw,relatime - proc proc rw
23 27 0:22 / /sys rw,relatime - sysfs sysfs rw
24 27 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,size=12334492k,nr_inodes=3083623,mode=755
25 24 0:23 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=24684092k
26 24 0:24 / /dev/pts rw,relatime - devpts devpts rw,mode=600,ptmxmode=000
27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534
28 27 0:25 / /mnt/sandboxing/model_tools_env/v1/python ro,nosuid,nodev,relatime - tmpfs model_tools_unavailable ro,size=4k,mode=755
29 26 0:26 / /dev/pts rw,relatime - devpts devpts rw,mode=600,ptmxmode=000
30 25 0:27 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=24684092k
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw

"""

let unifiedMountinfo = """
21 26 0:20 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
26 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro
30 21 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
"""

let legacyMountinfo = """
25 21 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
26 25 0:23 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,xattr,name=systemd
29 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,cpu,cpuacct
30 25 0:27 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,memory
31 25 0:28 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,net_cls,net_prio
32 25 0:29 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,pids
33 25 0:30 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,cpuset
34 25 0:31 / /sys/fs/cgroup/my\\040cg rw,relatime shared:18 - cgroup cgroup rw,freezer
"""

final class CgroupTests: XCTestCase {
    // MARK: (1) mountinfo

    func testDetectHybridFromThisMachine() throws {
        let layout = try XCTUnwrap(CgroupManager.layout(mountinfo: hybridMountinfo))
        let v1 = ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids"]
        XCTAssertEqual(layout, .hybrid(v1: Dictionary(uniqueKeysWithValues: v1.map { ($0, "/sys/fs/cgroup/" + $0) }),
                                       unified: "/sys/fs/cgroup/unified"))
        let p = CgroupManager(layout: layout).paths(for: "/nest/abc")
        XCTAssertEqual(p.dirs, ["memory", "cpu", "cpuacct", "cpuset", "pids", "devices", "freezer", "blkio", "unified"]
            .map { "/sys/fs/cgroup/\($0)/nest/abc" })
        XCTAssertEqual(p.joinDirs, p.dirs)
        XCTAssertEqual(p.oomFile, "/sys/fs/cgroup/memory/nest/abc/memory.oom_control")
        XCTAssertEqual(p.memoryDir, "/sys/fs/cgroup/memory/nest/abc")
        XCTAssertEqual(p.pidsDir, "/sys/fs/cgroup/pids/nest/abc")
        XCTAssertEqual(p.unifiedDir, "/sys/fs/cgroup/unified/nest/abc")
    }

    func testDetectUnified() throws {
        XCTAssertEqual(CgroupManager.layout(mountinfo: unifiedMountinfo), .unified(root: "/sys/fs/cgroup"))
        let p = CgroupManager(layout: .unified(root: "/sys/fs/cgroup")).paths(for: "/nest/x")
        XCTAssertEqual(p.dirs, ["/sys/fs/cgroup/nest/x"])
        XCTAssertEqual(p.joinDirs, ["/sys/fs/cgroup/nest/x"])
        XCTAssertEqual(p.oomFile, "/sys/fs/cgroup/nest/x/memory.events")
        XCTAssertEqual(p.memoryDir, "/sys/fs/cgroup/nest/x")
        XCTAssertEqual(p.pidsDir, "/sys/fs/cgroup/nest/x")
    }

    func testDetectLegacyWithComountsAndEscapes() throws {
        let layout = try XCTUnwrap(CgroupManager.layout(mountinfo: legacyMountinfo))
        XCTAssertEqual(layout, .legacy(v1: [
            "cpu": "/sys/fs/cgroup/cpu,cpuacct", "cpuacct": "/sys/fs/cgroup/cpu,cpuacct",
            "memory": "/sys/fs/cgroup/memory", "net_cls": "/sys/fs/cgroup/net_cls,net_prio",
            "net_prio": "/sys/fs/cgroup/net_cls,net_prio", "pids": "/sys/fs/cgroup/pids",
            "cpuset": "/sys/fs/cgroup/cpuset", "freezer": "/sys/fs/cgroup/my cg",
        ]))
        let p = CgroupManager(layout: layout).paths(for: "/nest/y")
        // A mounted net_cls,net_prio hierarchy is joined (network.classID / priorities).
        XCTAssertEqual(p.dirs, ["memory", "cpu,cpuacct", "cpuset", "pids", "my cg", "net_cls,net_prio"].map { "/sys/fs/cgroup/\($0)/nest/y" })
        XCTAssertNil(p.unifiedDir)
    }

    func testDetectReadsFileAndFailsWithoutCgroups() throws {
        let dir = try tempDir()
        let file = dir + "/mountinfo"
        try unifiedMountinfo.write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertEqual(try CgroupManager.detect(mountsFile: file), .unified(root: "/sys/fs/cgroup"))
        try "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n".write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try CgroupManager.detect(mountsFile: file)) { e in
            XCTAssertEqual((e as? CgroupError)?.path, file)
        }
        XCTAssertThrowsError(try CgroupManager.detect(mountsFile: dir + "/missing")) { e in
            XCTAssertEqual((e as? CgroupError)?.message, "missing: No such file or directory")
        }
    }

    func testCgroupsPathForms() {
        XCTAssertEqual(CgroupManager.relativePath("/nest/abc"), "/nest/abc")
        XCTAssertEqual(CgroupManager.relativePath("nest//abc/"), "/nest/abc")
        XCTAssertEqual(CgroupManager.relativePath("system.slice:nest:abc"), "/system.slice/nest-abc.scope")
        XCTAssertEqual(CgroupManager.relativePath(":nest:abc"), "/system.slice/nest-abc.scope")
        XCTAssertEqual(CgroupManager.relativePath("user-1000.slice:nest:abc"),
                       "/user.slice/user-1000.slice/nest-abc.scope")
        XCTAssertEqual(CgroupManager.relativePath("/a/../../b"), "/b")
        XCTAssertEqual(CgroupManager.sharesToWeight(1024), 39)
        XCTAssertEqual(CgroupManager.sharesToWeight(2), 1)
        XCTAssertEqual(CgroupManager.sharesToWeight(262_144), 10_000)
    }

    // MARK: (2) v2 against a fake tree

    func testV2CreateWritesExactFiles() throws {
        let (root, manager) = try fakeV2()
        let limits = CgroupLimits(memoryLimit: 64 << 20, memoryReservation: 32 << 20, memorySwap: 96 << 20,
                                  cpuShares: 1024, cpuQuota: 50000, cpuPeriod: 100_000, cpus: "0-1", mems: "0",
                                  pidsLimit: -1, unified: ["memory.high": "50000000"])
        let p = try manager.create(path: "/nest/c1", limits: limits)
        let leaf = root + "/nest/c1"
        XCTAssertEqual(p, manager.paths(for: "/nest/c1"))
        XCTAssertEqual(p.dirs, [leaf])
        XCTAssertEqual(p.oomFile, leaf + "/memory.events")
        let expected = [
            "memory.max": "67108864", "memory.low": "33554432", "memory.swap.max": "33554432",
            "cpu.weight": "39", "cpu.max": "50000 100000", "cpuset.cpus": "0-1", "cpuset.mems": "0",
            "pids.max": "max", "memory.high": "50000000", "cgroup.subtree_control": "",
            "cgroup.controllers": "cpu cpuset io memory pids hugetlb",
        ]
        for (file, value) in expected { XCTAssertEqual(try read(leaf + "/" + file), value, file) }
        XCTAssertEqual(try read(root + "/cgroup.subtree_control"), "+cpu +cpuset +io +memory +pids +hugetlb")
        XCTAssertEqual(try read(root + "/nest/cgroup.subtree_control"), "+cpu +cpuset +io +memory +pids +hugetlb")

        // A second container under the existing /nest: fast path, parents untouched.
        let p2 = try manager.create(path: "nest/c2", limits: CgroupLimits(memoryLimit: -1, pidsLimit: 10))
        XCTAssertEqual(try read(root + "/nest/c2/memory.max"), "max")
        XCTAssertEqual(try read(root + "/nest/c2/pids.max"), "10")
        XCTAssertEqual(try read(root + "/nest/c2/cpu.max"), "")

        try "low 0\nhigh 2\nmax 5\noom 3\noom_kill 3\n".write(toFile: leaf + "/memory.events", atomically: false, encoding: .utf8)
        XCTAssertEqual(manager.oomKillCount(p), 3)
        XCTAssertEqual(manager.oomKillCount(p2), 0)
        try "12\n7\n".write(toFile: leaf + "/cgroup.procs", atomically: false, encoding: .utf8)
        XCTAssertEqual(manager.pids(p), [7, 12])

        try manager.destroy(p, killRemaining: false)
        try manager.destroy(p2, killRemaining: false)
        XCTAssertFalse(FileManager.default.fileExists(atPath: leaf))
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/nest"))
        try manager.destroy(p, killRemaining: false)  // already gone: fine
    }

    func testV2FailureRemovesWhatItMade() throws {
        let (root, manager) = try fakeV2()
        XCTAssertThrowsError(try manager.create(path: "/nest/sub/c", limits: CgroupLimits(unified: ["io.nope": "1"]))) { e in
            let e = e as! CgroupError
            XCTAssertEqual(e.path, root + "/nest/sub/c/io.nope")
            XCTAssertTrue(e.message.hasPrefix("io.nope: No such file or directory"), e.message)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/nest"))
        // Refused before any mkdir.
        XCTAssertThrowsError(try manager.create(path: "/nest/c", limits: CgroupLimits(memorySwap: 1 << 30)))
        XCTAssertThrowsError(try manager.create(path: "/nest/c", limits: CgroupLimits(memoryLimit: 2 << 20, memorySwap: 1 << 20)))
        XCTAssertThrowsError(try manager.create(path: "/nest/../c", limits: CgroupLimits()))
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/nest"))
        let legacy = CgroupManager(layout: .legacy(v1: ["memory": root]))
        XCTAssertThrowsError(try legacy.create(path: "/nest/c", limits: CgroupLimits(unified: ["memory.high": "1"])))
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/nest"))
    }

    // MARK: (3) the real v1 hierarchies of this host (root only)

    func testRealV1CreateReadBackKillDestroy() throws {
        let (manager, v1) = try realV1()
        let memRoot = v1["memory"]!
        let swap = FileManager.default.fileExists(atPath: memRoot + "/memory.memsw.limit_in_bytes")
        let name = "/nest-test-\(UUID().uuidString)"
        let limits = CgroupLimits(memoryLimit: 32 << 20, memorySwap: swap ? 64 << 20 : nil, cpuShares: 512,
                                  cpuQuota: 50000, cpuPeriod: 100_000, pidsLimit: 10)
        let p = try manager.create(path: name, limits: limits)
        var cleaned = false
        defer { if !cleaned { try? manager.destroy(p, killRemaining: true) } }
        XCTAssertEqual(p, manager.paths(for: name))
        for dir in p.dirs { XCTAssertTrue(FileManager.default.fileExists(atPath: dir), dir) }
        XCTAssertEqual(Set(p.dirs.map { ($0 as NSString).deletingLastPathComponent }).count, p.dirs.count)
        XCTAssertEqual(try read(p.memoryDir! + "/memory.limit_in_bytes"), "33554432")
        if swap { XCTAssertEqual(try read(p.memoryDir! + "/memory.memsw.limit_in_bytes"), "67108864") }
        XCTAssertEqual(try read(p.pidsDir! + "/pids.max"), "10")
        let cpu = v1["cpu"]! + name
        XCTAssertEqual(try read(cpu + "/cpu.shares"), "512")
        XCTAssertEqual(try read(cpu + "/cpu.cfs_quota_us"), "50000")
        XCTAssertEqual(try read(cpu + "/cpu.cfs_period_us"), "100000")
        if let cpuset = v1["cpuset"] {  // copied from the parent
            XCTAssertEqual(try read(cpuset + name + "/cpuset.cpus"), try read(cpuset + "/cpuset.cpus"))
            XCTAssertEqual(try read(cpuset + name + "/cpuset.mems"), try read(cpuset + "/cpuset.mems"))
        }
        XCTAssertEqual(manager.oomKillCount(p), 0)

        // A child process joins every hierarchy; destroy(killRemaining:) kills it.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sleep")
        child.arguments = ["60"]
        try child.run()
        for dir in p.joinDirs { try "\(child.processIdentifier)".write(toFile: dir + "/cgroup.procs", atomically: false, encoding: .utf8) }
        XCTAssertEqual(manager.pids(p), [child.processIdentifier])
        try manager.destroy(p, killRemaining: true)
        cleaned = true
        child.waitUntilExit()
        XCTAssertEqual(child.terminationReason, .uncaughtSignal)
        XCTAssertEqual(child.terminationStatus, SIGKILL)
        for dir in p.dirs { XCTAssertFalse(FileManager.default.fileExists(atPath: dir), dir) }
    }

    func testRealV1FailureMidwayRemovesEverything() throws {
        let (manager, _) = try realV1()
        let top = "/nest-test-\(UUID().uuidString)"
        let limits = CgroupLimits(memoryLimit: 32 << 20, cpuShares: 512, cpus: "999-1000", pidsLimit: 10)
        XCTAssertThrowsError(try manager.create(path: top + "/inner", limits: limits)) { e in
            let e = e as! CgroupError
            // The kernel says ERANGE ("Numerical result out of range") or EINVAL.
            XCTAssertTrue(e.message.hasPrefix("cpuset.cpus: "), e.message)
            XCTAssertTrue(e.errno == ERANGE || e.errno == EINVAL, e.message)
            XCTAssertTrue(e.path.hasSuffix(top + "/inner/cpuset.cpus"), e.path)
        }
        for dir in manager.paths(for: top).dirs { XCTAssertFalse(FileManager.default.fileExists(atPath: dir), dir) }
    }

    func testRealV1UpdateRaisesAndLowersMemoryAndSwap() throws {
        let (manager, v1) = try realV1()
        guard FileManager.default.fileExists(atPath: v1["memory"]! + "/memory.memsw.limit_in_bytes") else {
            throw XCTSkip("needs swap accounting (memory.memsw.limit_in_bytes)")
        }
        let name = "/nest-test-\(UUID().uuidString)"
        let p = try manager.create(path: name, limits: CgroupLimits(memoryLimit: 32 << 20, memorySwap: 64 << 20))
        defer { try? manager.destroy(p, killRemaining: true) }
        let mem = p.memoryDir!
        // Raising both: memory (128M) > current memsw (64M) needs memsw first.
        try manager.update(p, limits: CgroupLimits(memoryLimit: 128 << 20, memorySwap: 256 << 20, pidsLimit: 5))
        XCTAssertEqual(try read(mem + "/memory.limit_in_bytes"), "134217728")
        XCTAssertEqual(try read(mem + "/memory.memsw.limit_in_bytes"), "268435456")
        XCTAssertEqual(try read(p.pidsDir! + "/pids.max"), "5")
        // Lowering both: memory first.
        try manager.update(p, limits: CgroupLimits(memoryLimit: 16 << 20, memorySwap: 16 << 20, pidsLimit: -1))
        XCTAssertEqual(try read(mem + "/memory.limit_in_bytes"), "16777216")
        XCTAssertEqual(try read(mem + "/memory.memsw.limit_in_bytes"), "16777216")
        XCTAssertEqual(try read(p.pidsDir! + "/pids.max"), "max")
        // Unlimited memory: swap follows.
        try manager.update(p, limits: CgroupLimits(memoryLimit: -1))
        XCTAssertEqual(try read(mem + "/memory.limit_in_bytes"), try read(v1["memory"]! + "/memory.limit_in_bytes"))
        XCTAssertEqual(try read(mem + "/memory.memsw.limit_in_bytes"), try read(v1["memory"]! + "/memory.memsw.limit_in_bytes"))
        XCTAssertThrowsError(try manager.update(p, limits: CgroupLimits(cpuQuota: 10))) { e in  // < 1000 us
            XCTAssertEqual((e as? CgroupError)?.message, "cpu.cfs_quota_us: Invalid argument")
        }
    }

    // MARK: helpers

    func tempDir() throws -> String {
        let dir = NSTemporaryDirectory() + "nest-cg-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir
    }

    func read(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A fake v2 root; the hooks play the kernel: on mkdir the control files
    /// appear (empty; cgroup.controllers = the parent's subtree_control), on
    /// rmdir they go.
    func fakeV2() throws -> (String, CgroupManager) {
        let root = try tempDir()
        try "cpu cpuset io memory pids hugetlb\n".write(toFile: root + "/cgroup.controllers", atomically: false, encoding: .utf8)
        try "".write(toFile: root + "/cgroup.subtree_control", atomically: false, encoding: .utf8)
        let files = ["cgroup.subtree_control", "cgroup.procs", "memory.max", "memory.low", "memory.swap.max", "memory.events",
                     "memory.high", "cpu.weight", "cpu.max", "cpuset.cpus", "cpuset.mems", "pids.max"]
        let hooks = CgroupHooks(didMakeDir: { dir in
            let parent = (dir as NSString).deletingLastPathComponent
            let sub = (try? String(contentsOfFile: parent + "/cgroup.subtree_control", encoding: .utf8)) ?? ""
            let controllers = sub.split(separator: " ").map { $0.hasPrefix("+") ? String($0.dropFirst()) : String($0) }
            _ = FileManager.default.createFile(atPath: dir + "/cgroup.controllers", contents: Data(controllers.joined(separator: " ").utf8))
            for f in files { _ = FileManager.default.createFile(atPath: dir + "/" + f, contents: Data()) }
        }, willRemoveDir: { dir in
            for f in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
                var isDir: ObjCBool = false
                if FileManager.default.fileExists(atPath: dir + "/" + f, isDirectory: &isDir), !isDir.boolValue {
                    try? FileManager.default.removeItem(atPath: dir + "/" + f)
                }
            }
        })
        return (root, CgroupManager(layout: .unified(root: root), hooks: hooks))
    }

    func realV1() throws -> (CgroupManager, [String: String]) {
        guard getuid() == 0 else { throw XCTSkip("needs root: creates cgroups under /sys/fs/cgroup") }
        let layout = try CgroupManager.detect()
        switch layout {
        case .hybrid(let v1, _), .legacy(let v1):
            guard v1["memory"] != nil, v1["cpu"] != nil, v1["pids"] != nil else {
                throw XCTSkip("needs root: v1 memory, cpu and pids hierarchies")
            }
            return (CgroupManager(layout: layout), v1)
        case .unified:
            throw XCTSkip("needs root: a host with v1 hierarchies (this one is pure v2)")
        }
    }
}
