import Foundation
import Glibc
import XCTest
@testable import NestRuntime

/// pause and resume as a user sees them: a paused container's processes do
/// nothing until resumed, and a paused container can still be killed and
/// deleted, leaving nothing behind.
final class PauseResumeTests: RootTestCase {
    /// A container counting on stdout, about a hundred lines a second;
    /// returns once it has counted (its shell and a sleep run).
    func startCounter() throws -> (id: String, log: String) {
        let bundle = try makeBundle(["sh", "-c", "i=0; while true; do i=$((i+1)); echo $i; sleep 0.01; done"])
        let id = uniqueID("pause")
        let log = tmp + "/\(id).log"
        _ = try runtime.create(id: id, options: CreateOptions(bundle: bundle, stdio: .log(path: log)))
        try runtime.start(id: id)
        XCTAssertTrue(eventually { self.lines(log) >= 3 }, "the counter never counted")
        return (id, log)
    }

    func lines(_ log: String) -> Int { parseLog(log).stdout.count }

    /// Polls until `ok` holds (at most `seconds`); whether it did.
    func eventually(_ seconds: Double = 10, _ ok: () throws -> Bool) rethrows -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if try ok() { return true }
            usleep(20_000)
        }
        return try ok()
    }

    func procsLeft(_ paths: CgroupPaths) -> [String] {
        paths.joinDirs.filter { dir in
            let procs = (try? String(contentsOfFile: dir + "/cgroup.procs", encoding: .utf8)) ?? ""
            return !procs.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        }
    }

    func testPausedProcessesStopAndResumedOnesGoOn() throws {
        let (id, log) = try startCounter()
        try runtime.pause(id: id)
        XCTAssertEqual(try runtime.state(id: id).status, "paused")
        // What was written before the freeze reaches the log; then nothing.
        usleep(200_000)
        let frozenAt = lines(log)
        usleep(500_000)
        XCTAssertEqual(lines(log), frozenAt, "a paused container went on counting")
        XCTAssertEqual(try runtime.state(id: id).status, "paused")
        try runtime.resume(id: id)
        XCTAssertEqual(try runtime.state(id: id).status, "running")
        XCTAssertTrue(eventually { self.lines(log) > frozenAt + 3 }, "the counter did not go on after resume")
        // Counting on from where it stopped, not from the start.
        XCTAssertEqual(parseLog(log).stdout.prefix(frozenAt + 3).map { Int($0) }, (1...(frozenAt + 3)).map { $0 })
        try runtime.kill(id: id, signal: SIGKILL)
        try runtime.waitForExit(id: id)
        try runtime.delete(id: id)
    }

    func testPauseAndResumeRefuseTheWrongState() throws {
        let (id, _) = try startCounter()
        XCTAssertThrowsError(try runtime.resume(id: id)) { e in
            XCTAssertEqual("\(e)", "container \(id) is running, not paused")
        }
        try runtime.pause(id: id)
        XCTAssertThrowsError(try runtime.pause(id: id)) { e in
            XCTAssertEqual("\(e)", "container \(id) is paused, not created or running")
        }
        XCTAssertThrowsError(try runtime.delete(id: id)) { e in
            XCTAssertEqual("\(e)", "container \(id) is paused, not stopped")
        }
        try runtime.resume(id: id)
        try runtime.kill(id: id, signal: SIGKILL)
        try runtime.waitForExit(id: id)
        XCTAssertThrowsError(try runtime.pause(id: id)) { e in
            XCTAssertEqual("\(e)", "container \(id) is stopped, not created or running")
        }
        XCTAssertThrowsError(try runtime.pause(id: "nosuch")) { e in
            XCTAssertEqual("\(e)", "container nosuch does not exist")
        }
    }

    func testKillNineEndsAPausedContainer() throws {
        let (id, _) = try startCounter()
        try runtime.pause(id: id)
        let record = try runtime.store.load(id)
        let pids = try runtime.pids(id: id)
        XCTAssertGreaterThanOrEqual(pids.count, 2)
        try runtime.kill(id: id, signal: SIGKILL)
        let final = try runtime.waitForExit(id: id)
        XCTAssertEqual(final.status, "stopped")
        XCTAssertEqual(final.exitCode, 137)
        XCTAssertEqual(procsLeft(record.cgroups), [], "processes left in the container's cgroups")
        try runtime.delete(id: id)
        for dir in record.cgroups.dirs { XCTAssertFalse(FileManager.default.fileExists(atPath: dir), "\(dir) left behind") }
    }

    func testForceDeleteOfAPausedContainerLeavesNothing() throws {
        let (id, _) = try startCounter()
        try runtime.pause(id: id)
        let record = try runtime.store.load(id)
        let pids = try runtime.pids(id: id)
        try runtime.delete(id: id, force: true)
        XCTAssertThrowsError(try runtime.state(id: id)) { e in XCTAssertEqual("\(e)", "container \(id) does not exist") }
        for dir in record.cgroups.dirs { XCTAssertFalse(FileManager.default.fileExists(atPath: dir), "\(dir) left behind") }
        reapChildren()
        for pid in pids {
            // gone, or a zombie of ours not yet collected
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            XCTAssertTrue(stat.isEmpty || stat.contains(") Z "), "process \(pid) lives on: \(stat)")
        }
    }

    func testAPausedSubsystemHasEveryProcessPausedAndIsDeletedWhole() throws {
        let bundle = try makeBundle(["true"])
        let volume = tmp + "/vol"
        mkdir(volume, 0o755)
        let id = uniqueID("pod")
        let text = try String(contentsOfFile: TestEnv.repo + "/docs/examples/two-processes.xml", encoding: .utf8)
            .replacingOccurrences(of: "@ROOTFS@", with: bundle + "/rootfs")
            .replacingOccurrences(of: "@VOLUME@", with: volume)
            .replacingOccurrences(of: "@LOG@", with: tmp + "/pod.log")
            .replacingOccurrences(of: "/nest/pod", with: "/nest/\(id)")
        let file = tmp + "/pod.xml"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        _ = try runtime.create(subsystem: try Runtime.readSubsystem(path: file, id: id), options: CreateOptions(bundle: ""))
        try runtime.start(id: id)
        XCTAssertEqual(try runtime.waitForExit(id: id + "/reader").exitCode, 0)
        try runtime.pause(id: id)
        XCTAssertEqual(try runtime.state(id: id).status, "paused")
        XCTAssertEqual(try runtime.state(id: id + "/writer").status, "paused")
        XCTAssertEqual(try runtime.state(id: id + "/reader").status, "stopped")
        try runtime.resume(id: id)
        XCTAssertEqual(try runtime.state(id: id).status, "running")
        XCTAssertEqual(try runtime.state(id: id + "/writer").status, "running")
        try runtime.pause(id: id)
        let writer = try runtime.store.load(id + "/writer")
        try runtime.delete(id: id, force: true)
        XCTAssertEqual(runtime.list().map(\.id), [])
        XCTAssertEqual(procsLeft(writer.cgroups), [])
        XCTAssertEqual(host("ls -d /sys/fs/cgroup/*/nest/\(id) /sys/fs/cgroup/nest/\(id) 2>/dev/null").stdout, "", "cgroups left")
    }
}
