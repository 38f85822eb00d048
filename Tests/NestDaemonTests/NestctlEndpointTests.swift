import Foundation
import NestAPI
import XCTest

/// Every endpoint of nestd, through the nestctl binary.
final class NestctlEndpointTests: DaemonTestCase {
    func testEveryEndpointWithNestctl() throws {
        let bundle = try makeBundle("b", ["sh", "-c", "echo one; echo two; exec sleep 1000"])

        var r = nestctl(["version"])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("nestd   \(nestVersion) (API v1)"), r.stdout)
        r = nestctl(["version", "--format", "json", "--socket", socketPath], env: ["NEST_SOCKET": "/nonexistent"])
        XCTAssertEqual(r.code, 0, "--socket wins over NEST_SOCKET: \(r.stderr)")
        r = nestctl(["info"])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual((json(r.stdout) as? [String: Any])?["data"] as? String, data)

        // events, in the background for the whole test
        let events = Process()
        events.executableURL = URL(fileURLWithPath: TestEnv.nestctl)
        events.arguments = ["events", "--socket", socketPath]
        let evOut = Pipe()
        events.standardOutput = evOut
        try events.run()
        usleep(300_000)

        r = nestctl(["create", "--name", "app", "--label", "tier=web", bundle])
        XCTAssertEqual(r.code, 0, r.stderr)
        let id = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(id.count, 12)
        r = nestctl(["ps", "-a", "--filter", "label=tier=web", "--format", "json"])
        XCTAssertEqual((json(r.stdout) as? [[String: Any]])?.map { $0["id"] as? String }, [id])
        r = nestctl(["ps"])
        XCTAssertEqual(r.stdout.split(separator: "\n").count, 1, "only the header: nothing runs yet\n\(r.stdout)")
        r = nestctl(["subsystem", "app"])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("<?xml"))
        r = nestctl(["start", "app"])
        XCTAssertEqual(r.code, 0, r.stderr)
        r = nestctl(["inspect", id])
        XCTAssertEqual(r.code, 0, r.stderr)
        let inspected = try JSONDecoder().decode([ContainerInfo].self, from: Data(r.stdout.utf8))
        XCTAssertEqual(inspected.first?.state, "running")
        XCTAssertEqual(inspected.first?.labels, ["tier": "web"])
        XCTAssertTrue(eventually(5) { nestctl(["logs", "app"]).stdout == "one\ntwo\n" })
        XCTAssertEqual(nestctl(["logs", "--tail", "1", "app"]).stdout, "two\n")
        XCTAssertTrue(nestctl(["logs", "--timestamps", "--since", "0", "app"]).stdout.hasPrefix("20"))

        r = nestctl(["rm", "app"])
        XCTAssertEqual(r.code, 1, "running: refused without -f")
        XCTAssertTrue(r.stderr.contains("stop it first"), r.stderr)
        r = nestctl(["kill", "--signal", "TERM", "app"])
        XCTAssertEqual(r.code, 0, r.stderr)
        r = nestctl(["wait", "app"])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(r.stdout, "143\n")
        r = nestctl(["logs", "-f", "app"])
        XCTAssertEqual(r.stdout, "one\ntwo\n", "follow ends when the container has exited")
        r = nestctl(["rm", "app"])
        XCTAssertEqual(r.code, 0, r.stderr)

        let second = try createContainer(bundle, name: "other")
        r = nestctl(["stop", "--timeout", "1", "other"])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(try info(second).state, "stopped")
        _ = try createContainer(bundle, name: "third")
        r = nestctl(["rm", "-f", "other", "third"])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(try get("/v1/containers", as: [ContainerInfo].self).count, 0)
        r = nestctl(["inspect", "nosuch"])
        XCTAssertEqual(r.code, 1)
        XCTAssertTrue(r.stderr.contains("no such container: nosuch"), r.stderr)

        usleep(300_000)
        events.terminate()
        let lines = String(decoding: evOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        events.waitUntilExit()
        for type in ["created", "started", "exited", "deleted"] {
            XCTAssertTrue(lines.contains(" \(type) \(id) app"), "event \(type) in:\n\(lines)")
        }
        XCTAssertTrue(lines.contains("exited \(id) app exitCode=143"), lines)
    }
}
