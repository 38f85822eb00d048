import Foundation
import Glibc
import XCTest

/// `nest pause`, `resume`, `ps` and `update` as engines call them.
extension CLITests {
    /// Creates and starts ARGS as container ID; the container's cgroup
    /// dirs, from its state record.
    func startContainer(_ id: String, _ args: [String]) throws {
        let bundle = try makeBundle(args)
        let created = try nest(["create", "--bundle", bundle, id])
        XCTAssertEqual(created.code, 0, created.stderr)
        XCTAssertEqual(try nest(["start", id]).code, 0)
    }

    /// A v1 control file of the container, or its v2 counterpart.
    func cgroupFile(_ id: String, v1: String, v2: String) -> String? {
        let controller = String(v1.prefix { $0 != "." })
        for path in ["/sys/fs/cgroup/\(controller)/nest/\(id)/\(v1)", "/sys/fs/cgroup/nest/\(id)/\(v2)"]
            where FileManager.default.fileExists(atPath: path) {
            return readTrimmed(path)
        }
        return nil
    }

    func testPauseResumeAndPsFromTheCommandLine() throws {
        try startContainer("ops1", ["sh", "-c", "sleep 1000 & exec sleep 1001"])
        let initPid = try XCTUnwrap(try stateJSON("ops1")["pid"] as? Int)
        var pids: [Int] = []
        // the shell's child starts a moment after the start
        for _ in 0..<250 {
            let json = try nest(["ps", "--format", "json", "ops1"])
            XCTAssertEqual(json.code, 0, json.stderr)
            pids = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [Int], json.stdout)
            if pids.count >= 3 { break }
            usleep(20_000)
        }
        XCTAssertTrue(pids.contains(initPid), "\(pids) lacks the init \(initPid)")
        XCTAssertEqual(pids.count, 3, "the init, sleep 1000 and sleep 1001: \(pids)")

        let table = try nest(["ps", "ops1"])
        XCTAssertEqual(table.code, 0, table.stderr)
        let rows = table.stdout.split(separator: "\n")
        XCTAssertTrue(rows.first?.contains("PID") == true && rows.first?.contains("CMD") == true, table.stdout)
        XCTAssertEqual(rows.count, 4, table.stdout)
        XCTAssertTrue(rows.contains { $0.hasSuffix("sleep 1001") }, table.stdout)
        let custom = try nest(["ps", "ops1", "-o", "pid,comm"])
        XCTAssertEqual(custom.code, 0, custom.stderr)
        XCTAssertEqual(Set(custom.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: " ")[0] }),
                       Set(pids.map { Substring(String($0)) }), custom.stdout)
        let noPid = try nest(["ps", "ops1", "-o", "comm"])
        XCTAssertEqual(noPid.code, 1)
        XCTAssertTrue(noPid.stderr.contains("no PID column"), noPid.stderr)

        XCTAssertEqual(try nest(["pause", "ops1"]).code, 0)
        XCTAssertEqual(try stateJSON("ops1")["status"] as? String, "paused")
        let again = try nest(["pause", "ops1"])
        XCTAssertEqual(again.code, 1)
        XCTAssertTrue(again.stderr.contains("is paused"), again.stderr)
        XCTAssertEqual(try nest(["resume", "ops1"]).code, 0)
        XCTAssertEqual(try stateJSON("ops1")["status"] as? String, "running")
        let resumed = try nest(["resume", "ops1"])
        XCTAssertEqual(resumed.code, 1)
        XCTAssertTrue(resumed.stderr.contains("is running, not paused"), resumed.stderr)
        XCTAssertEqual(try nest(["pause", "ops1"]).code, 0)
        XCTAssertEqual(try nest(["delete", "--force", "ops1"]).code, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateRoot + "/ops1"))
    }

    func testUpdateChangesTheLimitsLiveAndStateShowsThem() throws {
        try startContainer("upd1", ["sleep", "1000"])
        let set = try nest(["update", "--memory", "64m", "--pids-limit", "20", "--cpu-period", "100000", "--cpu-quota", "50000", "upd1"])
        XCTAssertEqual(set.code, 0, set.stderr)
        XCTAssertEqual(cgroupFile("upd1", v1: "memory.limit_in_bytes", v2: "memory.max"), "67108864")
        XCTAssertEqual(cgroupFile("upd1", v1: "pids.max", v2: "pids.max"), "20")
        XCTAssertEqual(cgroupFile("upd1", v1: "cpu.cfs_quota_us", v2: "cpu.max").map { String($0.prefix { $0 != " " }) }, "50000")
        var state = try stateJSON("upd1")
        let resources = try XCTUnwrap(state["resources"] as? [String: Any], "nest state shows no resources")
        XCTAssertEqual((resources["memory"] as? [String: Any])?["limit"] as? Int, 64 << 20)
        XCTAssertEqual((resources["pids"] as? [String: Any])?["limit"] as? Int, 20)
        XCTAssertEqual((resources["cpu"] as? [String: Any])?["quota"] as? Int, 50000)
        XCTAssertNil(state["annotations"])

        // A value the kernel refuses: the flag is named, nothing changes.
        let refused = try nest(["update", "--cpu-quota", "20000", "--cpuset-cpus", "999", "upd1"])
        XCTAssertEqual(refused.code, 1)
        XCTAssertTrue(refused.stderr.contains("--cpuset-cpus: cpuset.cpus: "), refused.stderr)
        XCTAssertEqual(cgroupFile("upd1", v1: "cpu.cfs_quota_us", v2: "cpu.max").map { String($0.prefix { $0 != " " }) }, "50000")
        // Values that do not read, or that Nest does not apply.
        for (args, words) in [(["--pids-limit", "many"], "--pids-limit: must be a whole number"),
                              (["--memory", "12q"], "--memory: must be a number of bytes"),
                              (["--cpu-share", "1"], "--cpu-share: must be between 2 and 262144"),
                              (["--kernel-memory", "10m"], "--kernel-memory: kernel memory limits are not supported")] {
            let r = try nest(["update"] + args + ["upd1"])
            XCTAssertEqual(r.code, 1, "\(args)")
            XCTAssertTrue(r.stderr.contains(words), "\(args): \(r.stderr)")
        }
        XCTAssertEqual(cgroupFile("upd1", v1: "pids.max", v2: "pids.max"), "20")
        let none = try nest(["update", "upd1"])
        XCTAssertEqual(none.code, 2)
        XCTAssertTrue(none.stderr.contains("nothing to update"), none.stderr)

        // An OCI resources document, from a file and from stdin (as the shims send it).
        let file = tmp + "/resources.json"
        try #"{"pids":{"limit":30},"memory":{"limit":134217728}}"#.write(toFile: file, atomically: true, encoding: .utf8)
        let fromFile = try nest(["update", "--resources", file, "upd1"])
        XCTAssertEqual(fromFile.code, 0, fromFile.stderr)
        XCTAssertEqual(cgroupFile("upd1", v1: "pids.max", v2: "pids.max"), "30")
        XCTAssertEqual(cgroupFile("upd1", v1: "memory.limit_in_bytes", v2: "memory.max"), "134217728")
        try #"{"pids":{"limit":40}}"#.write(toFile: file, atomically: true, encoding: .utf8)
        let quoted = [nestBinary, "--root", stateRoot, "update", "-r", "-", "upd1"].map { "'" + $0 + "'" }.joined(separator: " ")
        let fromStdin = try runHost(["/bin/sh", "-c", "\(quoted) <'\(file)'"], env: ["NEST_LIBEXEC": TestEnv.libexec])
        XCTAssertEqual(fromStdin.code, 0, fromStdin.stderr)
        XCTAssertEqual(cgroupFile("upd1", v1: "pids.max", v2: "pids.max"), "40")
        try #"{"pids":{"limit":"x"}, "devices":[]}"#.write(toFile: file, atomically: true, encoding: .utf8)
        let bad = try nest(["update", "--resources", file, "upd1"])
        XCTAssertEqual(bad.code, 1)
        XCTAssertTrue(bad.stderr.contains("pids.limit: "), bad.stderr)
        try #"{"devices":[{"allow":true,"access":"rwm"}]}"#.write(toFile: file, atomically: true, encoding: .utf8)
        let devices = try nest(["update", "--resources", file, "upd1"])
        XCTAssertEqual(devices.code, 1)
        XCTAssertTrue(devices.stderr.contains("devices: the device rules of a created container cannot be changed"), devices.stderr)

        state = try stateJSON("upd1")
        let now = try XCTUnwrap(state["resources"] as? [String: Any])
        XCTAssertEqual((now["pids"] as? [String: Any])?["limit"] as? Int, 40)
        XCTAssertEqual((now["memory"] as? [String: Any])?["limit"] as? Int, 128 << 20)
        XCTAssertEqual((now["cpu"] as? [String: Any])?["quota"] as? Int, 50000, "a limit no update named is kept")
        XCTAssertEqual(try nest(["delete", "--force", "upd1"]).code, 0)
    }

    func testUpdateOfAStoppedContainerIsRefused() throws {
        try startContainer("upd2", ["true"])
        var status: String?
        for _ in 0..<250 {
            status = try stateJSON("upd2")["status"] as? String
            if status == "stopped" { break }
            usleep(20_000)
        }
        XCTAssertEqual(status, "stopped")
        let r = try nest(["update", "--pids-limit", "5", "upd2"])
        XCTAssertEqual(r.code, 1)
        XCTAssertTrue(r.stderr.contains("container upd2 is stopped, not created, running or paused"), r.stderr)
    }

    func testFeaturesListTheCommands() throws {
        let r = try nest(["features"])
        XCTAssertEqual(r.code, 0, r.stderr)
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let annotations = try XCTUnwrap(doc["annotations"] as? [String: String])
        let commands = Set((annotations["org.nest.commands"] ?? "").split(separator: ","))
        XCTAssertTrue(["pause", "resume", "ps", "update", "create", "start", "state", "kill", "delete"].allSatisfy { commands.contains($0) },
                      "\(commands)")
    }
}
