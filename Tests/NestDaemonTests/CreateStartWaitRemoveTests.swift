import Foundation
import XCTest

/// The two shortcuts `nestctl run` uses: create with "start": true, and
/// wait?remove=true, which deletes the container before it answers.
final class CreateStartWaitRemoveTests: DaemonTestCase {
    func testCreateWithStartAndWaitWithRemove() throws {
        let bundle = try makeBundle("b", ["sh", "-c", "echo started; exit 5"])
        var (status, body) = curl("POST", "/v1/containers", body: #"{"bundle":"\#(bundle)","start":true}"#)
        XCTAssertEqual(status, 201, body)
        let id = try XCTUnwrap((json(body) as? [String: Any])?["id"] as? String)
        (status, body) = curl("POST", "/v1/containers/\(id)/wait?remove=true")
        XCTAssertEqual(status, 200, body)
        XCTAssertEqual((json(body) as? [String: Any])?["exitCode"] as? Int, 5)
        XCTAssertEqual(curl("GET", "/v1/containers/\(id)").0, 404, "removed before the answer")
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/" + id))
    }

    func testCreateWithStartOfABadBundleLeavesNothing() throws {
        let bundle = try makeBundle("b", ["/no/such/program"])
        let (status, body) = curl("POST", "/v1/containers", body: #"{"bundle":"\#(bundle)","start":true}"#)
        // The exec failure happens in the container: create and start succeed,
        // the process exits 127.
        XCTAssertEqual(status, 201, body)
        let id = try XCTUnwrap((json(body) as? [String: Any])?["id"] as? String)
        let (waitStatus, waitBody) = curl("POST", "/v1/containers/\(id)/wait?remove=1")
        XCTAssertEqual(waitStatus, 200, waitBody)
        XCTAssertEqual((json(waitBody) as? [String: Any])?["exitCode"] as? Int, 127)
        XCTAssertEqual((json(curl("GET", "/v1/containers").1) as? [Any])?.count, 0)
    }
}
