import Foundation
import Glibc
import XCTest
@testable import NestRuntime

/// Many containers, bad input, user namespaces: what is left on the host and
/// what the caller is told.
final class LifecycleTests: RootTestCase {
    func testFiftyContainersLeaveNothingBehind() throws {
        let bundle = try makeBundle(["true"])
        // One of each kind first, so that lazily opened fds (e.g. of the
        // cgroup manager or Foundation) are not counted as leaks.
        let warm = uniqueID("warm")
        _ = try runtime.create(id: warm, options: CreateOptions(bundle: bundle, stdio: .log(path: tmp + "/warm.log")))
        try runtime.start(id: warm)
        try runtime.waitForExit(id: warm)
        try runtime.delete(id: warm)

        let mountsBefore = mountCount()
        let fdsBefore = openFDs()
        var ids: [String] = []
        for i in 0..<50 {
            let id = uniqueID("many\(i)")
            ids.append(id)
            let stdio: StdioMode = i % 2 == 0 ? .null : .log(path: tmp + "/many.log")
            let created = try runtime.create(id: id, options: CreateOptions(bundle: bundle, stdio: stdio))
            XCTAssertEqual(created.status, "created")
            try runtime.start(id: id)
            if i % 3 == 0 {
                // As `nest state` users do: poll, never wait.
                var n = 0
                while try runtime.state(id: id).status != "stopped" && n < 500 { usleep(10_000); n += 1 }
            } else {
                try runtime.waitForExit(id: id)
            }
            XCTAssertEqual(try runtime.state(id: id).exitCode, 0)
            try runtime.delete(id: id)
        }
        usleep(200_000)
        XCTAssertEqual(mountCount(), mountsBefore, "mounts leaked")
        XCTAssertEqual(openFDs(), fdsBefore, "fds leaked")
        XCTAssertEqual(childPids(zombiesOnly: true), [], "zombie children of the test process")
        XCTAssertEqual(childPids(), [], "children of the test process still running")
        XCTAssertEqual(runtime.list().map(\.id), [])
        for id in ids {
            XCTAssertFalse(FileManager.default.fileExists(atPath: stateRoot + "/" + id), "state dir of \(id) left")
            for hier in cgroupHierarchies() {
                XCTAssertFalse(FileManager.default.fileExists(atPath: "/sys/fs/cgroup/\(hier)/nest/\(id)"), "cgroup \(hier) of \(id) left")
            }
        }
    }

    func testInvalidSpecIsRefusedNamingThePathAndLeavesNothing() throws {
        let bundle = try makeBundle(["true"]) { c in c.process { p in p["cwd"] = "relative/dir" } }
        let id = uniqueID("bad")
        let fdsBefore = openFDs()
        do {
            _ = try runtime.create(id: id, options: CreateOptions(bundle: bundle, stdio: .null))
            XCTFail("a relative process.cwd was accepted")
        } catch let error {
            guard case .invalidSpec(let errors) = error else { return XCTFail("not invalidSpec: \(error)") }
            XCTAssertTrue(errors.contains { $0.path == "process.cwd" }, "\(errors)")
            XCTAssertTrue(error.description.contains("process.cwd"), error.description)
        }
        assertNothingMade(id)
        // The monitor started ahead of the translation is gone, and its pipes.
        XCTAssertEqual(childPids(), [], "the early monitor was not collected")
        XCTAssertEqual(openFDs(), fdsBefore, "fds leaked")
    }

    func testWrongTypeIsRefusedNamingThePath() throws {
        let bundle = try makeBundle(["true"]) { c in c["hostname"] = 42 }
        let id = uniqueID("bad")
        XCTAssertThrowsError(try runtime.create(id: id, options: CreateOptions(bundle: bundle, stdio: .null))) { error in
            guard let e = error as? RuntimeError, case .invalidSpec(let errors) = e else { return XCTFail("not invalidSpec: \(error)") }
            XCTAssertTrue(errors.contains { $0.path == "hostname" }, "\(errors)")
        }
        assertNothingMade(id)
    }

    func testCgroupsThatCannotBeMadeFailTheCreateAndLeaveNothing() throws {
        // The monitor is let go before the cgroups are made (they are made
        // while it clones the init): a cgroup error then has to stop it.
        let bundle = try makeBundle(["true"]) { c in
            // a CPU this host does not have: only the kernel can refuse it
            c.linux { l in l.object("resources") { r in r["cpu"] = ["cpus": "1000"] } }
        }
        let id = uniqueID("cgfail")
        let fdsBefore = openFDs(), mountsBefore = mountCount()
        do {
            _ = try runtime.create(id: id, options: CreateOptions(bundle: bundle, stdio: .null))
            XCTFail("a cpuset of a CPU the host does not have was accepted")
        } catch let error {
            guard case .invalidArgument(let message, let field) = error else { return XCTFail("not invalidArgument: \(error)") }
            XCTAssertEqual(field, "linux.resources.cpu.cpus")
            XCTAssertTrue(message.contains("cpuset.cpus"), message)
        }
        assertNothingMade(id)
        XCTAssertEqual(childPids(), [], "the monitor was not collected")
        XCTAssertEqual(openFDs(), fdsBefore, "fds leaked")
        XCTAssertEqual(mountCount(), mountsBefore, "mounts leaked")
    }

    func testRlimitAboveTheHardLimitIsInvalidArgument() throws {
        var current = rlimit()
        getrlimit(__rlimit_resource_t(UInt32(RLIMIT_NOFILE.rawValue)), &current)
        let tooHigh = UInt64(current.rlim_max) * 2
        let bundle = try makeBundle(["true"]) { c in
            c.process { p in p["rlimits"] = [["type": "RLIMIT_NOFILE", "soft": 1024, "hard": tooHigh] as [String: Any]] }
        }
        let id = uniqueID("rlimit")
        do {
            _ = try runtime.create(id: id, options: CreateOptions(bundle: bundle, stdio: .null))
            XCTFail("an rlimit above the hard limit was accepted")
        } catch let error {
            guard case .invalidArgument(let message, let field) = error else { return XCTFail("not invalidArgument: \(error)") }
            XCTAssertEqual(field, "process.rlimits[0]")
            XCTAssertTrue(message.contains("RLIMIT_NOFILE"), message)
        }
        assertNothingMade(id)
    }

    func testSetupFailureInTheMonitorIsReportedAndLeavesNothing() throws {
        // A mount the kernel refuses: the monitor reports it, kills what it
        // made and exits; create cleans up its side.
        let bundle = try makeBundle(["true"]) { c in
            c["mounts"] = (c["mounts"] as? [[String: Any]] ?? []) + [["destination": "/tmp", "type": "nosuchfs", "source": "none"]]
        }
        let warm = uniqueID("warm")
        _ = try? runtime.create(id: warm, options: CreateOptions(bundle: bundle, stdio: .null))
        let fdsBefore = openFDs(), mountsBefore = mountCount()
        let id = uniqueID("fail")
        do {
            _ = try runtime.create(id: id, options: CreateOptions(bundle: bundle, stdio: .log(path: tmp + "/fail.log")))
            XCTFail("a mount of an unknown filesystem type was accepted")
        } catch let error {
            guard case .kernel(let k) = error else { return XCTFail("not a kernel error: \(error)") }
            XCTAssertTrue(k.message.contains("/tmp") && k.message.contains("No such device"), k.message)
            XCTAssertEqual(k.step, "mount")
            XCTAssertEqual(k.path, "/tmp")
            XCTAssertEqual(k.errno, ENODEV)
            XCTAssertEqual(k.errnoName, "ENODEV")
            XCTAssertEqual(error.description, k.message)
        }
        assertNothingMade(id)
        XCTAssertEqual(openFDs(), fdsBefore, "fds leaked")
        XCTAssertEqual(mountCount(), mountsBefore, "mounts leaked")
        XCTAssertEqual(childPids(), [], "children left (the monitor was not collected)")
        XCTAssertEqual(runtime.list().map(\.id), [])
    }

    func testDeleteOfARunningContainerNeedsForce() throws {
        let bundle = try makeBundle(["sleep", "100"])
        let id = uniqueID("running")
        _ = try runtime.create(id: id, options: CreateOptions(bundle: bundle, stdio: .null))
        try runtime.start(id: id)
        do {
            try runtime.delete(id: id)
            XCTFail("deleted a running container without force")
        } catch let error {
            guard case .invalidState(let got, let state, _) = error else { return XCTFail("not invalidState: \(error)") }
            XCTAssertEqual(got, id)
            XCTAssertEqual(state, "running")
        }
        XCTAssertEqual(try runtime.state(id: id).status, "running")
        try runtime.delete(id: id, force: true)
        XCTAssertThrowsError(try runtime.state(id: id))
        assertNothingMade(id)
    }

    func testUserNamespaceMapsRootToAHighUid() throws {
        let bundle = try makeBundle(["sh", "-c", "id; cat /proc/self/uid_map"]) { c in
            c.linux { l in
                var ns = l["namespaces"] as? [[String: Any]] ?? []
                ns.append(["type": "user"])
                l["namespaces"] = ns
                l["uidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
                l["gidMappings"] = [["containerID": 0, "hostID": 100000, "size": 65536]]
            }
        }
        let chown = host("chown -R 100000:100000 '\(bundle)/rootfs'")
        XCTAssertEqual(chown.code, 0, chown.stderr)
        let r = try runContainer(bundle)
        XCTAssertEqual(r.exitCode, 0, "stderr: \(r.stderr)")
        XCTAssertTrue(r.stdout.first?.hasPrefix("uid=0(root) gid=0(root)") == true, "stdout: \(r.stdout) stderr: \(r.stderr)")
        XCTAssertEqual(r.stdout.dropFirst().first?.split(separator: " ").map(String.init), ["0", "100000", "65536"])
    }

    // MARK: helpers

    func assertNothingMade(_ id: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateRoot + "/" + id), "state dir left", file: file, line: line)
        for hier in cgroupHierarchies() {
            XCTAssertFalse(FileManager.default.fileExists(atPath: "/sys/fs/cgroup/\(hier)/nest/\(id)"),
                           "cgroup \(hier) left", file: file, line: line)
        }
    }
}

/// The hierarchies mounted under /sys/fs/cgroup (or "." for a v2-only host).
func cgroupHierarchies() -> [String] {
    if FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers") { return ["."] }
    return ((try? FileManager.default.contentsOfDirectory(atPath: "/sys/fs/cgroup")) ?? []).sorted()
}
