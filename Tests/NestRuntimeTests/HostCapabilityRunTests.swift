import Foundation
import Glibc
import XCTest
@testable import NestRuntime

/// `nest run` and `nest exec` of a process that asks for a capability this
/// host's bounding set lacks: it runs with the others, and the warning names
/// the field on stderr and in the --log file.
final class HostCapabilityRunTests: CLITestCase {
    let missing = "CAP_SYS_RESOURCE"

    override func setUpWithError() throws {
        try super.setUpWithError()
        guard let host = HostCapabilities.current(), host.bounding & (1 << 24) == 0 else {
            throw XCTSkip("this host's bounding set has CAP_SYS_RESOURCE: nothing to drop")
        }
    }

    /// The CapEff, CapPrm, CapBnd... masks `grep ^Cap /proc/self/status` printed.
    func masks(_ text: String) -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("Cap") {
            let parts = line.split(whereSeparator: { $0 == ":" || $0 == "\t" || $0 == " " })
            if parts.count == 2 { out[String(parts[0])] = UInt64(parts[1], radix: 16) }
        }
        return out
    }

    func bundle(_ args: [String]) throws -> String {
        let caps = ["CAP_NET_ADMIN", missing, "CAP_KILL", "CAP_SETPCAP"]
        return try makeBundle(args) { config in
            config.process { p in
                p["capabilities"] = ["bounding": caps, "effective": caps, "permitted": caps, "inheritable": caps, "ambient": caps]
            }
        }
    }

    func checkWarned(_ stderr: String, _ log: String, set: String) throws {
        let warning = "process.capabilities.\(set): \(missing) is not in this host's bounding set; dropped"
        XCTAssertEqual(stderr.components(separatedBy: warning).count - 1, 1, "one warning: \(stderr)")
        XCTAssertTrue(stderr.contains("nest: warning: " + warning), stderr)
        let records = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").compactMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        XCTAssertTrue(records.contains { $0["level"] as? String == "warning" && $0["msg"] as? String == warning }, "\(records)")
    }

    func testRunDropsTheCapabilityFromEverySetWarnsAndRuns() throws {
        let log = tmp + "/nest-log.json"
        let r = try nest(["run", "--bundle", try bundle(["grep", "^Cap", "/proc/self/status"]), uniqueID("capd")],
                         global: ["--log", log, "--log-format", "json"])
        XCTAssertEqual(r.code, 0, r.stderr)
        try checkWarned(r.stderr, log, set: "bounding")
        let m = masks(r.stdout)
        for set in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
            let mask = try XCTUnwrap(m[set], "\(set) in \(r.stdout)")
            XCTAssertNotEqual(mask & (1 << 12), 0, "\(set) has CAP_NET_ADMIN: \(r.stdout)")
            XCTAssertEqual(mask & (1 << 24), 0, "\(set) has no CAP_SYS_RESOURCE: \(r.stdout)")
        }
    }

    func testExecCapDropsTheCapabilityWarnsAndRuns() throws {
        let id = uniqueID("cape")
        XCTAssertEqual(try nest(["run", "-d", "--bundle", try makeBundle(["sleep", "1000"]), id]).code, 0)
        let log = tmp + "/exec-log.json"
        let r = try nest(["exec", "--cap", missing, "--cap", "CAP_NET_ADMIN", id, "grep", "^Cap", "/proc/self/status"],
                         global: ["--log", log, "--log-format", "json"])
        XCTAssertEqual(r.code, 0, r.stderr)
        try checkWarned(r.stderr, log, set: "bounding")
        let eff = try XCTUnwrap(masks(r.stdout)["CapEff"], r.stdout)
        XCTAssertNotEqual(eff & (1 << 12), 0, r.stdout)
        XCTAssertEqual(eff & (1 << 24), 0, r.stdout)
    }
}
