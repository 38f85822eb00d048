import Foundation
import Glibc
import XCTest
@testable import NestRuntime

/// Memory and pids limits, as the process runs into them.
final class ResourceTests: RootTestCase {
    func testMemoryLimitKillsAnAllocationAboveIt() throws {
        // dd allocates (and fills) a 100 MiB buffer.
        let bundle = try makeBundle(["dd", "if=/dev/zero", "of=/dev/null", "bs=100M", "count=1"]) { c in
            c.linux { l in
                l.object("resources") { r in
                    r["memory"] = ["limit": 32 << 20, "swap": 32 << 20] as [String: Any]
                }
            }
        }
        let r = try runContainer(bundle)
        XCTAssertEqual(r.exitCode, 137, "stdout: \(r.stdout) stderr: \(r.stderr)")
        XCTAssertEqual(r.status.oomKilled, true)
    }

    func testWithinMemoryLimitIsNotOOM() throws {
        let bundle = try makeBundle(["dd", "if=/dev/zero", "of=/dev/null", "bs=4M", "count=1"]) { c in
            c.linux { l in l.object("resources") { r in r["memory"] = ["limit": 32 << 20] } }
        }
        let r = try runContainer(bundle)
        XCTAssertEqual(r.exitCode, 0, "stderr: \(r.stderr)")
        XCTAssertEqual(r.status.oomKilled, false)
    }

    func testPidsLimitStopsAForkBomb() throws {
        // The shell dies at the first fork the limit refuses, and PID 1's
        // exit would end the container at once: the forks run in a
        // subshell, and the container's process stays on without a fork
        // (exec), so the processes that were started are there to be seen.
        let bundle = try makeBundle(["sh", "-c", "(for i in $(seq 1 30); do sleep 2 & done); exec sleep 1"]) { c in
            c.linux { l in l.object("resources") { r in r["pids"] = ["limit": 10] } }
        }
        let id = uniqueID("pids")
        let log = tmp + "/\(id).log"
        _ = try runtime.create(id: id, options: CreateOptions(bundle: bundle, stdio: .log(path: log)))
        let record = try runtime.store.load(id)
        let pidsDir = try XCTUnwrap(record.cgroups.pidsDir, "no pids cgroup")
        XCTAssertEqual(readTrimmed(pidsDir + "/pids.max"), "10")
        try runtime.start(id: id)
        var peak = 0
        while try runtime.state(id: id).status == "running" {
            if let n = Int(readTrimmed(pidsDir + "/pids.current") ?? "") { peak = max(peak, n) }
            usleep(5_000)
        }
        let final = try runtime.waitForExit(id: id)
        try runtime.delete(id: id)
        let (out, err) = parseLog(log)
        XCTAssertLessThanOrEqual(peak, 10)
        XCTAssertGreaterThanOrEqual(peak, 8, "the processes below the limit ran")
        XCTAssertTrue(err.contains { $0.contains("can't fork") }, "stderr: \(err)")
        XCTAssertEqual(final.oomKilled, false)
        _ = out
    }

    func testBlockIOWeightIsWritten() throws {
        let weightFiles = ["/sys/fs/cgroup/blkio/nest", "/sys/fs/cgroup/nest"].flatMap { dir in
            ["blkio.weight", "blkio.bfq.weight", "io.bfq.weight", "io.weight"].map { dir + "/" + $0 }
        }
        let bundle = try makeBundle(["true"]) { c in
            c.linux { l in l.object("resources") { r in r["blockIO"] = ["weight": 300] } }
        }
        let id = uniqueID("blkio")
        guard weightFiles.contains(where: { FileManager.default.fileExists(atPath: $0) }) else {
            // Where nothing takes a weight, the field is refused by name
            // and the cgroups made for it are gone.
            XCTAssertThrowsError(try runtime.create(id: id, options: CreateOptions(bundle: bundle, stdio: .null))) { e in
                XCTAssertTrue("\(e)".contains("linux.resources.blockIO.weight"), "\(e)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: stateRoot + "/" + id))
            XCTAssertFalse(FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory/nest/" + id))
            return
        }
        _ = try runtime.create(id: id, options: CreateOptions(bundle: bundle, stdio: .null))
        let record = try runtime.store.load(id)
        let written = record.cgroups.dirs.flatMap { dir in
            ["blkio.weight", "blkio.bfq.weight", "io.bfq.weight"].compactMap { readTrimmed(dir + "/" + $0) }
        }
        XCTAssertTrue(written.contains("300") || written.contains("default 300"), "\(written)")
        XCTAssertEqual(try runtime.state(id: id).resources?.blockIO?.weight, 300)
        try runtime.delete(id: id, force: true)
    }

    func testCgroupIsMadeWithTheContainerAndRemovedWithIt() throws {
        let bundle = try makeBundle(["true"])
        let id = uniqueID("cg")
        _ = try runtime.create(id: id, options: CreateOptions(bundle: bundle, stdio: .null))
        let record = try runtime.store.load(id)
        XCTAssertFalse(record.cgroups.dirs.isEmpty)
        for dir in record.cgroups.dirs {
            XCTAssertTrue(dir.hasSuffix("/nest/" + id), dir)
            XCTAssertEqual(access(dir, F_OK), 0, "\(dir) missing")
        }
        let procs = readTrimmed(record.cgroups.joinDirs[0] + "/cgroup.procs") ?? ""
        XCTAssertTrue(procs.split(separator: "\n").contains(Substring(String(record.pid))), "init not in \(record.cgroups.joinDirs[0])")
        try runtime.start(id: id)
        try runtime.waitForExit(id: id)
        try runtime.delete(id: id)
        for dir in record.cgroups.dirs { XCTAssertNotEqual(access(dir, F_OK), 0, "\(dir) left behind") }
    }
}

func readTrimmed(_ path: String) -> String? {
    (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
}
