import Foundation
import Glibc
import XCTest

/// The `nest` command as an engine or a person runs it.
final class CLITests: CLITestCase {
    func stateJSON(_ id: String) throws -> [String: Any] {
        let r = try nest(["state", id])
        XCTAssertEqual(r.code, 0, r.stderr)
        let data = Data(r.stdout.utf8)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any], "not JSON: \(r.stdout)")
    }

    func testRunPrintsHelloAndExitsZero() throws {
        let bundle = try makeBundle(["sh", "-c", "echo hello"])
        let r = try nest(["run", "--bundle", bundle, "hello1"])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(r.stdout, "hello\n")
        XCTAssertEqual(r.stderr, "")
        // run deletes the container afterwards.
        XCTAssertEqual(try nest(["state", "hello1"]).code, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateRoot + "/hello1"))
    }

    func testRunPassesTheExitCodeThrough() throws {
        let bundle = try makeBundle(["sh", "-c", "echo out; echo err >&2; exit 3"])
        let r = try nest(["run", "-b", bundle, "exit3"])
        XCTAssertEqual(r.code, 3)
        XCTAssertEqual(r.stdout, "out\n")
        XCTAssertEqual(r.stderr, "err\n")
    }

    func testRunStartsWithoutAnExecFifoAndRunsThePoststartAndPoststopHooks() throws {
        // nest run creates and starts in one (no exec FIFO): the process
        // runs once the container is set up, the poststart hook after it
        // (seeing it running), the poststop hook after the removal.
        let hookLog = tmp + "/hooks.log"
        let hook = tmp + "/hook.sh"
        try "#!/bin/sh\nread state; echo \"$1 $state\" >> \(hookLog)\n".write(toFile: hook, atomically: true, encoding: .utf8)
        chmod(hook, 0o755)
        let bundle = try makeBundle(["sh", "-c", "sleep 0.3; ls /proc/1/fd >/dev/null; echo ran"]) { c in
            c["hooks"] = [
                "poststart": [["path": hook, "args": ["hook", "poststart"]]],
                "poststop": [["path": hook, "args": ["hook", "poststop"]]],
            ]
        }
        let r = try nest(["run", "--bundle", bundle, "hooked"])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(r.stdout, "ran\n")
        let lines = ((try? String(contentsOfFile: hookLog, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2, "hooks: \(lines)")
        XCTAssertTrue(lines.first?.hasPrefix("poststart ") == true && lines.first?.contains("\"status\":\"running\"") == true, "\(lines)")
        XCTAssertTrue(lines.last?.hasPrefix("poststop ") == true && lines.last?.contains("\"status\":\"stopped\"") == true, "\(lines)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateRoot + "/hooked"))
    }

    func testCreateTimeAndPoststopHooksGetTheAnnotations() throws {
        // One runner (the monitor's) for every kind: the state a prestart,
        // a createRuntime and a poststop hook read holds the bundle's
        // annotations alike.
        let hookLog = tmp + "/annotated.log"
        let hook = tmp + "/annotated.sh"
        try "#!/bin/sh\nread state; echo \"$1 $state\" >> \(hookLog)\n".write(toFile: hook, atomically: true, encoding: .utf8)
        chmod(hook, 0o755)
        let bundle = try makeBundle(["true"]) { c in
            c["annotations"] = ["org.nest.test": "v1"]
            c["hooks"] = [
                "prestart": [["path": hook, "args": ["hook", "prestart"]]],
                "createRuntime": [["path": hook, "args": ["hook", "createRuntime"]]],
                "poststop": [["path": hook, "args": ["hook", "poststop"]]],
            ]
        }
        let r = try nest(["run", "--bundle", bundle, "annotated"])
        XCTAssertEqual(r.code, 0, r.stderr)
        let lines = ((try? String(contentsOfFile: hookLog, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.map { $0.split(separator: " ").first.map(String.init) ?? "" }, ["prestart", "createRuntime", "poststop"], "\(lines)")
        for line in lines {
            XCTAssertTrue(line.contains("\"annotations\":{\"org.nest.test\":\"v1\"}"), line)
        }
    }

    func testCreateStateStartKillDelete() throws {
        let bundle = try makeBundle(["sleep", "100"])
        let id = "cli1"
        let pidFile = tmp + "/cli1.pid"
        let created = try nest(["create", "--bundle", bundle, "--pid-file", pidFile, id])
        XCTAssertEqual(created.code, 0, created.stderr)
        XCTAssertEqual(created.stdout, "")
        var state = try stateJSON(id)
        XCTAssertEqual(state["status"] as? String, "created")
        XCTAssertEqual(state["id"] as? String, id)
        XCTAssertEqual(state["bundle"] as? String, bundle)
        let pid = try XCTUnwrap(state["pid"] as? Int)
        XCTAssertGreaterThan(pid, 0)
        XCTAssertEqual(readTrimmed(pidFile), String(pid))
        XCTAssertEqual(try nest(["start", id]).code, 0)
        state = try stateJSON(id)
        XCTAssertEqual(state["status"] as? String, "running")
        let listed = try nest(["list", "--quiet"])
        XCTAssertEqual(listed.stdout, id + "\n")
        let killed = try nest(["kill", id, "KILL"])
        XCTAssertEqual(killed.code, 0, killed.stderr)
        var tries = 0
        repeat {
            state = try stateJSON(id)
            tries += 1
            if state["status"] as? String != "stopped" { usleep(20_000) }
        } while state["status"] as? String != "stopped" && tries < 250
        XCTAssertEqual(state["status"] as? String, "stopped")
        // The init was handed to the caller, who has its exit status
        // (testCreateHandsTheInitToTheCallersSubreaper); Nest makes none up.
        XCTAssertNil(state["exitCode"])
        let deleted = try nest(["delete", id])
        XCTAssertEqual(deleted.code, 0, deleted.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateRoot + "/" + id))
        XCTAssertEqual(try nest(["list", "--quiet"]).stdout, "")
    }

    /// An engine's shim is a child subreaper that runs `create`, then
    /// `start`, and waits for the pid of --pid-file itself.
    func testCreateHandsTheInitToTheCallersSubreaper() throws {
        let bundle = try makeBundle(["sh", "-c", "echo out; echo err >&2; exit 3"])
        let id = "handoff1", pidFile = tmp + "/handoff1.pid", reaped = tmp + "/reaped"
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        // create's stdout is a pipe the shim reads to EOF: the container's
        // output comes through it, and the EOF comes once it has exited.
        let shim = """
            '\(nestBinary)' --root '\(stateRoot)' create --bundle '\(bundle)' --pid-file '\(pidFile)' \(id) \
                </dev/null 2>'\(tmp)/err' | cat >'\(tmp)/out' &
            while [ ! -s '\(pidFile)' ]; do sleep 0.02; done
            '\(nestBinary)' --root '\(stateRoot)' start \(id)
            wait
            """
        let r = try runHost(["/usr/bin/python3", root + "/Tests/c/subreaper.py", reaped, "/bin/sh", "-c", shim],
                            env: ["NEST_LIBEXEC": TestEnv.libexec])
        XCTAssertEqual(r.code, 0)
        let pid = try XCTUnwrap(readTrimmed(pidFile))
        XCTAssertTrue((try String(contentsOfFile: reaped, encoding: .utf8)).split(separator: "\n").contains("\(pid) 3"),
                      "the subreaper reaps the init \(pid) with exit code 3: \((try? String(contentsOfFile: reaped, encoding: .utf8)) ?? "")")
        XCTAssertEqual(readTrimmed(tmp + "/out"), "out")
        XCTAssertEqual(readTrimmed(tmp + "/err"), "err")
        XCTAssertEqual(try stateJSON(id)["status"] as? String, "stopped")
        XCTAssertEqual(try nest(["delete", id]).code, 0)
    }

    func testUnknownContainerIsExitOneWithOneLine() throws {
        for args in [["state", "nope"], ["kill", "nope", "KILL"], ["delete", "nope"], ["start", "nope"]] {
            let r = try nest(args)
            XCTAssertEqual(r.code, 1, "\(args)")
            XCTAssertEqual(r.stdout, "", "\(args)")
            let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false)
            XCTAssertEqual(lines.count, 2, "\(args): one line, newline-terminated: \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("nope"), "\(args): \(r.stderr)")
        }
    }

    func testLogFileInJSONFormat() throws {
        let log = tmp + "/nest-log.json"
        let r = try nest(["state", "missing-one"], global: ["--log", log, "--log-format", "json"])
        XCTAssertEqual(r.code, 1)
        let text = try String(contentsOfFile: log, encoding: .utf8)
        let lines = text.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, text)
        let record = try XCTUnwrap(JSONSerialization.jsonObject(with: Data((lines.first ?? "").utf8)) as? [String: Any])
        XCTAssertEqual(record["level"] as? String, "error")
        XCTAssertTrue((record["msg"] as? String)?.contains("missing-one") == true, text)
        XCTAssertNotNil(record["time"] as? String)
    }

    /// A shim explains a failed call by the last record of --log; a usage
    /// error (an unknown option, a bad signal) leaves one too.
    func testUsageErrorsAreWrittenToTheLog() throws {
        for (args, words) in [(["create", "--no-such-option", "x"], "no-such-option"), (["kill", "x", "NOPE"], "NOPE")] {
            let log = tmp + "/usage-\(words).json"
            let r = try nest(args, global: ["--log", log, "--log-format", "json"])
            XCTAssertEqual(r.code, 2, "\(args): \(r.stderr)")
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            let line = try XCTUnwrap(text.split(separator: "\n").last, "\(args): nothing in --log")
            let record = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], text)
            XCTAssertEqual(record["level"] as? String, "error")
            XCTAssertTrue((record["msg"] as? String)?.contains(words) == true, text)
        }
    }

    /// `kill ID 0` asks whether the container's process exists (as runc's
    /// and crun's): 0 when it does, an error once it is gone.
    func testKillZeroChecksTheContainerLives() throws {
        let bundle = try makeBundle(["sleep", "100"])
        XCTAssertEqual(try nest(["create", "-b", bundle, "k0"]).code, 0)
        XCTAssertEqual(try nest(["start", "k0"]).code, 0)
        XCTAssertEqual(try nest(["kill", "k0", "0"]).code, 0)
        XCTAssertEqual(try runtime.state(id: "k0").status, "running")
        XCTAssertEqual(try nest(["kill", "k0", "KILL"]).code, 0)
        _ = try runtime.waitForExit(id: "k0")
        XCTAssertNotEqual(try nest(["kill", "k0", "0"]).code, 0)
        XCTAssertEqual(try nest(["delete", "k0"]).code, 0)
    }

    func testRunForwardsTermToTheContainer() throws {
        let bundle = try makeBundle(["sleep", "100"])
        let p = Process()
        p.executableURL = URL(fileURLWithPath: nestBinary)
        p.arguments = ["--root", stateRoot, "run", "-b", bundle, "fwd1"]
        p.environment = ProcessInfo.processInfo.environment.merging(["NEST_LIBEXEC": TestEnv.libexec]) { _, b in b }
        p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        var tries = 0
        func status() -> String? {
            guard let r = try? nest(["state", "fwd1"]), r.code == 0,
                  let o = try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any] else { return nil }
            return o["status"] as? String
        }
        while status() != "running" && tries < 200 { usleep(20_000); tries += 1 }
        XCTAssertEqual(status(), "running")
        usleep(200_000)  // nest installs its handlers after start
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .exit)
        XCTAssertEqual(p.terminationStatus, 143)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateRoot + "/fwd1"))
    }

    func testBadSignalIsRefused() throws {
        let bundle = try makeBundle(["sleep", "100"])
        XCTAssertEqual(try nest(["create", "-b", bundle, "sig1"]).code, 0)
        let r = try nest(["kill", "sig1", "NOPE"])
        XCTAssertEqual(r.code, 2, "an unknown signal is a usage error")
        XCTAssertTrue(r.stderr.contains("NOPE"), r.stderr)
        XCTAssertEqual(try stateJSON("sig1")["status"] as? String, "created")
        XCTAssertEqual(try nest(["delete", "--force", "sig1"]).code, 0)
    }
}
