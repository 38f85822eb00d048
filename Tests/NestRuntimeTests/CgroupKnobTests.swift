import Foundation
import Glibc
import XCTest
@testable import NestRuntime

/// Huge page limits, the v1 memory knobs, block I/O throttles and weights:
/// written to the container's cgroup files, or refused by the field's path
/// with nothing left behind.
final class CgroupKnobTests: RootTestCase {
    /// The container's dir of the hierarchy whose root has FILE.
    func dir(_ record: StateRecord, having file: String) -> String? {
        record.cgroups.dirs.first { FileManager.default.fileExists(atPath: $0 + "/" + file) }
    }

    func created(_ resources: [String: Any]) throws -> (id: String, record: StateRecord) {
        let bundle = try makeBundle(["true"]) { c in c.linux { l in l["resources"] = resources } }
        let id = uniqueID("cgm")
        _ = try runtime.create(id: id, options: CreateOptions(bundle: bundle, stdio: .null))
        return (id, try runtime.store.load(id))
    }

    /// The field a create refused (nil when it did not), after checking
    /// that it left no state and no cgroup; the id of the container.
    func refusal(_ resources: [String: Any], file: StaticString = #filePath, line: UInt = #line) throws -> (id: String, field: String?) {
        let bundle = try makeBundle(["true"]) { c in c.linux { l in l["resources"] = resources } }
        let id = uniqueID("cgm")
        var caught: Error?
        do { _ = try runtime.create(id: id, options: CreateOptions(bundle: bundle, stdio: .null)) } catch { caught = error }
        guard let caught else { return (id, nil) }
        guard case .invalidArgument(_, let field)? = caught as? RuntimeError else {
            XCTFail("not an invalid argument: \(caught)", file: file, line: line)
            return (id, nil)
        }
        XCTAssertEqual(runtime.list().map(\.id), [], "a state was left", file: file, line: line)
        let left = try CgroupManager(layout: CgroupManager.detect()).paths(for: "/nest/" + id).dirs
            .filter { FileManager.default.fileExists(atPath: $0) }
        XCTAssertEqual(left, [], "cgroups were left", file: file, line: line)
        return (id, field ?? "")
    }

    func refusedField(_ resources: [String: Any], file: StaticString = #filePath, line: UInt = #line) throws -> String? {
        let r = try refusal(resources, file: file, line: line)
        if r.field == nil { XCTFail("created with \(resources)", file: file, line: line) }
        return r.field
    }

    func testHugepageLimitsAreWrittenWithTheirReservations() throws {
        guard FileManager.default.fileExists(atPath: "/sys/kernel/mm/hugepages/hugepages-2048kB") else {
            throw XCTSkip("this host has no 2MB huge pages")
        }
        let (id, record) = try created(["hugepageLimits": [["pageSize": "2MB", "limit": 6 << 20]]])
        let dir = try XCTUnwrap(dir(record, having: "hugetlb.2MB.limit_in_bytes") ?? dir(record, having: "hugetlb.2MB.max"),
                                "no hugetlb cgroup: \(record.cgroups.dirs)")
        let names = FileManager.default.fileExists(atPath: dir + "/hugetlb.2MB.max")
            ? ["hugetlb.2MB.max", "hugetlb.2MB.rsvd.max"] : ["hugetlb.2MB.limit_in_bytes", "hugetlb.2MB.rsvd.limit_in_bytes"]
        XCTAssertEqual(readTrimmed(dir + "/" + names[0]), String(6 << 20))
        if FileManager.default.fileExists(atPath: dir + "/" + names[1]) {
            XCTAssertEqual(readTrimmed(dir + "/" + names[1]), String(6 << 20))
        }
        XCTAssertEqual(try runtime.state(id: id).resources?.hugepageLimits?.first?.limit, 6 << 20)
        try runtime.delete(id: id, force: true)
    }

    func testAPageSizeTheHostLacksIsRefusedByItsPath() throws {
        let field = try refusedField(["hugepageLimits": [["pageSize": "2MB", "limit": 1 << 21], ["pageSize": "3MB", "limit": 3 << 20]]])
        XCTAssertEqual(field, "linux.resources.hugepageLimits[1].pageSize")
    }

    func testSwappinessOOMKillerAndKernelTCPAreWritten() throws {
        let memoryRoot = try XCTUnwrap(CgroupManager(layout: CgroupManager.detect()).v1Root("memory"), "")
        let tcp = FileManager.default.fileExists(atPath: memoryRoot + "/memory.kmem.tcp.limit_in_bytes")
        var memory: [String: Any] = ["limit": 64 << 20, "swappiness": 37, "disableOOMKiller": true]
        if tcp { memory["kernelTCP"] = 16 << 20 }
        let (id, record) = try created(["memory": memory])
        let dir = try XCTUnwrap(record.cgroups.memoryDir)
        XCTAssertEqual(readTrimmed(dir + "/memory.swappiness"), "37")
        XCTAssertTrue((readTrimmed(dir + "/memory.oom_control") ?? "").contains("oom_kill_disable 1"))
        if tcp { XCTAssertEqual(readTrimmed(dir + "/memory.kmem.tcp.limit_in_bytes"), String(16 << 20)) }
        let state = try runtime.state(id: id).resources?.memory
        XCTAssertEqual(state?.swappiness, 37)
        XCTAssertEqual(state?.disableOOMKiller, true)
        try runtime.delete(id: id, force: true)
    }

    /// A whole disk of this machine (throttles take disks, not partitions).
    func blockDevice() throws -> (major: Int64, minor: Int64) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/block")) ?? []
        for name in names.sorted() where !name.hasPrefix("loop") && !name.hasPrefix("ram") {
            let parts = (readTrimmed("/sys/block/\(name)/dev") ?? "").split(separator: ":")
            if parts.count == 2, let major = Int64(parts[0]), let minor = Int64(parts[1]) { return (major, minor) }
        }
        throw XCTSkip("no block device in /sys/block")
    }

    func testTheFourThrottlesAreWritten() throws {
        let dev = try blockDevice()
        func t(_ rate: Int) -> [[String: Any]] { [["major": dev.major, "minor": dev.minor, "rate": rate]] }
        let (id, record) = try created(["blockIO": [
            "throttleReadBpsDevice": t(1 << 20), "throttleWriteBpsDevice": t(2 << 20),
            "throttleReadIOPSDevice": t(100), "throttleWriteIOPSDevice": t(200),
        ]])
        let d = "\(dev.major):\(dev.minor)"
        if let dir = dir(record, having: "blkio.throttle.read_bps_device") {
            XCTAssertEqual(readTrimmed(dir + "/blkio.throttle.read_bps_device"), "\(d) \(1 << 20)")
            XCTAssertEqual(readTrimmed(dir + "/blkio.throttle.write_bps_device"), "\(d) \(2 << 20)")
            XCTAssertEqual(readTrimmed(dir + "/blkio.throttle.read_iops_device"), "\(d) 100")
            XCTAssertEqual(readTrimmed(dir + "/blkio.throttle.write_iops_device"), "\(d) 200")
        } else {
            let dir = try XCTUnwrap(dir(record, having: "io.max"), "no blkio or io cgroup: \(record.cgroups.dirs)")
            XCTAssertEqual(readTrimmed(dir + "/io.max"), "\(d) rbps=\(1 << 20) wbps=\(2 << 20) riops=100 wiops=200")
        }
        XCTAssertEqual(try runtime.state(id: id).resources?.blockIO?.throttleWriteIOPSDevice?.first?.rate, 200)
        try runtime.delete(id: id, force: true)
    }

    /// Applied where the I/O scheduler takes per-device weights; else (this
    /// host: no CFQ, no BFQ) refused by its path, nothing made.
    func testAWeightDeviceIsWrittenOrRefusedByItsPath() throws {
        let dev = try blockDevice()
        let resources: [String: Any] = ["blockIO": ["weightDevice": [["major": dev.major, "minor": dev.minor, "weight": 300]]]]
        let (id, field) = try refusal(resources)
        if let field {
            XCTAssertEqual(field, "linux.resources.blockIO.weightDevice")
            return
        }
        let record = try runtime.store.load(id)
        let lines = record.cgroups.dirs.flatMap { dir in
            ["blkio.weight_device", "blkio.bfq.weight_device", "io.bfq.weight", "io.weight"].compactMap { readTrimmed(dir + "/" + $0) }
        }
        XCTAssertTrue(lines.contains { $0.contains("\(dev.major):\(dev.minor) ") }, "\(lines)")
        try runtime.delete(id: id, force: true)
    }

    func testNetworkClassIDWithoutNetClsIsRefusedByItsPath() throws {
        let layout = try CgroupManager.detect()
        guard CgroupManager(layout: layout).v1Root("net_cls") == nil else { throw XCTSkip("net_cls is mounted here") }
        XCTAssertEqual(try refusedField(["network": ["classID": 0x100001]]), "linux.resources.network.classID")
    }

    func testUpdateAppliesAThrottleAndSwappiness() throws {
        let dev = try blockDevice()
        let (id, record) = try created(["memory": ["limit": 64 << 20]])
        try runtime.update(id: id, resources: .init(
            memory: .init(swappiness: 12),
            blockIO: .init(throttleReadBpsDevice: [.init(major: dev.major, minor: dev.minor, rate: 4096)])))
        XCTAssertEqual(readTrimmed(try XCTUnwrap(record.cgroups.memoryDir) + "/memory.swappiness"), "12")
        let files = record.cgroups.dirs.compactMap { readTrimmed($0 + "/blkio.throttle.read_bps_device") ?? readTrimmed($0 + "/io.max") }
        XCTAssertTrue(files.contains { $0.hasPrefix("\(dev.major):\(dev.minor) ") && $0.contains("4096") }, "\(files)")
        let state = try runtime.state(id: id).resources
        XCTAssertEqual(state?.memory?.swappiness, 12)
        XCTAssertEqual(state?.memory?.limit, 64 << 20)
        XCTAssertEqual(state?.blockIO?.throttleReadBpsDevice?.first?.rate, 4096)
        // What the host cannot hold is refused by its path, the limits in force kept.
        if CgroupManager(layout: try CgroupManager.detect()).v1Root("net_cls") == nil {
            XCTAssertThrowsError(try runtime.update(id: id, resources: .init(memory: .init(swappiness: 40), network: .init(classID: 7)))) { e in
                guard case .invalidArgument(_, let field)? = e as? RuntimeError else { return XCTFail("\(e)") }
                XCTAssertEqual(field, "network.classID")
            }
            XCTAssertEqual(readTrimmed(try XCTUnwrap(record.cgroups.memoryDir) + "/memory.swappiness"), "12")
        }
        try runtime.delete(id: id, force: true)
    }
}
