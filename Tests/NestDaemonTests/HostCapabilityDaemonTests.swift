import Foundation
import XCTest

/// nestd creates a container that asks for a capability this host's
/// bounding set lacks: the capability is dropped, the daemon logs the
/// warning naming the field, and the process runs with the others.
final class HostCapabilityDaemonTests: DaemonTestCase {
    func testCreateDropsTheCapabilityLogsAndRuns() throws {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let bnd = status.split(separator: "\n").first { $0.hasPrefix("CapBnd:") }
            .flatMap { UInt64($0.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16) } ?? 0
        guard bnd & (1 << 24) == 0 else { throw XCTSkip("this host's bounding set has CAP_SYS_RESOURCE: nothing to drop") }
        let caps = #"["CAP_NET_ADMIN","CAP_SYS_RESOURCE","CAP_KILL"]"#
        let bundle = try makeBundle("b", ["grep", "^CapEff", "/proc/self/status"],
                                    jq: ".process.capabilities = {bounding: \(caps), effective: \(caps), permitted: \(caps)}")
        var (code, body) = curl("POST", "/v1/containers", body: #"{"bundle":"\#(bundle)","start":true}"#)
        XCTAssertEqual(code, 201, body)
        let id = try XCTUnwrap((json(body) as? [String: Any])?["id"] as? String)
        (code, body) = curl("POST", "/v1/containers/\(id)/wait")
        XCTAssertEqual(code, 200, body)
        XCTAssertEqual((json(body) as? [String: Any])?["exitCode"] as? Int, 0, body)
        let out = logs(id)
        let line = try XCTUnwrap(out.split(separator: "\n").first { $0.contains("CapEff:") }, out)
        let eff = UInt64(line.split(separator: "\t").last.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? "", radix: 16) ?? 0
        XCTAssertNotEqual(eff & (1 << 12), 0, "CAP_NET_ADMIN: \(line)")
        XCTAssertEqual(eff & (1 << 24), 0, "no CAP_SYS_RESOURCE: \(line)")
        let d = try XCTUnwrap(daemon)
        XCTAssertTrue(d.stderr.contains("process.capabilities.bounding: CAP_SYS_RESOURCE is not in this host's bounding set; dropped"), d.stderr)
        _ = curl("DELETE", "/v1/containers/\(id)")
    }
}
