import Foundation
import Glibc
import NestAPI
import XCTest

/// What nestctl says when something is wrong: each message in the words of
/// its command line, naming the field once.
final class NestctlMessageTests: DaemonTestCase {
    func testBundleErrorNamesItsFieldOnce() throws {
        let bundle = try makeBundle("b", ["true"], jq: ".process.cwd = \"rel\"")
        let r = nestctl(["run", "--rm", bundle])
        XCTAssertEqual(r.code, 1)
        XCTAssertEqual(r.stderr, "nestctl: process.cwd: must be an absolute path, got \"rel\"\n")

        // several problems: one line each, each with its field
        let two = try makeBundle("two", ["true"], jq: ".process.cwd = \"rel\" | .mounts[0].destination = \"x\"")
        let lines = nestctl(["create", two]).stderr.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2, lines.joined(separator: "\n"))
        XCTAssertTrue(lines.contains("nestctl: process.cwd: must be an absolute path, got \"rel\""), lines.joined(separator: "\n"))
        XCTAssertTrue(lines.contains { $0.hasPrefix("nestctl: mounts[0].destination: ") }, lines.joined(separator: "\n"))
        for line in lines { XCTAssertFalse(line.contains("(field"), line) }
    }

    func testFieldIsNamedWhenTheMessageDoesNot() throws {
        let r = nestctl(["kill", "--signal", "NOSUCH", "x"])
        XCTAssertEqual(r.code, 1)
        XCTAssertEqual(r.stderr, "nestctl: unknown signal NOSUCH\n")
        let name = nestctl(["create", "--name", "bad!", try makeBundle("b", ["true"])])
        XCTAssertEqual(name.code, 1)
        XCTAssertEqual(name.stderr, "nestctl: name must match [A-Za-z0-9][A-Za-z0-9_.-]*\n")
    }

    /// The API leaves out a field it cannot name instead of sending "".
    func testNoEmptyFieldInAnswers() throws {
        let (status, body) = curl("POST", "/v1/containers", body: "[]")
        XCTAssertEqual(status, 400)
        let object = try XCTUnwrap(json(body) as? [String: Any], body)
        XCTAssertNil(object["field"], body)
        XCTAssertEqual(object["error"] as? String, "request body: must be a JSON object")
    }

    func testRemovingARunningContainerSaysForce() throws {
        let id = try createContainer(try makeBundle("b", ["sleep", "1000"]))
        let r = nestctl(["rm", id])
        XCTAssertEqual(r.code, 1)
        XCTAssertEqual(r.stderr, "nestctl: container \(id) is running; stop it first or use --force\n")
        XCTAssertEqual(nestctl(["rm", "--force", id]).code, 0)
        // the API keeps its own words
        let again = try createContainer(try makeBundle("c", ["sleep", "1000"]))
        let (status, body) = curl("DELETE", "/v1/containers/\(again)")
        XCTAssertEqual(status, 409)
        XCTAssertTrue(body.contains("force=true"), body)
    }

    /// A user outside the group nest: the socket refuses the connection
    /// (its mode), or nestd does (a socket others may open); either way
    /// nestctl says to join the group or use sudo, not to start nestd.
    func testPermissionDeniedSaysJoinTheGroup() throws {
        let hint = "add yourself to the group nest (sudo usermod -aG nest $USER, then log in again), or use sudo"
        let asNobody = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", TestEnv.nestctl, "ps"]
        let denied = runCommand(asNobody, env: ["NEST_SOCKET": socketPath])
        XCTAssertEqual(denied.code, 1)
        XCTAssertTrue(denied.stderr.contains("Permission denied"), denied.stderr)
        XCTAssertTrue(denied.stderr.contains("only root and members of the group nest may: " + hint.replacingOccurrences(of: "add yourself to the group nest", with: "add yourself to it")), denied.stderr)
        XCTAssertFalse(denied.stderr.contains("start it"), denied.stderr)

        chmod(socketPath, 0o666)
        let refused = runCommand(asNobody, env: ["NEST_SOCKET": socketPath])
        XCTAssertEqual(refused.code, 1)
        XCTAssertEqual(refused.stderr, "nestctl: permission denied: uid 65534 is neither root nor in group nest; \(hint)\n")
    }
}

/// nestd's socket belongs to one daemon.
final class DaemonSocketTests: DaemonTestCase {
    func testSecondDaemonOnTheSameSocketRefusesToStart() throws {
        let first = try XCTUnwrap(daemon)
        let second = try DaemonProcess(argv: [TestEnv.nestd, "--socket", socketPath, "--root", tmp + "/root2", "--data", tmp + "/data2"],
                                       env: ProcessInfo.processInfo.environment, stderrPath: tmp + "/second.stderr")
        XCTAssertEqual(second.exitCode, 1, second.stderr)
        XCTAssertTrue(second.stderr.contains("another nestd is already listening on \(socketPath)"), second.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp + "/root2"), "it touched nothing")
        // the first one still serves, on the same socket file
        XCTAssertTrue(first.isRunning)
        XCTAssertEqual(try get("/v1/version", as: VersionInfo.self).name, "nestd")

        // a socket left by a killed daemon is stale: the next one takes it
        killDaemon()
        XCTAssertTrue(FileManager.default.fileExists(atPath: socketPath))
        try startDaemon()
        XCTAssertEqual(try get("/v1/version", as: VersionInfo.self).name, "nestd")
        // and removes it when it stops
        XCTAssertEqual(stopDaemon(), 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: socketPath))
    }
}
