import Foundation
import NestAPI
import XCTest

/// A startContainer hook that fails fails nestd's start and `nestctl start`
/// with the hook's error; the container is then stopped and can be removed.
final class StartHookTests: DaemonTestCase {
    let failing = #".hooks = {"startContainer": [{"path": "/bin/false", "args": ["false"]}]} | .root.readonly = false"#

    func testTheStartEndpointAnswersTheHooksError() throws {
        let bundle = try makeBundle("b", ["sh", "-c", "touch /ran; sleep 100"], jq: failing)
        let id = try createContainer(bundle, name: "hooked", start: false)
        let r = try client.request("POST", "/v1/containers/\(id)/start")
        XCTAssertEqual(r.status, 500, r.text)
        let body = try JSONDecoder().decode(ErrorBody.self, from: Data(r.body))
        XCTAssertEqual(body.error, "hook startContainer /bin/false: exit status 1")
        XCTAssertEqual(body.step, "hook")
        XCTAssertEqual(body.path, "/bin/false")
        XCTAssertTrue(eventually(10) { (try? self.info(id).state) == "stopped" }, "state: \(String(describing: try? info(id).state))")
        XCTAssertFalse(FileManager.default.fileExists(atPath: bundle + "/rootfs/ran"), "the process ran")
        let removed = try client.request("DELETE", "/v1/containers/\(id)")
        XCTAssertTrue((200..<300).contains(removed.status), removed.text)
    }

    func testNestctlStartFailsWithTheHooksError() throws {
        let bundle = try makeBundle("b", ["sh", "-c", "touch /ran; sleep 100"], jq: failing)
        let id = try createContainer(bundle, name: "hooked", start: false)
        let r = nestctl(["start", "hooked"])
        XCTAssertNotEqual(r.code, 0)
        XCTAssertTrue(r.stderr.contains("hook startContainer /bin/false: exit status 1"), r.stderr)
        XCTAssertTrue(eventually(10) { (try? self.info(id).state) == "stopped" })
        XCTAssertFalse(FileManager.default.fileExists(atPath: bundle + "/rootfs/ran"), "the process ran")
        XCTAssertEqual(nestctl(["rm", "hooked"]).code, 0)
    }
}
