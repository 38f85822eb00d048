import Foundation
import NestAPI
import XCTest

/// pause, unpause, top and update through a real nestd, with the API and
/// with nestctl.
final class PauseTopUpdateTests: DaemonTestCase {
    /// A v1 control file of container ID, or its v2 counterpart.
    func cgroupFile(_ id: String, _ v1: String, v2: String) -> String? {
        let controller = String(v1.prefix { $0 != "." })
        for path in ["/sys/fs/cgroup/\(controller)/nest/\(id)/\(v1)", "/sys/fs/cgroup/nest/\(id)/\(v2)"]
            where FileManager.default.fileExists(atPath: path) {
            return (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return nil
    }

    func errorBody(_ r: (Int, String)) -> ErrorBody? {
        try? JSONDecoder().decode(ErrorBody.self, from: Data(r.1.utf8))
    }

    func testPauseAndUnpause() throws {
        let id = try createContainer(try makeBundle("b", ["sleep", "1000"]))
        let paused = curl("POST", "/v1/containers/\(id)/pause")
        XCTAssertEqual(paused.0, 200, paused.1)
        XCTAssertEqual(try JSONDecoder().decode(ContainerInfo.self, from: Data(paused.1.utf8)).state, "paused")
        XCTAssertEqual(try info(id).state, "paused")
        XCTAssertEqual(try get("/v1/containers?state=paused", as: [ContainerInfo].self).map(\.id), [id])
        XCTAssertEqual(try get("/v1/containers?state=running", as: [ContainerInfo].self).map(\.id), [])
        let twice = curl("POST", "/v1/containers/\(id)/pause")
        XCTAssertEqual(twice.0, 409, twice.1)
        XCTAssertEqual(errorBody(twice)?.error, "container \(id) is paused, not created or running")

        XCTAssertEqual(curl("POST", "/v1/containers/\(id)/unpause").0, 200)
        XCTAssertEqual(try info(id).state, "running")
        let again = curl("POST", "/v1/containers/\(id)/unpause")
        XCTAssertEqual(again.0, 409, again.1)
        XCTAssertEqual(curl("POST", "/v1/containers/nosuch/pause").0, 404)

        // nestctl: prints each container done, exit 1 with the daemon's message
        let p = nestctl(["pause", id])
        XCTAssertEqual(p.code, 0, p.stderr)
        XCTAssertEqual(p.stdout, id + "\n")
        XCTAssertEqual(try info(id).state, "paused")
        XCTAssertEqual(nestctl(["ps", "--filter", "state=paused", "--format", "json"]).stdout.contains(id), true)
        let u = nestctl(["unpause", id])
        XCTAssertEqual(u.code, 0, u.stderr)
        XCTAssertEqual(try info(id).state, "running")
        let bad = nestctl(["unpause", id])
        XCTAssertEqual(bad.code, 1)
        XCTAssertTrue(bad.stderr.contains("is running, not paused"), bad.stderr)
    }

    /// A paused container stops as a running one does: the TERM reaches its
    /// process once it is thawed (143), no KILL after the timeout (137).
    func testStopAndRemoveOfAPausedContainer() throws {
        let id = try createContainer(try makeBundle("b", ["sleep", "1000"]))
        XCTAssertEqual(curl("POST", "/v1/containers/\(id)/pause").0, 200)
        let stopped = curl("POST", "/v1/containers/\(id)/stop?timeout=30")
        XCTAssertEqual(stopped.0, 200, stopped.1)
        XCTAssertEqual(try info(id).exitCode, 143)

        let other = try createContainer(try makeBundle("c", ["sleep", "1000"]))
        XCTAssertEqual(curl("POST", "/v1/containers/\(other)/pause").0, 200)
        XCTAssertEqual(curl("DELETE", "/v1/containers/\(other)").0, 409, "a paused container is not removed without force")
        XCTAssertEqual(curl("DELETE", "/v1/containers/\(other)?force=true").0, 204)
        XCTAssertEqual(cgroupDirs(other), [])
    }

    func testTop() throws {
        let id = try createContainer(try makeBundle("b", ["sh", "-c", "sleep 1000 & exec sleep 1001"]))
        var top = TopResponse(titles: [], processes: [])
        XCTAssertTrue(eventually(10) {
            top = (try? self.get("/v1/containers/\(id)/top", as: TopResponse.self)) ?? top
            return top.processes.count == 3
        }, "\(top)")
        XCTAssertEqual(top.titles, ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"])
        XCTAssertEqual(Set(top.processes.map { $0.last ?? "" }).intersection(["sleep 1000", "sleep 1001"]), ["sleep 1000", "sleep 1001"])
        XCTAssertTrue(top.processes.contains { $0[1] == String(try! info(id).pid) }, "the init is listed")
        let custom = try get("/v1/containers/\(id)/top?ps_args=-o%20pid,comm", as: TopResponse.self)
        XCTAssertEqual(custom.titles, ["PID", "COMMAND"])
        XCTAssertEqual(custom.processes.count, 3)
        let noPid = curl("GET", "/v1/containers/\(id)/top?ps_args=-o%20comm")
        XCTAssertEqual(noPid.0, 400, noPid.1)
        XCTAssertEqual(errorBody(noPid)?.field, "ps_args")

        let t = nestctl(["top", id])
        XCTAssertEqual(t.code, 0, t.stderr)
        XCTAssertTrue(t.stdout.hasPrefix("UID"), t.stdout)
        XCTAssertTrue(t.stdout.contains("sleep 1001"), t.stdout)
        XCTAssertEqual(nestctl(["top", id, "-o", "pid"]).stdout.split(separator: "\n").count, 4)

        XCTAssertEqual(curl("POST", "/v1/containers/\(id)/kill?signal=KILL").0, 200)
        XCTAssertEqual(curl("POST", "/v1/containers/\(id)/wait").0, 200)
        let stopped = curl("GET", "/v1/containers/\(id)/top")
        XCTAssertEqual(stopped.0, 409, stopped.1)
    }

    func testUpdate() throws {
        let id = try createContainer(try makeBundle("b", ["sleep", "1000"]))
        let ok = curl("POST", "/v1/containers/\(id)/update", body: #"{"memory":{"limit":67108864},"pids":{"limit":32}}"#)
        XCTAssertEqual(ok.0, 200, ok.1)
        let answered = try JSONDecoder().decode(ContainerInfo.self, from: Data(ok.1.utf8))
        XCTAssertEqual(answered.resources?.memory?.limit, 64 << 20)
        XCTAssertEqual(answered.resources?.pids?.limit, 32)
        XCTAssertEqual(cgroupFile(id, "pids.max", v2: "pids.max"), "32")
        XCTAssertEqual(cgroupFile(id, "memory.limit_in_bytes", v2: "memory.max"), "67108864")
        XCTAssertEqual(try info(id).resources?.pids?.limit, 32, "inspect shows the limits in force")

        for (body, field, status) in [(#"{"pids":{"limit":"x"}}"#, "pids.limit", 400), (#"{"cpu":{"shares":1}}"#, "cpu.shares", 400),
                                      (#"{"cpu":{"cpus":"999"},"pids":{"limit":64}}"#, "cpu.cpus", 400),
                                      (#"{"memory":{"kernel":1048576}}"#, "memory.kernel", 400), ("[]", "", 400)] {
            let r = curl("POST", "/v1/containers/\(id)/update", body: body)
            XCTAssertEqual(r.0, status, "\(body): \(r.1)")
            XCTAssertEqual(errorBody(r)?.field ?? "", field, "\(body): \(r.1)")
        }
        XCTAssertEqual(cgroupFile(id, "pids.max", v2: "pids.max"), "32", "a refused update changed nothing")
        XCTAssertEqual(curl("POST", "/v1/containers/nosuch/update", body: "{}").0, 404)

        // nestctl: docker's flags; --cpus is a quota over a 100 ms period
        let u = nestctl(["update", "--memory", "32m", "--cpus", "0.5", "--pids-limit", "16", id])
        XCTAssertEqual(u.code, 0, u.stderr)
        XCTAssertEqual(u.stdout, id + "\n")
        XCTAssertEqual(cgroupFile(id, "memory.limit_in_bytes", v2: "memory.max"), "33554432")
        XCTAssertEqual(cgroupFile(id, "cpu.cfs_quota_us", v2: "cpu.max")?.split(separator: " ").first, "50000")
        XCTAssertEqual(cgroupFile(id, "pids.max", v2: "pids.max"), "16")
        let inspect = nestctl(["inspect", id])
        XCTAssertTrue(inspect.stdout.contains("\"quota\" : 50000"), inspect.stdout)
        for (args, words) in [(["--cpu-shares", "1"], "--cpu-shares: must be between 2 and 262144"),
                              (["--cpuset-cpus", "999"], "--cpuset-cpus: cpuset.cpus: "),
                              (["--memory", "lots"], "--memory: must be a number of bytes")] {
            let r = nestctl(["update"] + args + [id])
            XCTAssertNotEqual(r.code, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains(words), "\(args): \(r.stderr)")
        }
        XCTAssertEqual(nestctl(["update", id]).code, 2, "nothing to update is a usage error")
        XCTAssertEqual(cgroupFile(id, "pids.max", v2: "pids.max"), "16")
    }
}
