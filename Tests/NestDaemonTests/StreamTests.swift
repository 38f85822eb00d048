import Foundation
import Glibc
import NestAPI
import NestClient
import XCTest

/// Streams between nestctl and nestd (docs/api/streams.md): run -i, -t, -d
/// and attach, through the real binaries and the raw frames.
final class StreamTests: DaemonTestCase {
    /// A shell command line with nestctl on this test's daemon.
    func sh(_ command: String) -> RunResult {
        runCommand(["/bin/sh", "-c", command], env: ["NEST_SOCKET": socketPath, "NESTCTL": TestEnv.nestctl])
    }

    /// COMMAND under script(1): a real terminal, fed INPUT; the terminal's
    /// output with \r removed.
    func underTerminal(_ command: String, input: String = "") throws -> String {
        guard access("/usr/bin/script", X_OK) == 0 else { throw XCTSkip("needs script (util-linux)") }
        let quoted = command.replacingOccurrences(of: "'", with: "'\\''")
        let r = sh("printf '%s' '\(input.replacingOccurrences(of: "'", with: "'\\''"))' | /usr/bin/script -qec '\(quoted)' /dev/null")
        return r.stdout.replacingOccurrences(of: "\r", with: "")
    }

    func bundle(_ name: String, _ args: [String], jq: String? = nil) throws -> String { try makeBundle(name, args, jq: jq) }

    func testRunInteractivePassesStdin() throws {
        let cat = try bundle("cat", ["cat"])
        let r = sh("echo x | \"$NESTCTL\" run -i --rm \(cat)")
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(r.stdout, "x\n")
        XCTAssertEqual(try get("/v1/containers", as: [ContainerInfo].self).count, 0, "--rm removed it")
        // without -i the container's stdin is /dev/null
        let plain = sh("echo x | \"$NESTCTL\" run --rm \(cat)")
        XCTAssertEqual(plain.code, 0, plain.stderr)
        XCTAssertEqual(plain.stdout, "")
        // more than the daemon buffers (the frame reader pauses, then goes on)
        let many = sh("seq 1 150000 | \"$NESTCTL\" run -i --rm \(cat) | cksum; seq 1 150000 | cksum")
        let sums = many.stdout.split(separator: "\n")
        XCTAssertEqual(sums.count, 2, many.stdout + many.stderr)
        XCTAssertEqual(sums.first, sums.last)
    }

    func testRunTtyGivesARealTerminalOfNestctlsSize() throws {
        let b = try bundle("tty", ["sh", "-c", "tty; stty size; exit 3"])
        let out = try underTerminal("stty rows 30 cols 100; a=$(stty -g); \"$NESTCTL\" run -t --rm \(b); echo rc=$?; [ \"$a\" = \"$(stty -g)\" ] && echo restored")
        let lines = out.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains { $0.hasPrefix("/dev/pts/") && Int($0.dropFirst(9)) != nil }, out)
        XCTAssertTrue(lines.contains("30 100"), out)
        XCTAssertTrue(lines.contains("rc=3"), out)
        XCTAssertTrue(lines.contains("restored"), "nestctl's terminal is as it was: \(out)")
    }

    func testRunInteractiveTtyTypesIntoAShell() throws {
        let b = try bundle("sh", ["sh"])
        let out = try underTerminal("\"$NESTCTL\" run -it --rm \(b); echo rc=$?", input: "echo typed; tty; exit 5\n")
        let lines = out.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains("typed"), out)
        XCTAssertTrue(lines.contains { $0.hasPrefix("/dev/pts/") }, out)
        XCTAssertTrue(lines.contains("rc=5"), out)
        XCTAssertEqual(try get("/v1/containers", as: [ContainerInfo].self).count, 0)
        // -it needs a terminal to make raw
        let piped = sh("echo x | \"$NESTCTL\" run -it --rm \(b)")
        XCTAssertEqual(piped.code, 2)
        XCTAssertTrue(piped.stderr.contains("the input is not a terminal"), piped.stderr)
    }

    /// A config with process.terminal runs without -t: nestd is its console.
    func testTerminalConfigNeedsNoConsoleSocketOfTheCallers() throws {
        let b = try bundle("term", ["sh", "-c", "tty"], jq: ".process.terminal = true")
        let r = nestctl(["run", "--rm", b])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("/dev/pts/"), r.stdout)
        XCTAssertTrue(r.stdout.hasSuffix("\r\n"), "a terminal's newline: \(r.stdout.debugDescription)")
    }

    func testDetachedWithOpenStdinThenAttach() throws {
        let d = nestctl(["run", "-d", "-i", "--name", "cat", try bundle("cat", ["cat"])])
        XCTAssertEqual(d.code, 0, d.stderr)
        let id = d.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(try info(id).state, "running")
        let stream = try attach(id)
        try stream.send(StreamFrame.stdin, Array("hello\n".utf8))
        try stream.send(StreamFrame.resize, Array("40 120".utf8))    // no terminal: nothing to resize
        try stream.send(StreamFrame.stdin, [UInt8]())
        let (out, code) = try collect(stream)
        XCTAssertEqual(out[StreamFrame.stdout].map { String(decoding: $0, as: UTF8.self) }, "hello\n")
        XCTAssertEqual(code, 0)
        XCTAssertEqual(try info(id).state, "stopped")
        // a stopped container: no output, its exit at once
        let again = try collect(try attach(id))
        XCTAssertEqual(again.0.isEmpty, true)
        XCTAssertEqual(again.1, 0)
    }

    /// Attached to a running container, a client sees what it writes from
    /// then on; a container without openStdin drops stdin frames.
    func testAttachToARunningContainerSeesNewOutput() throws {
        let id = try createContainer(try bundle("b", ["sh", "-c", "trap 'cat; echo after; exit 9' TERM; echo before; while :; do sleep 0.1; done"]))
        XCTAssertTrue(eventually(10) { self.logs(id) == "before\n" }, logs(id))
        let stream = try attach(id)
        try stream.send(StreamFrame.stdin, Array("dropped\n".utf8))
        XCTAssertEqual(nestctl(["kill", "-s", "TERM", id]).code, 0)
        let (out, code) = try collect(stream)
        // cat read /dev/null: the stdin frame went nowhere
        XCTAssertEqual(out[StreamFrame.stdout].map { String(decoding: $0, as: UTF8.self) }, "after\n")
        XCTAssertEqual(code, 9)
    }

    func testTerminalResizeFrameReachesThePty() throws {
        let r = try request("POST", "/v1/containers", body: CreateRequest(
            bundle: try bundle("sh", ["sh"]), openStdin: true, tty: true, consoleSize: TerminalSize(height: 10, width: 20)))
        XCTAssertEqual(r.status, 201, r.text)
        let id = try JSONDecoder().decode(CreateResponse.self, from: Data(r.body)).id
        let stream = try attach(id)
        XCTAssertEqual(try client.request("POST", "/v1/containers/\(id)/start").status, 200)
        try stream.send(StreamFrame.stdin, Array("stty size\n".utf8))
        // the size given at create, before the resize is sent
        let first = try readUntil(stream, "10 20\r\n")
        XCTAssertTrue(first.contains("10 20"), first)
        try stream.send(StreamFrame.resize, Array("40 120".utf8))
        try stream.send(StreamFrame.stdin, Array("stty size; exit 4\n".utf8))
        let (out, code) = try collect(stream)
        let text = String(decoding: out[StreamFrame.stdout] ?? [], as: UTF8.self).replacingOccurrences(of: "\r", with: "")
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains("40 120"), text)
        XCTAssertNil(out[StreamFrame.stderr], "a terminal's output is all stdout")
        XCTAssertEqual(code, 4)
    }

    func testAttachNeedsTheUpgradeAndFramesItKnows() throws {
        let id = try createContainer(try bundle("b", ["sleep", "1000"]))
        let (status, body) = curl("POST", "/v1/containers/\(id)/attach")
        XCTAssertEqual(status, 400)
        XCTAssertEqual((json(body) as? [String: Any])?["field"] as? String, "Upgrade")
        guard case .refused(let missing) = try client.openStream("POST", "/v1/containers/nosuch/attach") else {
            return XCTFail("attached to no container")
        }
        XCTAssertEqual(missing.status, 404)
        // a frame a client may not send ends the connection, not the container
        let stream = try attach(id)
        try stream.send(StreamFrame.exit, Array("0".utf8))
        XCTAssertNil(try stream.next())
        XCTAssertEqual(try info(id).state, "running")
    }

    // MARK: helpers

    func attach(_ id: String) throws -> FrameStream {
        switch try client.openStream("POST", "/v1/containers/\(id)/attach") {
        case .upgraded(let s): return s
        case .refused(let r): throw Failure("attach \(id): \(r.status) \(r.text)")
        }
    }

    /// Output until it contains TEXT (or the stream ends).
    func readUntil(_ stream: FrameStream, _ text: String) throws -> String {
        var seen: [UInt8] = []
        while !String(decoding: seen, as: UTF8.self).contains(text), let f = try stream.next(), f.type != StreamFrame.exit {
            seen += f.payload
        }
        return String(decoding: seen, as: UTF8.self)
    }

    /// Every output frame's bytes by type, and the exit code (nil: none came).
    func collect(_ stream: FrameStream) throws -> ([UInt8: [UInt8]], Int32?) {
        var out: [UInt8: [UInt8]] = [:]
        while let f = try stream.next() {
            if f.type == StreamFrame.exit { return (out, Int32(String(decoding: f.payload, as: UTF8.self))) }
            out[f.type, default: []] += f.payload
        }
        return (out, nil)
    }
}
