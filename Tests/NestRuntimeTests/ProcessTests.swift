import Foundation
import Glibc
import XCTest
@testable import NestRuntime

/// What the container's process sees: PID 1, identity, environment, fds,
/// reaping and signals.
final class ProcessTests: RootTestCase {
    func testPid1IsNestInitAndProcessHasConfiguredIdentity() throws {
        let script = """
        cat /proc/1/comm; hostname; id -u; id -g; id -G; pwd; echo "FOO=$FOO"; echo "BAR=$BAR"
        """
        let bundle = try makeBundle(["sh", "-c", script]) { c in
            c["hostname"] = "nest-box"
            c.process { p in
                p["user"] = ["uid": 1000, "gid": 1001, "additionalGids": [2000, 2001]] as [String: Any]
                p["cwd"] = "/tmp"
                p["env"] = ["PATH=/bin", "FOO=foo value", "BAR=bar=2"]
            }
        }
        let r = try runContainer(bundle)
        XCTAssertEqual(r.exitCode, 0, "stderr: \(r.stderr)")
        XCTAssertEqual(r.stdout.count, 8, "stdout: \(r.stdout) stderr: \(r.stderr)")
        guard r.stdout.count == 8 else { return }
        XCTAssertEqual(r.stdout[0], "nest-init")
        XCTAssertEqual(r.stdout[1], "nest-box")
        XCTAssertEqual(r.stdout[2], "1000")
        XCTAssertEqual(r.stdout[3], "1001")
        XCTAssertEqual(Set(r.stdout[4].split(separator: " ").map(String.init)), ["1001", "2000", "2001"])
        XCTAssertEqual(r.stdout[5], "/tmp")
        XCTAssertEqual(r.stdout[6], "FOO=foo value")
        XCTAssertEqual(r.stdout[7], "BAR=bar=2")
    }

    func testOrphansAreReaped() throws {
        // Children that outlive their parent shell become nest-init's; after
        // they exit none may stay a zombie.
        let script = """
        sh -c 'for i in 1 2 3 4 5; do (sleep 0.2; exit 3) & done; exit 0'
        sleep 1
        for s in /proc/[0-9]*/stat; do read -r line < $s 2>/dev/null && echo "$line"; done | awk '$3 == "Z" {print "zombie", $0}'
        echo checked
        """
        let bundle = try makeBundle(["sh", "-c", script])
        let r = try runContainer(bundle)
        XCTAssertEqual(r.exitCode, 0, "stderr: \(r.stderr)")
        XCTAssertEqual(r.stdout, ["checked"], "zombies left: \(r.stdout)")
    }

    func testOnlyStdioFdsAreOpen() throws {
        // Not a glob over /proc/$$/fd: reading the directory opens an fd of
        // its own (busybox sh shows it as fd 3). `[ -e ]` only stats.
        let script = "n=0; while [ $n -lt 1024 ]; do [ -e /proc/$$/fd/$n ] && echo $n $(readlink /proc/$$/fd/$n); n=$((n+1)); done; true"
        let bundle = try makeBundle(["sh", "-c", script])
        let r = try runContainer(bundle)
        XCTAssertEqual(r.exitCode, 0, "stderr: \(r.stderr)")
        XCTAssertEqual(r.stdout.map { $0.split(separator: " ").first.map(String.init) ?? "" }.sorted(), ["0", "1", "2"],
                       "open fds: \(r.stdout)")
    }

    func testKillTermGives143() throws {
        try killRunningSleep(signal: SIGTERM, expect: 143)
    }

    func testKillKillGives137() throws {
        try killRunningSleep(signal: SIGKILL, expect: 137)
    }

    private func killRunningSleep(signal: Int32, expect: Int32) throws {
        let bundle = try makeBundle(["sleep", "100"])
        let id = uniqueID("kill")
        let created = try runtime.create(id: id, options: CreateOptions(bundle: bundle, stdio: .null))
        XCTAssertEqual(created.status, "created")
        XCTAssertGreaterThan(created.pid, 0)
        try runtime.start(id: id)
        XCTAssertEqual(try runtime.state(id: id).status, "running")
        usleep(200_000)  // let nest-init exec sleep
        try runtime.kill(id: id, signal: signal)
        let final = try runtime.waitForExit(id: id)
        XCTAssertEqual(final.status, "stopped")
        XCTAssertEqual(final.exitCode, expect)
        XCTAssertEqual(final.oomKilled, false)
        try runtime.delete(id: id)
        XCTAssertThrowsError(try runtime.state(id: id))
    }

    func testProcExeOfInitCannotBeOpenedForWriting() throws {
        // /proc/1/exe is the host's nest-monitor binary (PID 1 runs
        // nest-init's loop inside the monitor's clone): writing it from
        // inside must fail (not dumpable: EACCES), and it stays as it was.
        let monitor = TestEnv.libexec + "/nest-monitor"
        let before = try Data(contentsOf: URL(fileURLWithPath: monitor))
        let bundle = try makeBundle(["sh", "-c", "if echo x > /proc/1/exe; then echo WROTE; else echo refused; fi"])
        let r = try runContainer(bundle)
        XCTAssertEqual(r.stdout, ["refused"], "stderr: \(r.stderr)")
        let after = try Data(contentsOf: URL(fileURLWithPath: monitor))
        XCTAssertEqual(before, after, "nest-monitor on the host was changed from inside a container")
    }
}
