import Foundation
import Glibc
import XCTest

/// nestd forks each container's monitor from one `nest-monitor -z` child
/// instead of exec'ing nest-monitor per container.
final class ZygoteTests: DaemonTestCase {
    private func zygotes() -> [Int32] {
        guard let daemonPid = daemon?.pid else { return [] }
        return processes(containing: "nest-monitor -z ").filter { parentPid($0) == daemonPid }
    }

    func testMonitorsAreForkedFromOneZygoteThatComesBackWhenKilled() throws {
        let sleeper = try makeBundle("s", ["sleep", "1000"])
        let a = nestctl(["run", "-d", sleeper])
        XCTAssertEqual(a.code, 0, a.stderr)
        let first = zygotes()
        XCTAssertEqual(first.count, 1, "one zygote, the daemon's child")
        let id = a.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let monitors = processes(containing: root + "/" + id + "/plan")
        XCTAssertEqual(monitors.count, 1, "the monitor's command line names its plan")
        XCTAssertEqual(monitors.first.flatMap { parentPid($0) }, first.first, "the monitor is the zygote's child")

        // A killed zygote is started again by the next create; the running
        // container does not notice.
        kill(first[0], SIGKILL)
        XCTAssertTrue(eventually(5) { !isAlive(first[0]) })
        let b = nestctl(["run", "--rm", try makeBundle("t", ["sh", "-c", "exit 4"])])
        XCTAssertEqual(b.code, 4, b.stderr)
        let second = zygotes()
        XCTAssertEqual(second.count, 1)
        XCTAssertNotEqual(second, first)
        XCTAssertEqual(try info(id).state, "running")

        // The zygote ends with the daemon; containers live on.
        let pid = try info(id).pid
        stopDaemon()
        XCTAssertTrue(eventually(5) { !isAlive(second[0]) }, "the zygote outlived the daemon")
        XCTAssertTrue(isAlive(pid))
        kill(pid, SIGKILL)
    }

    /// The zygote forks a container's monitor before the plan is written
    /// (so that the cgroups are made while it clones the init): a create
    /// refused after that fork leaves no monitor.
    func testACreateRefusedAfterTheEarlyForkLeavesNoMonitor() throws {
        let ok = nestctl(["run", "--rm", try makeBundle("ok", ["true"])])
        XCTAssertEqual(ok.code, 0, ok.stderr)
        let zygote = try XCTUnwrap(zygotes().first)
        let monitors = { processes(containing: "nest-monitor").filter { parentPid($0) == zygote } }
        XCTAssertTrue(eventually(5) { monitors().isEmpty })
        // refused where the cgroups are planned, after the monitor is forked:
        // the root cgroup holds processes that are not the container's
        let bad = try makeBundle("bad", ["true"], jq: #".linux.cgroupsPath = "/""#)
        let r = nestctl(["run", "--rm", bad])
        XCTAssertNotEqual(r.code, 0)
        XCTAssertTrue(r.stderr.contains("cgroupsPath"), r.stderr)
        XCTAssertTrue(eventually(5) { monitors().isEmpty }, "a monitor outlived the refused create: \(monitors())")
        XCTAssertEqual(zygotes(), [zygote], "the zygote serves on")
        XCTAssertEqual(nestctl(["ps", "-a"]).stdout.split(separator: "\n").count, 1)
        let again = nestctl(["run", "--rm", try makeBundle("ok2", ["sh", "-c", "exit 6"])])
        XCTAssertEqual(again.code, 6, again.stderr)
    }
}

private func parentPid(_ pid: Int32) -> Int32? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return nil }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    return fields.count > 1 ? Int32(fields[1]) : nil
}
