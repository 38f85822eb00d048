import Foundation
import NestAPI
import XCTest

/// Auto-remove containers and attached starts: what `nestctl run --rm` does
/// (one request, create?attach=true; the two of create and start?attach=true
/// are kept for clients that create first).
final class AutoRemoveTests: DaemonTestCase {
    func testAttachedStartEndsWithTheExitStatusAfterTheRemoval() throws {
        let bundle = try makeBundle("b", ["sh", "-c", "echo out; echo err >&2; exit 5"])
        var (status, body) = curl("POST", "/v1/containers", body: #"{"bundle":"\#(bundle)","autoRemove":true}"#)
        XCTAssertEqual(status, 201, body)
        let id = try XCTUnwrap((json(body) as? [String: Any])?["id"] as? String)
        (status, body) = curl("POST", "/v1/containers/\(id)/start?attach=true")
        XCTAssertEqual(status, 200, body)
        let records = body.split(separator: "\n").map { $0.split(separator: " ", maxSplits: 2).map(String.init) }
        XCTAssertEqual(records.map { $0.count > 1 ? $0[1] : "" }.sorted(), ["exit", "stderr", "stdout"], body)
        XCTAssertEqual(records.last?[1], "exit", "the exit record comes last: \(body)")
        XCTAssertEqual(records.last?[2], #"{"exitCode":5,"oomKilled":false}"#)
        XCTAssertNotNil(Timestamp.parse(records.last?[0] ?? ""), body)
        // the stream ended after the removal
        XCTAssertEqual(curl("GET", "/v1/containers/\(id)").0, 404)
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/" + id))
        XCTAssertFalse(FileManager.default.fileExists(atPath: data + "/containers/" + id))
    }

    /// nestctl run's one request: create, start and attach.
    func testAttachedCreateRunsAndEndsWithTheExitStatusAfterTheRemoval() throws {
        let bundle = try makeBundle("b", ["sh", "-c", "echo out; echo err >&2; exit 5"])
        var (status, body) = curl("POST", "/v1/containers?attach=true", body: #"{"bundle":"\#(bundle)","autoRemove":true,"name":"one-request"}"#)
        XCTAssertEqual(status, 200, body)
        let records = body.split(separator: "\n").map { $0.split(separator: " ", maxSplits: 2).map(String.init) }
        XCTAssertEqual(records.map { $0.count > 1 ? $0[1] : "" }.sorted(), ["exit", "stderr", "stdout"], body)
        XCTAssertEqual(records.last?[2], #"{"exitCode":5,"oomKilled":false}"#)
        XCTAssertEqual(curl("GET", "/v1/containers/one-request").0, 404, "removed before the exit record")
        XCTAssertEqual(nestctl(["ps", "-a"]).stdout.split(separator: "\n").count, 1)
        // the name is free again at once
        (status, body) = curl("POST", "/v1/containers?attach=1", body: #"{"bundle":"\#(bundle)","name":"one-request"}"#)
        XCTAssertEqual(status, 200, body)
        XCTAssertTrue(body.hasSuffix(#" exit {"exitCode":5,"oomKilled":false}"# + "\n"), body)
        XCTAssertEqual(try info("one-request").state, "stopped", "without autoRemove it stays")
    }

    func testAttachedCreateOfABadRequestIsRefusedAndLeavesNothing() throws {
        var (status, body) = curl("POST", "/v1/containers?attach=true", body: #"{"bundle":"relative/path","autoRemove":true}"#)
        XCTAssertEqual(status, 400, body)
        XCTAssertTrue(body.contains(#""field":"bundle""#), body)
        (status, body) = curl("POST", "/v1/containers?attach=true", body: #"{"subsystem":"<subsystem name=\"x\"/>"}"#)
        XCTAssertEqual(status, 400, body)
        XCTAssertTrue(body.contains(#""field":"attach""#), body)
        (status, body) = curl("POST", "/v1/containers?attach=maybe", body: #"{"bundle":"/nonexistent"}"#)
        XCTAssertEqual(status, 400, body)
        XCTAssertTrue(body.contains("attach"), body)
        XCTAssertEqual(nestctl(["ps", "-a"]).stdout.split(separator: "\n").count, 1)
        let left = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        XCTAssertEqual(left.filter { !$0.hasPrefix(".") }, [], "state left behind")
    }

    func testAttachedStartKeepsAnOrdinaryContainer() throws {
        let bundle = try makeBundle("b", ["sh", "-c", "exit 3"])
        let id = try createContainer(bundle, start: false)
        let (status, body) = curl("POST", "/v1/containers/\(id)/start?attach=1")
        XCTAssertEqual(status, 200, body)
        XCTAssertTrue(body.hasSuffix(#" exit {"exitCode":3,"oomKilled":false}"# + "\n"), body)
        XCTAssertEqual(try info(id).state, "stopped")
        XCTAssertEqual(try info(id).exitCode, 3)
    }

    func testRunRemoveIsGoneWhenNestctlReturns() throws {
        let bundle = try makeBundle("b", ["sh", "-c", "echo hi; exit 4"])
        for _ in 0..<5 {
            let r = nestctl(["run", "--rm", bundle])
            XCTAssertEqual(r.code, 4, r.stderr)
            XCTAssertEqual(r.stdout, "hi\n")
            let ps = nestctl(["ps", "-a"])
            XCTAssertEqual(ps.stdout.split(separator: "\n").count, 1, "ps -a right after run --rm: the header only\n\(ps.stdout)")
        }
        // many at once: each exits with the container's status, none is left
        let codes = Collected<Int32>()
        let socket = socketPath
        DispatchQueue.concurrentPerform(iterations: 12) { _ in
            codes.add(runCommand([TestEnv.nestctl, "run", "--rm", bundle], env: ["NEST_SOCKET": socket]).code)
        }
        XCTAssertEqual(codes.all, Array(repeating: 4, count: 12))
        XCTAssertEqual(nestctl(["ps", "-a"]).stdout.split(separator: "\n").count, 1)
    }

    func testDetachedRunRemoveIsRemovedWhenItExits() throws {
        let bundle = try makeBundle("b", ["sh", "-c", "sleep 0.3"])
        let r = nestctl(["run", "-d", "--rm", bundle])
        XCTAssertEqual(r.code, 0, r.stderr)
        let id = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(try info(id).state, "running")
        // Its record and log are kept beside the runtime's state, not on the
        // data directory's disk.
        let ephemeral = root + "/.nestd/containers/" + id
        XCTAssertTrue(FileManager.default.fileExists(atPath: ephemeral + "/record.json"), "no record in \(ephemeral)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: data + "/containers/" + id), "an auto-remove container on the data disk")
        XCTAssertTrue(eventually(10) { self.curl("GET", "/v1/containers/\(id)").0 == 404 }, "removed once it exited")
        XCTAssertFalse(FileManager.default.fileExists(atPath: ephemeral), "its files outlived it")
    }

    func testAutoRemoveContainerOutlivesADaemonKill9AndIsRemovedByTheNextDaemon() throws {
        let bundle = try makeBundle("r", ["sh", "-c", "sleep 1.5"])
        let r = nestctl(["run", "-d", "--rm", bundle])
        XCTAssertEqual(r.code, 0, r.stderr)
        let id = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let pid = try info(id).pid
        killDaemon()
        try startDaemon()
        let c = try info(id)
        XCTAssertEqual(c.state, "running", "the restarted daemon knows the auto-remove container")
        XCTAssertEqual(c.pid, pid)
        XCTAssertTrue(eventually(10) { self.curl("GET", "/v1/containers/\(id)").0 == 404 }, "removed once it exited")
        XCTAssertFalse(FileManager.default.fileExists(atPath: root + "/.nestd/containers/" + id), "its files outlived it")
    }

    func testWaitOnAnAutoRemoveContainerAnswersAfterTheRemoval() throws {
        let bundle = try makeBundle("b", ["sh", "-c", "sleep 0.3; exit 2"])
        let (status, body) = curl("POST", "/v1/containers", body: #"{"bundle":"\#(bundle)","autoRemove":true,"start":true}"#)
        XCTAssertEqual(status, 201, body)
        let id = try XCTUnwrap((json(body) as? [String: Any])?["id"] as? String)
        for query in ["", "?remove=true"] {
            let (s, b) = curl("POST", "/v1/containers/\(id)/wait" + query)
            if query.isEmpty {
                XCTAssertEqual(s, 200, b)
                XCTAssertEqual((json(b) as? [String: Any])?["exitCode"] as? Int, 2)
                XCTAssertEqual(curl("GET", "/v1/containers/\(id)").0, 404, "gone when the wait answers")
            } else {
                XCTAssertEqual(s, 404, "already removed: \(b)")
            }
        }
    }
}
