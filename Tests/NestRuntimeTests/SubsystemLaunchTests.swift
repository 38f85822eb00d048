import Foundation
import Glibc
import NestOCI
import NestSubsystem
import XCTest
@testable import NestRuntime

/// The subsystem config is the launcher's input: a translation edited by
/// hand runs as edited, a route moved moves what the container sees, and a
/// hand-written subsystem of two processes runs with what its routes share.
final class SubsystemLaunchTests: RootTestCase {
    static let examples = TestEnv.repo + "/docs/examples"

    func write(_ text: String, to path: String) throws {
        try text.write(to: URL(fileURLWithPath: path), atomically: true, encoding: .utf8)
    }

    /// The translation of a bundle with a volume server added and routed at `label`.
    func withVolume(_ sub: Subsystem, label: String, volume: String) -> Subsystem {
        var sub = sub
        sub.starts.insert(Start(name: "vol", binary: Binary.vfs, provides: [Service.fileSystem],
                                vfs: VFSConfig(root: volume), routes: [Route(service: Service.hostFS)]), at: 1)
        let i = sub.starts.firstIndex { $0.name == "init" }!
        sub.starts[i].routes.append(Route(service: Service.fileSystem, label: label, child: "vol"))
        return sub
    }

    func testTranslateEditRunAndAMovedRouteMovesTheMount() throws {
        let volume = tmp + "/vol"
        mkdir(volume, 0o755)
        try write("from-the-volume\n", to: volume + "/hello")
        let bundle = try makeBundle(["sh", "-c", "cat /mnt/vol/hello 2>&1; cat /opt/v/hello 2>&1; true"])
        let log1 = tmp + "/one.log"
        let id1 = uniqueID("route")
        // translate → edit (a vfs server for the volume, routed at /mnt/vol) → run
        let translated = try runtime.translate(id: id1, options: CreateOptions(bundle: bundle, stdio: .log(path: log1)))
        let file = tmp + "/edited.xml"
        try write(withVolume(translated, label: "/mnt/vol", volume: volume).xml(), to: file)
        let edited = try Runtime.readSubsystem(path: file, id: nil)
        _ = try runtime.create(subsystem: edited, options: CreateOptions(bundle: "", stdio: .null))
        try runtime.start(id: id1)
        XCTAssertEqual(try runtime.waitForExit(id: id1).exitCode, 0)
        let first = parseLog(log1).stdout
        XCTAssertEqual(first.first, "from-the-volume")
        XCTAssertTrue(first.last?.contains("/opt/v/hello") == true && first.last?.contains("No such file") == true, "\(first)")
        // The config the runtime launched is the one on disk.
        XCTAssertEqual(try runtime.subsystemXML(id: id1), edited.xml())
        try runtime.delete(id: id1)

        // The same edit with the route's label changed, run by `nest create --subsystem`.
        let id2 = uniqueID("route")
        let log2 = tmp + "/two.log"
        var moved = withVolume(translated, label: "/opt/v", volume: volume)
        moved.starts[moved.starts.firstIndex { $0.name == "log" }!].log?.file = log2
        try write(moved.xml(), to: file)
        let nest = TestEnv.libexec + "/nest"
        // The monitor keeps the caller's stdio (as runc's does): output to a
        // file, not to a pipe this test would wait on.
        let created = host("'\(nest)' --root '\(stateRoot)' create --subsystem '\(file)' \(id2) >'\(tmp)/create.out' 2>&1")
        XCTAssertEqual(created.code, 0, (try? String(contentsOfFile: tmp + "/create.out", encoding: .utf8)) ?? "")
        XCTAssertEqual(try runHost([nest, "--root", stateRoot, "start", id2]).code, 0)
        XCTAssertEqual(try runtime.waitForExit(id: id2).exitCode, 0)
        let second = parseLog(log2).stdout
        XCTAssertTrue(second.first?.contains("/mnt/vol/hello") == true && second.first?.contains("No such file") == true, "\(second)")
        XCTAssertEqual(second.last, "from-the-volume")
    }

    func testAHandWrittenConfigIsCheckedAndLeavesNothingWhenBad() throws {
        let bundle = try makeBundle(["true"])
        let id = uniqueID("bad")
        var sub = try runtime.translate(id: id, options: CreateOptions(bundle: bundle))
        let i = sub.starts.firstIndex { $0.name == "init" }!
        sub.starts[i].routes.append(Route(service: Service.fileSystem, label: "/x/../../etc", child: "vfs"))
        XCTAssertThrowsError(try runtime.create(subsystem: sub, options: CreateOptions(bundle: ""))) { error in
            guard case .invalidSpec(let problems)? = error as? RuntimeError else { return XCTFail("\(error)") }
            XCTAssertEqual(problems, [SpecError(path: "subsystem/start[init]/route", message: "label /x/../../etc escapes the root (..)")])
        }
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: stateRoot)) ?? [], [])
        let nest = try runHost([TestEnv.libexec + "/nest", "--root", stateRoot, "create", "--subsystem", tmp + "/missing.xml", id])
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: stateRoot)) ?? [], [])
        XCTAssertNotEqual(nest.code, 0)
        XCTAssertTrue(nest.stderr.contains("--subsystem"), nest.stderr)
    }

    func testTwoProcessesShareAVolumeTheirNetworkAndHostnameUnderOneQuota() throws {
        let bundle = try makeBundle(["true"])
        let volume = tmp + "/vol1"
        mkdir(volume, 0o755)
        let log = tmp + "/pod.log"
        let id = uniqueID("pod")
        let text = try String(contentsOfFile: Self.examples + "/two-processes.xml", encoding: .utf8)
            .replacingOccurrences(of: "@ROOTFS@", with: bundle + "/rootfs")
            .replacingOccurrences(of: "@VOLUME@", with: volume)
            .replacingOccurrences(of: "@LOG@", with: log)
            .replacingOccurrences(of: "/nest/pod", with: "/nest/\(id)")
        let file = tmp + "/pod.xml"
        try write(text, to: file)
        let sub = try Runtime.readSubsystem(path: file, id: id)
        _ = try runtime.create(subsystem: sub, options: CreateOptions(bundle: ""))
        XCTAssertEqual(try runtime.state(id: id).status, "running")
        XCTAssertEqual(try runtime.state(id: id + "/writer").status, "created")
        XCTAssertEqual(Set(runtime.list().map(\.id)), [id, id + "/writer", id + "/reader"])
        // The subsystem's quota node is the processes' parent cgroup.
        let limit = host("cat /sys/fs/cgroup/memory/nest/\(id)/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/nest/\(id)/memory.max")
        XCTAssertEqual(limit.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "268435456")
        let child = host("cat /sys/fs/cgroup/memory/nest/\(id)/reader/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/nest/\(id)/reader/memory.max")
        XCTAssertEqual(child.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "134217728")

        try runtime.start(id: id)
        XCTAssertEqual(try runtime.waitForExit(id: id + "/reader").exitCode, 0)
        XCTAssertEqual(try runtime.state(id: id + "/writer").status, "running")
        let out = parseLog(log).stdout
        let sees = try XCTUnwrap(out.first { $0.hasPrefix("reader sees: ") }, "\(out)").dropFirst("reader sees: ".count)
        let is_ = try XCTUnwrap(out.first { $0.hasPrefix("reader is: ") }, "\(out)").dropFirst("reader is: ".count)
        // Written by the writer into the shared volume, read by the reader:
        // the same hostname and the same network namespace, not the host's.
        XCTAssertEqual(sees, is_)
        XCTAssertTrue(sees.hasPrefix("pod net:["), String(sees))
        let hostNet = host("readlink /proc/self/ns/net").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertFalse(sees.hasSuffix(hostNet), "the processes share the host's network namespace")
        XCTAssertTrue(out.contains("writer done"))
        // The ROM server's file, bound read-only from the subsystem's state.
        XCTAssertTrue(out.contains("reader hosts: 127.0.0.1 localhost pod"), "\(out)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: volume + "/writer"))

        let writerPid = try runtime.state(id: id + "/writer").pid
        try runtime.kill(id: id, signal: SIGKILL)
        // A signal is delivered, not waited for: delete takes stopped ones.
        _ = try runtime.waitForExit(id: id + "/writer")
        _ = try runtime.waitForExit(id: id)
        try runtime.delete(id: id)
        XCTAssertFalse(Sys.isAlive(writerPid) && childPids().contains(writerPid))
        XCTAssertEqual(runtime.list().map(\.id), [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: stateRoot), [])
        XCTAssertEqual(host("ls -d /sys/fs/cgroup/*/nest/\(id) /sys/fs/cgroup/nest/\(id) 2>/dev/null").stdout, "", "cgroups left")
    }
}
