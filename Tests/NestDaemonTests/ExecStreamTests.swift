import Foundation
import Glibc
import NestAPI
import NestClient
import XCTest

/// nestctl exec and POST /v1/containers/{id}/exec: a process in a running
/// container, streamed and reaped by nestd.
final class ExecStreamTests: DaemonTestCase {
    func sh(_ command: String) -> RunResult {
        runCommand(["/bin/sh", "-c", command], env: ["NEST_SOCKET": socketPath, "NESTCTL": TestEnv.nestctl])
    }

    func running() throws -> String {
        try createContainer(try makeBundle("b", ["sleep", "1000"]), name: "box")
    }

    func testExitCodeAndOutput() throws {
        let id = try running()
        let r = nestctl(["exec", id, "sh", "-c", "echo out; echo err >&2; exit 7"])
        XCTAssertEqual(r.code, 7)
        XCTAssertEqual(r.stdout, "out\n")
        XCTAssertEqual(r.stderr, "err\n")
        XCTAssertEqual(nestctl(["exec", "box", "true"]).code, 0, "by name too")
        // killed by a signal: 128+N
        XCTAssertEqual(nestctl(["exec", id, "sh", "-c", "kill -KILL $$"]).code, 137)
        // it ran in the container: its pid namespace, where the container's process is PID 2 or 1
        let ps = nestctl(["exec", id, "cat", "/proc/1/cmdline"])
        XCTAssertEqual(ps.code, 0, ps.stderr)
        XCTAssertFalse(ps.stdout.isEmpty)
        XCTAssertNotEqual(ps.stdout, (try? String(contentsOfFile: "/proc/1/cmdline", encoding: .utf8)) ?? "", "not the host's PID 1")
        // nestd reaped every process it exec'd
        let pid = try XCTUnwrap(daemon?.pid)
        XCTAssertEqual(zombies(of: pid), [])
    }

    func testEnvUserAndWorkdir() throws {
        let id = try running()
        let r = nestctl(["exec", "-e", "FOO=bar", "-e", "PATH=/bin", "-u", "1000:1001", "-w", "/tmp", id,
                         "sh", "-c", "echo $FOO $PATH; id -u; id -g; pwd"])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(r.stdout, "bar /bin\n1000\n1001\n/tmp\n")
    }

    func testInteractiveStdin() throws {
        let id = try running()
        let r = sh("printf 'one\\ntwo\\n' | \"$NESTCTL\" exec -i \(id) sh -c 'cat; echo done'")
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(r.stdout, "one\ntwo\ndone\n")
        // without -i its stdin is /dev/null
        let none = sh("echo lost | \"$NESTCTL\" exec \(id) cat")
        XCTAssertEqual(none.code, 0, none.stderr)
        XCTAssertEqual(none.stdout, "")
    }

    func testTerminal() throws {
        guard access("/usr/bin/script", X_OK) == 0 else { throw XCTSkip("needs script (util-linux)") }
        let id = try running()
        let r = sh("/usr/bin/script -qec 'stty rows 33 cols 90; \"$NESTCTL\" exec -t \(id) sh -c \"tty; stty size; exit 2\"; echo rc=$?' /dev/null < /dev/null")
        let lines = r.stdout.replacingOccurrences(of: "\r", with: "").split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { $0.hasPrefix("/dev/pts/") }, r.stdout)
        XCTAssertTrue(lines.contains("33 90"), r.stdout)
        XCTAssertTrue(lines.contains("rc=2"), r.stdout)
    }

    func testErrorsNameTheOption() throws {
        let id = try running()
        let cwd = nestctl(["exec", "-w", "rel", id, "true"])
        XCTAssertEqual(cwd.code, 1)
        XCTAssertEqual(cwd.stderr, "nestctl: --workdir: must be an absolute path, got \"rel\"\n")
        let user = nestctl(["exec", "-u", "root:", id, "true"])
        XCTAssertEqual(user.code, 1)
        XCTAssertEqual(user.stderr, "nestctl: --user: must be USER or USER:GROUP (a name or a number each), got \"root:\"\n")
        let missing = nestctl(["exec", id, "/no/such/program"])
        XCTAssertEqual(missing.code, 1)
        XCTAssertTrue(missing.stderr.contains("/no/such/program"), missing.stderr)
        XCTAssertTrue(missing.stderr.contains("No such file or directory"), missing.stderr)
        XCTAssertEqual(nestctl(["exec", "nosuch", "true"]).stderr, "nestctl: no such container: nosuch\n")
        XCTAssertEqual(nestctl(["exec", id]).code, 2, "no command")

        let done = try createContainer(try makeBundle("done", ["true"]))
        XCTAssertEqual(nestctl(["wait", done]).code, 0)
        let stopped = nestctl(["exec", done, "true"])
        XCTAssertEqual(stopped.code, 1)
        XCTAssertTrue(stopped.stderr.contains("stopped"), stopped.stderr)
        let pid = try XCTUnwrap(daemon?.pid)
        XCTAssertEqual(zombies(of: pid), [], "a failed exec leaves no process")
    }

    /// The API itself: the refusals are JSON, the stream ends with the exit frame.
    func testEndpoint() throws {
        let id = try running()
        let (status, body) = curl("POST", "/v1/containers/\(id)/exec", body: #"{"args":["true"]}"#)
        XCTAssertEqual(status, 400)
        XCTAssertEqual((json(body) as? [String: Any])?["field"] as? String, "Upgrade")
        guard case .refused(let empty) = try client.openStream("POST", "/v1/containers/\(id)/exec", body: Array(#"{"args":[]}"#.utf8)) else {
            return XCTFail("exec of nothing was streamed")
        }
        XCTAssertEqual(empty.status, 400)
        XCTAssertEqual((json(empty.text) as? [String: Any])?["field"] as? String, "args")

        let body2 = try JSONEncoder().encode(ExecBody(args: ["sh", "-c", "read x; echo got $x; echo e >&2; exit 3"], stdin: true))
        guard case .upgraded(let stream) = try client.openStream("POST", "/v1/containers/\(id)/exec", body: Array(body2)) else {
            return XCTFail("exec was refused")
        }
        try stream.send(StreamFrame.stdin, Array("it\n".utf8))
        var out: [UInt8: String] = [:]
        var code: String?
        while let f = try stream.next() {
            if f.type == StreamFrame.exit { code = String(decoding: f.payload, as: UTF8.self); break }
            out[f.type, default: ""] += String(decoding: f.payload, as: UTF8.self)
        }
        XCTAssertEqual(out[StreamFrame.stdout], "got it\n")
        XCTAssertEqual(out[StreamFrame.stderr], "e\n")
        XCTAssertEqual(code, "3")
        XCTAssertNil(try stream.next(), "the exit frame is the last")
    }

    /// Children of PID that are zombies.
    func zombies(of pid: Int32) -> [Int32] {
        var out: [Int32] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let p = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(p)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            if fields.count > 1, fields[0] == "Z", Int32(fields[1]) == pid { out.append(p) }
        }
        return out
    }
}
