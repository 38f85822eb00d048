import Foundation
import Glibc
import XCTest
@testable import NestRuntime

/// OCI hooks as a user sees them through `nest`: the state every kind reads
/// on stdin, and the runtime-spec's rules for a failing one, with a state
/// larger than a pipe's buffer so that a hook which does not read it makes
/// the writer meet EPIPE.
final class HookTests: CLITestCase {
    /// An annotation of 70 KiB: the state does not fit in a pipe (64 KiB).
    let big = String(repeating: "a", count: 70 * 1024)

    func status(_ id: String) throws -> String? {
        let r = try nest(["state", id])
        guard r.code == 0 else { return nil }
        let o = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        return o?["status"] as? String
    }

    /// A hook that copies its stdin to DIR/state-NAME.json (DIR as the
    /// hook sees it: the host's, or the container's root).
    func recorder(at path: String, dir: String) throws {
        try "#!/bin/sh\ncat > \(dir)/state-$1.json\n".write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
    }

    func hook(_ path: String, _ args: [String]) -> [String: Any] { ["path": path, "args": args] }
    let falseHook: [String: Any] = ["path": "/bin/false", "args": ["false"]]
    let echoHook: [String: Any] = ["path": "/bin/sh", "args": ["sh", "-c", "echo x"]]

    /// A bundle whose process marks `/ran` in its (writable) root, with the
    /// big annotation, its own cgroup, and HOOKS.
    func hookedBundle(cgroup: String, hooks: [String: Any], args: [String] = ["sh", "-c", "touch /ran; sleep 100"]) throws -> String {
        try makeBundle(args) { c in
            c["annotations"] = ["org.nest.big": self.big, "org.nest.small": "v"]
            c.object("root") { $0["readonly"] = false }
            c.linux { $0["cgroupsPath"] = cgroup }
            c["hooks"] = hooks
        }
    }

    func readState(_ path: String) -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    }

    /// Nothing of container ID is left: its state, its cgroup, its process.
    func assertNothingLeft(_ id: String, cgroup: String, bundle: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateRoot + "/" + id), "state dir left", file: file, line: line)
        for controller in (try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? [] {
            XCTAssertFalse(FileManager.default.fileExists(atPath: "/sys/fs/cgroup/\(controller)\(cgroup)"),
                           "cgroup left in \(controller)", file: file, line: line)
        }
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] where Int32(entry) != nil {
            let root = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/root")) ?? ""
            XCTAssertFalse(root.hasPrefix(bundle + "/rootfs"), "process \(entry) left in the container", file: file, line: line)
        }
    }

    // MARK: item 2: the state

    func testEveryKindReadsTheFullStateWithItsStatus() throws {
        let id = uniqueID("state")
        let cgroup = "/nest-hooktest-\(id)"
        let host = tmp + "/rec.sh"
        try recorder(at: host, dir: tmp)
        // startContainer runs in the container: its recorder is in the rootfs
        var hooks: [String: Any] = [:]
        for kind in ["prestart", "createRuntime", "createContainer", "poststart", "poststop"] {
            hooks[kind] = [hook(host, ["rec.sh", kind])]
        }
        hooks["startContainer"] = [hook("/rec.sh", ["rec.sh", "startContainer"])]
        let bundle = try hookedBundle(cgroup: cgroup, hooks: hooks)
        try recorder(at: bundle + "/rootfs/rec.sh", dir: "")
        let created = try nest(["create", "--bundle", bundle, id])
        XCTAssertEqual(created.code, 0, created.stderr)
        let started = try nest(["start", id])
        XCTAssertEqual(started.code, 0, started.stderr)
        let pid = try XCTUnwrap(readState(tmp + "/state-prestart.json")?["pid"] as? Int)
        XCTAssertEqual(try nest(["kill", id, "KILL"]).code, 0)
        while try status(id) != "stopped" { usleep(20_000) }
        let deleted = try nest(["delete", id])
        XCTAssertEqual(deleted.code, 0, deleted.stderr)

        let expected = ["prestart": "created", "createRuntime": "created", "createContainer": "created",
                        "startContainer": "created", "poststart": "running", "poststop": "stopped"]
        for (kind, status) in expected {
            let path = kind == "startContainer" ? bundle + "/rootfs/state-startContainer.json" : tmp + "/state-\(kind).json"
            let state = try XCTUnwrap(readState(path), "\(kind): no state read")
            XCTAssertEqual(state["id"] as? String, id, kind)
            XCTAssertEqual(state["bundle"] as? String, bundle, kind)
            XCTAssertEqual(state["status"] as? String, status, kind)
            XCTAssertEqual(state["pid"] as? Int, kind == "poststop" ? 0 : pid, kind)
            XCTAssertNotNil(state["ociVersion"] as? String, kind)
            let annotations = state["annotations"] as? [String: String]
            XCTAssertEqual(annotations?["org.nest.small"], "v", kind)
            XCTAssertEqual(annotations?["org.nest.big"]?.count, big.count, kind)
        }
    }

    // MARK: item 1: failures, with a state the hook does not read

    func testACreateTimeHookThatFailsFailsTheCreateAndLeavesNothing() throws {
        for kind in ["prestart", "createRuntime", "createContainer"] {
            let id = uniqueID(kind)
            let cgroup = "/nest-hooktest-\(id)"
            let bundle = try hookedBundle(cgroup: cgroup, hooks: [kind: [falseHook]])
            let r = try nest(["create", "--bundle", bundle, id])
            XCTAssertNotEqual(r.code, 0, kind)
            XCTAssertTrue(r.stderr.contains("hook \(kind) /bin/false: exit status 1"), "\(kind): \(r.stderr)")
            XCTAssertNotEqual(r.code, 128 + SIGPIPE, kind)
            assertNothingLeft(id, cgroup: cgroup, bundle: bundle)
        }
    }

    func testAHookThatExitsZeroWithoutReadingItsStateSucceeds() throws {
        let id = uniqueID("echo")
        let kinds = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]
        let bundle = try hookedBundle(cgroup: "/nest-hooktest-\(id)", hooks: Dictionary(uniqueKeysWithValues: kinds.map { ($0, [echoHook]) }))
        let created = try nest(["create", "--bundle", bundle, id])
        XCTAssertEqual(created.code, 0, created.stderr)
        let started = try nest(["start", id])
        XCTAssertEqual(started.code, 0, started.stderr)
        XCTAssertFalse(started.stderr.contains("warning"), started.stderr)
        XCTAssertEqual(try status(id), "running")
        let deleted = try nest(["delete", "--force", id])
        XCTAssertEqual(deleted.code, 0, deleted.stderr)
        XCTAssertFalse(deleted.stderr.contains("warning"), deleted.stderr)
    }

    func testAFailingPoststartHookIsAWarningAndTheRestRun() throws {
        let id = uniqueID("poststart")
        let rec = tmp + "/rec.sh"
        try recorder(at: rec, dir: tmp)
        let bundle = try hookedBundle(cgroup: "/nest-hooktest-\(id)", hooks: [
            "poststart": [falseHook, echoHook, hook(rec, ["rec.sh", "poststart"])],
            "poststop": [falseHook, echoHook, hook(rec, ["rec.sh", "poststop"])],
        ])
        XCTAssertEqual(try nest(["create", "--bundle", bundle, id]).code, 0)
        let started = try nest(["start", id])
        XCTAssertEqual(started.code, 0, started.stderr)
        XCTAssertTrue(started.stderr.contains("warning") && started.stderr.contains("hook poststart /bin/false: exit status 1"),
                      started.stderr)
        XCTAssertEqual(readState(tmp + "/state-poststart.json")?["status"] as? String, "running")
        XCTAssertEqual(try status(id), "running")
        let deleted = try nest(["delete", "--force", id])
        XCTAssertEqual(deleted.code, 0, deleted.stderr)
        XCTAssertTrue(deleted.stderr.contains("warning") && deleted.stderr.contains("hook poststop /bin/false: exit status 1"),
                      deleted.stderr)
        let poststop = readState(tmp + "/state-poststop.json")
        XCTAssertEqual(poststop?["status"] as? String, "stopped")
        XCTAssertEqual((poststop?["annotations"] as? [String: String])?["org.nest.big"]?.count, big.count)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateRoot + "/" + id))
    }

    // MARK: item 3: a failing startContainer hook fails the start

    /// `nest create` hands the init off; `nest start` gets the hook's error.
    func testAFailingStartContainerHookFailsNestStart() throws {
        let id = uniqueID("start")
        let cgroup = "/nest-hooktest-\(id)"
        let bundle = try hookedBundle(cgroup: cgroup, hooks: ["startContainer": [falseHook]])
        XCTAssertEqual(try nest(["create", "--bundle", bundle, id]).code, 0)
        let r = try nest(["start", id])
        XCTAssertNotEqual(r.code, 0)
        XCTAssertNotEqual(r.code, 128 + SIGPIPE)
        XCTAssertTrue(r.stderr.contains("hook startContainer /bin/false: exit status 1"), r.stderr)
        XCTAssertEqual(try status(id), "stopped")
        XCTAssertFalse(FileManager.default.fileExists(atPath: bundle + "/rootfs/ran"), "the process ran")
        let deleted = try nest(["delete", id])
        XCTAssertEqual(deleted.code, 0, deleted.stderr)
        assertNothingLeft(id, cgroup: cgroup, bundle: bundle)
    }

    /// The monitor stays (as nestd has it): the same error from the start.
    func testAFailingStartContainerHookFailsTheStartWhenTheMonitorStays() throws {
        let id = uniqueID("stay")
        let cgroup = "/nest-hooktest-\(id)"
        let bundle = try hookedBundle(cgroup: cgroup, hooks: ["startContainer": [falseHook]])
        _ = try runtime.create(id: id, options: CreateOptions(bundle: bundle, stdio: .log(path: tmp + "/\(id).log")))
        XCTAssertThrowsError(try runtime.start(id: id)) { error in
            guard case RuntimeError.kernel(let k) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(k.step, "hook")
            XCTAssertEqual(k.path, "/bin/false")
            XCTAssertEqual(k.message, "hook startContainer /bin/false: exit status 1")
        }
        let final = try runtime.waitForExit(id: id)
        XCTAssertEqual(final.status, "stopped")
        XCTAssertEqual(final.exitCode, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: bundle + "/rootfs/ran"), "the process ran")
        try runtime.delete(id: id)
        assertNothingLeft(id, cgroup: cgroup, bundle: bundle)
    }

    /// `nest run` in the foreground: created and started at once, the
    /// hook's failure is the run's, and nothing is left.
    func testAFailingStartContainerHookFailsNestRun() throws {
        let id = uniqueID("run")
        let cgroup = "/nest-hooktest-\(id)"
        let bundle = try hookedBundle(cgroup: cgroup, hooks: ["startContainer": [falseHook]], args: ["sh", "-c", "touch /ran"])
        let r = try nest(["run", "--bundle", bundle, id])
        XCTAssertNotEqual(r.code, 0)
        XCTAssertTrue(r.stderr.contains("hook startContainer /bin/false: exit status 1"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: bundle + "/rootfs/ran"), "the process ran")
        assertNothingLeft(id, cgroup: cgroup, bundle: bundle)
    }

    /// The start's answer is the init's, not whatever shape the FIFO's tail has.
    func testTheStartGateReadsOnlyItsOwnAnswers() {
        guard case .started = StartGate.outcome(of: Array("0S\n".utf8)) else { return XCTFail("S") }
        guard case .failed(.kernel(let k)) = StartGate.outcome(of: Array("0error\thook\t/bin/false\t0\t\thook startContainer /bin/false: exit status 1\n".utf8)) else {
            return XCTFail("record")
        }
        XCTAssertEqual(k.message, "hook startContainer /bin/false: exit status 1")
        guard case .failed(.system) = StartGate.outcome(of: Array("0".utf8)) else { return XCTFail("EOF") }
        guard case .failed(.system) = StartGate.outcome(of: Array("0SS".utf8)) else { return XCTFail("junk") }
    }
}
