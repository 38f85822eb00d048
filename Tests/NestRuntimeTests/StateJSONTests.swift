import Foundation
import NestOCI
import XCTest
@testable import NestRuntime

/// The state files are written and read by hand; these tests hold that
/// format to what JSONEncoder/JSONDecoder wrote and read before, so that
/// state left by either version of nest reads in the other.
final class StateJSONTests: XCTestCase {
    /// Strings that need every kind of escaping, and some that must not be escaped.
    static let awkward = "q\"b\\s/t\tn\nr\rc\u{1}\u{1f}\u{7f} é 😀 \u{2028}"

    static func records() -> [StateRecord] {
        let full = StateRecord(
            id: "c1", ociVersion: "1.2.0", bundle: "/bundles/" + awkward, annotations: ["b": awkward, "B": "2", "a10": "", "a9": "x"],
            created: "2024-01-02T03:04:05.678901234Z", pid: 4242, pidStartTime: UInt64.max, monitorPid: Int32.max,
            cgroups: CgroupPaths(dirs: ["/sys/fs/cgroup/nest/c1"], joinDirs: ["/sys/fs/cgroup/nest/c1", awkward],
                                 oomFile: "/sys/fs/cgroup/nest/c1/memory.events", memoryDir: "/m", pidsDir: "/p",
                                 unifiedDir: "/sys/fs/cgroup/nest/c1"),
            poststart: [Spec.Hook(path: "/bin/hook", args: ["hook", awkward], env: ["A=1"], timeout: 5),
                        Spec.Hook(path: "/bin/other")],
            poststop: [Spec.Hook(path: "/bin/stop", args: [], env: [], timeout: -1)],
            resources: Spec.Linux.Resources(
                memory: .init(limit: 1 << 26, reservation: -1, swap: Int64.max), cpu: .init(shares: 2, quota: 50_000, period: 100_000, cpus: awkward, mems: "0"),
                pids: .init(limit: -1), blockIO: .init(weight: 10), unified: [awkward: awkward, "memory.high": "max", "B": ""]))
        let bare = StateRecord(
            id: "c2", ociVersion: "1.0.0", bundle: "/b", annotations: nil, created: "", pid: 0, pidStartTime: 0,
            monitorPid: -1, cgroups: CgroupPaths(dirs: [], joinDirs: []), poststart: [], poststop: [])
        var empty = bare
        empty.annotations = [:]
        return [full, bare, empty]
    }

    static func encoder(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    func testStateRecordIsWrittenAsJSONEncoderWroteIt() throws {
        for record in Self.records() {
            let old = String(decoding: try Self.encoder(pretty: true).encode(record), as: UTF8.self)
            XCTAssertEqual(String(decoding: record.json(), as: UTF8.self), old)
        }
    }

    func testStateRecordReadsBackAndReadsOldFiles() throws {
        for record in Self.records() {
            let old = try Self.encoder(pretty: true).encode(record)
            let fromOld = try StateRecord(json: JSONReader.parse(Array(old)))
            let fromNew = try StateRecord(json: JSONReader.parse(record.json()))
            XCTAssertEqual(try Self.encoder(pretty: true).encode(fromOld), old)
            XCTAssertEqual(try Self.encoder(pretty: true).encode(fromNew), old)
            // and what the new version writes, the old one reads
            let decoded = try JSONDecoder().decode(StateRecord.self, from: Data(record.json()))
            XCTAssertEqual(try Self.encoder(pretty: true).encode(decoded), old)
        }
    }

    func testBrokenStateRecordIsAnErrorNamingTheField() {
        XCTAssertThrowsError(try StateRecord(json: JSONReader.parse(Array(#"{"id": "x", "ociVersion": 1}"#.utf8)))) { error in
            XCTAssertEqual(error as? SpecError, SpecError(path: "ociVersion", message: "must be a string, found the number 1"))
        }
        XCTAssertThrowsError(try StateRecord(json: JSONReader.parse(Array(#"{"id": "x"#.utf8))))
    }

    func testExitRecordReadsWhatTheMonitorWrites() throws {
        // monitor.c's format
        let text = #"{"exitCode":137,"signal":9,"oomKilled":true,"finishedAt":"2024-01-02T03:04:05.000000000Z"}"# + "\n"
        let record = try ExitRecord(json: JSONReader.parse(Array(text.utf8)))
        XCTAssertEqual(record.exitCode, 137)
        XCTAssertEqual(record.signal, 9)
        XCTAssertTrue(record.oomKilled)
        XCTAssertEqual(record.finishedAt, "2024-01-02T03:04:05.000000000Z")
    }

    struct OldOCIState: Encodable {
        var ociVersion, id, status: String
        var pid: Int32
        var bundle: String
        var annotations: [String: String]?
    }

    struct OldStateOutput: Encodable {
        var ociVersion, id, status: String
        var pid: Int32
        var bundle: String
        var annotations: [String: String]?
        var created: String
        var exitCode: Int32?
        var resources: Spec.Linux.Resources?
    }

    func testOCIStateAndStateOutputAreWrittenAsBefore() throws {
        var status = ContainerStatus(
            ociVersion: "1.2.0", id: "c1", status: "stopped", pid: 42, bundle: "/b/" + Self.awkward,
            annotations: ["k": Self.awkward, "A": "1"], created: "2024-01-02T03:04:05Z", exitCode: 3, oomKilled: false,
            finishedAt: "2024-01-02T03:04:06Z", monitorPid: 41)
        for round in 0..<3 {
            // the last round: the limits in force, shown by `nest state` but not given to hooks
            if round == 2 { status.resources = Self.records()[0].resources }
            let oci = OldOCIState(ociVersion: status.ociVersion, id: status.id, status: status.status, pid: status.pid,
                                  bundle: status.bundle, annotations: status.annotations)
            XCTAssertEqual(String(decoding: status.ociState(), as: UTF8.self),
                           String(decoding: try Self.encoder(pretty: false).encode(oci), as: UTF8.self))
            let output = OldStateOutput(ociVersion: status.ociVersion, id: status.id, status: status.status, pid: status.pid,
                                        bundle: status.bundle, annotations: status.annotations, created: status.created,
                                        exitCode: status.exitCode, resources: status.resources)
            XCTAssertEqual(status.stateJSON(), String(decoding: try Self.encoder(pretty: true).encode(output), as: UTF8.self))
            status.annotations = nil
            status.exitCode = nil
            status.status = "running"
        }
    }
}
