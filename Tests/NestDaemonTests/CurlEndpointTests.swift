import Foundation
import XCTest

/// Every endpoint of nestd, called with curl --unix-socket.
final class CurlEndpointTests: DaemonTestCase {
    func testEveryEndpointWithCurl() throws {
        let bundle = try makeBundle("b", ["sh", "-c", "echo hello; echo oops >&2; exec sleep 1000"])

        var (status, body) = curl("GET", "/v1/version")
        XCTAssertEqual(status, 200)
        XCTAssertEqual((json(body) as? [String: Any])?["name"] as? String, "nestd")
        (status, body) = curl("GET", "/v1/info")
        XCTAssertEqual(status, 200)
        XCTAssertEqual((json(body) as? [String: Any])?["containers"] as? Int, 0)
        XCTAssertEqual((json(body) as? [String: Any])?["root"] as? String, root)

        (status, body) = curl("POST", "/v1/containers", body: #"{"name":"web","bundle":"\#(bundle)","labels":{"app":"x"}}"#)
        XCTAssertEqual(status, 201, body)
        let id = try XCTUnwrap((json(body) as? [String: Any])?["id"] as? String)
        XCTAssertEqual((json(body) as? [String: Any])?["name"] as? String, "web")

        (status, body) = curl("POST", "/v1/containers", body: #"{"name":"web","bundle":"\#(bundle)"}"#)
        XCTAssertEqual(status, 409, "a name is unique")
        (status, body) = curl("POST", "/v1/containers", body: #"{"name":"x"}"#)
        XCTAssertEqual(status, 400)
        XCTAssertEqual((json(body) as? [String: Any])?["field"] as? String, "bundle")

        for (query, count) in [("", 1), ("?label=app=x", 1), ("?label=app=y", 0), ("?label=app", 1),
                               ("?state=created", 1), ("?state=running", 0)] {
            (status, body) = curl("GET", "/v1/containers" + query)
            XCTAssertEqual(status, 200)
            XCTAssertEqual((json(body) as? [Any])?.count, count, "GET /v1/containers\(query)")
        }
        (status, body) = curl("GET", "/v1/containers/web")
        XCTAssertEqual(status, 200)
        XCTAssertEqual((json(body) as? [String: Any])?["state"] as? String, "created")
        (status, body) = curl("GET", "/v1/containers/\(id)/subsystem")
        XCTAssertEqual(status, 200)
        XCTAssertTrue(body.hasPrefix("<?xml"), body)

        (status, body) = curl("POST", "/v1/containers/\(id)/start")
        XCTAssertEqual(status, 200, body)
        XCTAssertEqual((json(body) as? [String: Any])?["state"] as? String, "running")
        XCTAssertTrue(eventually(5) { curl("GET", "/v1/containers/\(id)/logs").1 == "hello\noops\n" })
        XCTAssertEqual(curl("GET", "/v1/containers/\(id)/logs?tail=1").1, "oops\n")
        let records = curl("GET", "/v1/containers/\(id)/logs?format=records").1.split(separator: "\n")
        XCTAssertEqual(records.map { $0.split(separator: " ").dropFirst().joined(separator: " ") }, ["stdout hello", "stderr oops"])
        let stamped = curl("GET", "/v1/containers/\(id)/logs?timestamps=true&since=0").1
        XCTAssertTrue(stamped.hasPrefix("20") && stamped.contains(" hello\n"), stamped)
        XCTAssertEqual(curl("GET", "/v1/containers/\(id)/logs?since=4000000000").1, "")
        XCTAssertEqual(curl("GET", "/v1/containers/\(id)/logs?tail=x").0, 400)

        (status, body) = curl("DELETE", "/v1/containers/\(id)")
        XCTAssertEqual(status, 409, "a running container is not removed without force")
        (status, body) = curl("POST", "/v1/containers/\(id)/kill?signal=NOSUCH")
        XCTAssertEqual(status, 400)
        XCTAssertEqual((json(body) as? [String: Any])?["field"] as? String, "signal")
        (status, body) = curl("POST", "/v1/containers/\(id)/kill?signal=KILL")
        XCTAssertEqual(status, 200, body)
        (status, body) = curl("POST", "/v1/containers/\(id)/wait")
        XCTAssertEqual(status, 200, body)
        XCTAssertEqual((json(body) as? [String: Any])?["exitCode"] as? Int, 137)
        (status, body) = curl("GET", "/v1/containers/\(id)")
        XCTAssertEqual((json(body) as? [String: Any])?["state"] as? String, "stopped")
        XCTAssertEqual((json(body) as? [String: Any])?["exitCode"] as? Int, 137)
        (status, body) = curl("DELETE", "/v1/containers/\(id)")
        XCTAssertEqual(status, 204, body)
        XCTAssertEqual(curl("GET", "/v1/containers/\(id)").0, 404)
        XCTAssertEqual(curl("GET", "/v1/containers/\(id)/logs").0, 404)
        XCTAssertEqual(curl("PUT", "/v1/version").0, 405)
        XCTAssertEqual(curl("GET", "/v1/nothing").0, 404)
    }

    func testStopAndForceDeleteAndEventsWithCurl() throws {
        let bundle = try makeBundle("b", ["sleep", "1000"])
        // the event stream, read by a curl in the background
        let events = Process()
        events.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        events.arguments = ["-sN", "--max-time", "8", "--unix-socket", socketPath, "http://localhost/v1/events"]
        let out = Pipe()
        events.standardOutput = out
        try events.run()
        usleep(500_000)

        var (status, body) = curl("POST", "/v1/containers", body: #"{"bundle":"\#(bundle)"}"#)
        XCTAssertEqual(status, 201, body)
        let id = try XCTUnwrap((json(body) as? [String: Any])?["id"] as? String)
        XCTAssertEqual((json(body) as? [String: Any])?["name"] as? String, "nest-" + id.prefix(8))
        XCTAssertEqual(curl("POST", "/v1/containers/\(id)/start").0, 200)
        XCTAssertEqual(curl("POST", "/v1/containers/\(id)/stop?timeout=x").0, 400)
        (status, body) = curl("POST", "/v1/containers/\(id)/stop?timeout=1")
        XCTAssertEqual(status, 200, body)
        XCTAssertEqual((json(body) as? [String: Any])?["state"] as? String, "stopped")
        let second = try createContainer(bundle)
        (status, body) = curl("DELETE", "/v1/containers/\(second)?force=true")
        XCTAssertEqual(status, 204, body)
        XCTAssertEqual(curl("DELETE", "/v1/containers/\(id)").0, 204)

        usleep(300_000)
        events.terminate()
        let lines = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n")
        events.waitUntilExit()
        let seen = lines.compactMap { json(String($0)) as? [String: Any] }
            .filter { $0["id"] as? String == id }.compactMap { $0["type"] as? String }
        XCTAssertEqual(seen, ["created", "started", "exited", "deleted"], lines.joined(separator: "\n"))
    }
}
