import Foundation
import Glibc
import NestAPI
import XCTest

/// The daemon goes away (kill -9, SIGTERM) and comes back; the containers
/// live on under their monitors and the new daemon finds them again.
final class RecoveryTests: DaemonTestCase {
    func testKill9AndRestartKeepsContainersAndLogs() throws {
        let sleeper = try makeBundle("sleeper", ["sleep", "1000"])
        let ticker = try makeBundle("ticker", ["sh", "-c", "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done"])
        let short = try makeBundle("short", ["sh", "-c", "sleep 2; exit 3"])
        var ids: [String] = []
        for i in 0..<3 { ids.append(try createContainer(sleeper, name: "s\(i)")) }
        let tick = try createContainer(ticker, name: "ticker")
        let brief = try createContainer(short, name: "brief")
        ids += [tick, brief]
        XCTAssertTrue(eventually(5) { self.logs(tick).contains("tick 2\n") })
        let pids = try ids.map { try info($0).pid }
        XCTAssertTrue(pids.allSatisfy { $0 > 0 })

        let listedBefore = try get("/v1/containers", as: [ContainerInfo].self)
        killDaemon()
        let logFile = data + "/containers/\(tick)/log"
        let before = (try? String(contentsOfFile: logFile, encoding: .utf8))?.split(separator: "\n").count ?? 0
        XCTAssertGreaterThan(before, 1)
        // "brief" exits while no daemon runs
        XCTAssertTrue(eventually(6) { !isAlive(pids[4]) }, "brief should exit within its 2 s")
        usleep(600_000)

        try startDaemon()
        let list = try get("/v1/containers", as: [ContainerInfo].self)
        XCTAssertEqual(Set(list.map(\.id)), Set(ids), "all 5 listed after the restart")
        XCTAssertEqual(list.map(\.id), listedBefore.map(\.id), "in the same order")
        XCTAssertEqual(list.map(\.created), listedBefore.map(\.created), "with the same creation times")
        XCTAssertEqual(list.prefix(4).map(\.started), listedBefore.prefix(4).map(\.started), "and start times")
        for (i, id) in ids.prefix(4).enumerated() {
            let c = try info(id)
            XCTAssertEqual(c.state, "running", c.name)
            XCTAssertEqual(c.pid, pids[i], c.name)
            XCTAssertTrue(isAlive(pids[i]), c.name)
        }
        let b = try info(brief)
        XCTAssertEqual(b.state, "stopped")
        XCTAssertEqual(b.exitCode, 3, "the real exit status of a container that exited meanwhile")
        let w = try request("POST", "/v1/containers/\(brief)/wait")
        XCTAssertEqual(w.status, 200)
        XCTAssertEqual(try JSONDecoder().decode(WaitResponse.self, from: Data(w.body)).exitCode, 3)

        // the ticker keeps writing, and the restarted daemon serves the new lines
        let count = logs(tick).split(separator: "\n").count
        XCTAssertGreaterThanOrEqual(count, before)
        XCTAssertTrue(eventually(5) { self.logs(tick).split(separator: "\n").count >= count + 3 },
                      "new lines after the restart: \(logs(tick).suffix(200))")
        let lines = logs(tick).split(separator: "\n")
        XCTAssertEqual(lines.map(String.init), (1...max(1, lines.count)).map { "tick \($0)" }, "no line lost or doubled")

        // and the new daemon sees exits and stops what the old one started
        let s = try request("POST", "/v1/containers/s0/stop?timeout=1")
        XCTAssertEqual(s.status, 200, s.text)
        XCTAssertEqual(try info("s0").state, "stopped")
        XCTAssertFalse(isAlive(pids[0]))
    }

    func testSIGTERMExitsCleanlyAndLeavesContainersRunning() throws {
        let bundle = try makeBundle("b", ["sleep", "1000"])
        let id = try createContainer(bundle, name: "survivor")
        let pid = try info(id).pid
        let d = try XCTUnwrap(daemon)
        XCTAssertEqual(stopDaemon(), 0, "nestd exits 0 on SIGTERM: \(d.stderr)")
        XCTAssertEqual(d.exitCode, 0, "an exit, not death by the signal")
        XCTAssertTrue(d.stderr.contains("shutting down"), d.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: socketPath), "the socket is removed")
        usleep(300_000)
        XCTAssertTrue(isAlive(pid), "the container keeps running without the daemon")

        try startDaemon()
        let c = try info(id)
        XCTAssertEqual(c.state, "running")
        XCTAssertEqual(c.pid, pid)
        XCTAssertEqual(try get("/v1/containers?state=running", as: [ContainerInfo].self).map(\.id), [id])
    }
}
