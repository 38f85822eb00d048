import Foundation
import Glibc
import NestOCI
import XCTest
@testable import NestRuntime

/// Namespaces the container does not make (runtime-spec: an unlisted one is
/// the runtime's own; a listed one with a path is joined): the mount
/// namespace left out or joined, the UTS namespace joined with a hostname.
final class SharedNamespaceTests: RootTestCase {
    // MARK: helpers

    /// A bundle of ARGS whose linux.namespaces has no `mount` entry (or
    /// `mount` joined at joinMount) and a marker file at the rootfs' top.
    func bundle(_ args: [String], joinMount: String? = nil,
                edit: (inout [String: Any]) throws -> Void = { _ in }) throws -> (bundle: String, rootfs: String, marker: String) {
        let marker = "marker-\(UInt32.random(in: 0...UInt32.max))"
        let dir = try makeBundle(args) { c in
            c.linux { l in
                var ns = (l["namespaces"] as? [[String: Any]] ?? []).filter { $0["type"] as? String != "mount" }
                if let joinMount { ns.append(["type": "mount", "path": joinMount]) }
                l["namespaces"] = ns
            }
            try edit(&c)
        }
        try (marker + "\n").write(toFile: dir + "/rootfs/marker", atomically: false, encoding: .utf8)
        return (dir, HostRootfs.resolved(dir + "/rootfs"), marker)
    }

    /// The mount points at or below ROOTFS in the mount namespace of PID
    /// (this process's by default).
    func mountsUnder(_ rootfs: String, pid: String = "self") -> [String] {
        HostRootfs.mounts(under: rootfs, mountinfo: "/proc/\(pid)/mountinfo").map(\.point)
    }

    /// `unshare FLAG sleep 1000` on the host; returns its pid once it is
    /// in its new namespace KIND (/proc/PID/ns/KIND differs from ours).
    func sleeper(_ flag: String, _ kind: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        p.arguments = [flag, "sleep", "1000"]
        try p.run()
        addTeardownBlock {
            p.terminate()
            p.waitUntilExit()
        }
        let ours = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/\(kind)")
        for _ in 0..<500 {
            if let theirs = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(p.processIdentifier)/ns/\(kind)"),
               theirs != ours, (try? String(contentsOfFile: "/proc/\(p.processIdentifier)/comm", encoding: .utf8)) == "sleep\n" {
                return p
            }
            usleep(10_000)
        }
        XCTFail("unshare \(flag) did not make its namespace")
        return p
    }

    // MARK: no mount namespace (the caller's)

    /// Before: create refused ("a new mount namespace is required").
    func testWithoutAMountNamespaceTheProcessRunsInItsRootfs() throws {
        let b = try bundle(["sh", "-c", "test -x /bin/busybox && cat /marker && test -e /proc/self/status && echo ok"])
        let id = uniqueID("nomnt")
        let log = tmp + "/\(id).log"
        _ = try runtime.create(id: id, options: CreateOptions(bundle: b.bundle, stdio: .log(path: log)))
        // The rootfs is built in the caller's namespace: its mounts are here.
        XCTAssertTrue(mountsUnder(b.rootfs).contains(b.rootfs + "/proc"), "no /proc under the rootfs: \(mountsUnder(b.rootfs))")
        try runtime.start(id: id)
        let status = try runtime.waitForExit(id: id)
        let (out, err) = parseLog(log)
        XCTAssertEqual(status.exitCode, 0, "stderr: \(err)")
        XCTAssertEqual(out, [b.marker, "ok"])
        try runtime.delete(id: id)
        XCTAssertEqual(mountsUnder(b.rootfs), [], "mounts left under the rootfs after delete")
    }

    func testExecIntoAContainerWithoutAMountNamespaceEntersItsRoot() throws {
        let b = try bundle(["sleep", "1000"])
        let id = uniqueID("nomntx")
        _ = try runtime.create(id: id, options: CreateOptions(bundle: b.bundle, stdio: .null))
        try runtime.start(id: id)
        let r = try execAndWait(id, ["sh", "-c", "cat /marker; pwd; ls /proc/1/cmdline"])
        XCTAssertEqual(r.code, 0, r.out)
        XCTAssertEqual(r.out.split(separator: "\n").map(String.init), [b.marker, "/", "/proc/1/cmdline"])
        try runtime.delete(id: id, force: true)
        XCTAssertEqual(mountsUnder(b.rootfs), [], "mounts left under the rootfs after delete -f")
    }

    func testAFailedCreateWithoutAMountNamespaceLeavesNoMount() throws {
        let b = try bundle(["true"]) { c in
            c["mounts"] = (c["mounts"] as? [[String: Any]] ?? []) + [["destination": "/tmp", "type": "nosuchfs", "source": "none"]]
        }
        let id = uniqueID("nomntf")
        XCTAssertThrowsError(try runtime.create(id: id, options: CreateOptions(bundle: b.bundle, stdio: .null))) { error in
            XCTAssertTrue("\(error)".contains("/tmp"), "\(error)")
        }
        XCTAssertEqual(mountsUnder(b.rootfs), [], "mounts left under the rootfs after a failed create")
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateRoot + "/" + id), "state dir left")
    }

    /// `nest create` killed once the monitor has built the rootfs (the
    /// state says creating): `delete -f` unmounts it all.
    func testDeleteForceAfterACrashedCreateLeavesNoMount() throws {
        guard let nest = TestEnv.nestBinary else { throw XCTSkip("no nest binary (set NEST_BIN or run scripts/build.sh)") }
        let b = try bundle(["sleep", "1000"])
        let id = uniqueID("nomntc")
        // Its output to a file: the monitor it leaves behind holds it open.
        let log = tmp + "/\(id).create.log"
        let crashed = host("NEST_CRASH_AT=create:monitor NEST_LIBEXEC='\(TestEnv.libexec)' '\(nest)' --root '\(stateRoot)' " +
                           "create --bundle '\(b.bundle)' \(id) </dev/null >'\(log)' 2>&1; echo $?")
        XCTAssertEqual(crashed.stdout, "137\n", "nest create was not killed at create:monitor: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        XCTAssertTrue(mountsUnder(b.rootfs).contains(b.rootfs + "/proc"), "the crash came before the mounts: \(mountsUnder(b.rootfs))")
        let deleted = host("NEST_LIBEXEC='\(TestEnv.libexec)' '\(nest)' --root '\(stateRoot)' delete -f \(id) </dev/null 2>&1")
        XCTAssertEqual(deleted.code, 0, deleted.stdout)
        XCTAssertEqual(mountsUnder(b.rootfs), [], "mounts left under the rootfs after delete -f of a crashed create")
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateRoot + "/" + id), "state dir left")
    }

    /// A mount that was at the rootfs before the container is the caller's:
    /// delete takes only the container's.
    func testDeleteKeepsAMountThatWasAtTheRootfsBefore() throws {
        let b = try bundle(["true"])
        XCTAssertEqual(host("mount --bind '\(b.rootfs)' '\(b.rootfs)'").code, 0)
        addTeardownBlock { [b] in _ = umount2(b.rootfs, Int32(MNT_DETACH)) }
        let before = mountsUnder(b.rootfs)
        let r = try runContainer(b.bundle)
        XCTAssertEqual(r.exitCode, 0, "stderr: \(r.stderr)")
        XCTAssertEqual(mountsUnder(b.rootfs), before)
    }

    // MARK: a joined mount namespace

    /// Before: create refused (the monitor required a new mount namespace);
    /// then, delete left the container's mounts in the joined namespace.
    func testJoinedMountNamespaceHoldsTheContainersMountsUntilDelete() throws {
        let s = try sleeper("--mount", "mnt")
        let pid = String(s.processIdentifier)
        let b = try bundle(["sleep", "1000"], joinMount: "/proc/\(pid)/ns/mnt")
        // That namespace's own mount at the rootfs, there before the container.
        XCTAssertEqual(host("nsenter -m -t \(pid) mount --bind '\(b.rootfs)' '\(b.rootfs)'").code, 0)
        let before = mountsUnder(b.rootfs, pid: pid)
        XCTAssertEqual(before, [b.rootfs])
        let id = uniqueID("joinmnt")
        _ = try runtime.create(id: id, options: CreateOptions(bundle: b.bundle, stdio: .null))
        try runtime.start(id: id)
        let theirs = host("findmnt -N \(pid) -n -o TARGET --target '\(b.rootfs)/proc'")
        XCTAssertEqual(theirs.stdout.trimmingCharacters(in: .whitespacesAndNewlines), b.rootfs + "/proc", theirs.stderr)
        XCTAssertEqual(mountsUnder(b.rootfs), [], "the container's mounts are in the host's namespace")
        let r = try execAndWait(id, ["cat", "/marker"])
        XCTAssertEqual(r.code, 0, r.out)
        XCTAssertEqual(r.out, b.marker + "\n")
        try runtime.delete(id: id, force: true)
        XCTAssertEqual(mountsUnder(b.rootfs, pid: pid), before, "the container's mounts are left in the namespace it joined")
        XCTAssertEqual(host("findmnt -N \(pid) -n -o TARGET --target '\(b.rootfs)/proc'").stdout
            .trimmingCharacters(in: .whitespacesAndNewlines), b.rootfs)
    }

    func testAFailedCreateInAJoinedMountNamespaceLeavesNoMountThere() throws {
        let s = try sleeper("--mount", "mnt")
        let pid = String(s.processIdentifier)
        let b = try bundle(["true"], joinMount: "/proc/\(pid)/ns/mnt") { c in
            c["mounts"] = (c["mounts"] as? [[String: Any]] ?? []) + [["destination": "/tmp", "type": "nosuchfs", "source": "none"]]
        }
        let id = uniqueID("joinmntf")
        XCTAssertThrowsError(try runtime.create(id: id, options: CreateOptions(bundle: b.bundle, stdio: .null))) { error in
            XCTAssertTrue("\(error)".contains("/tmp"), "\(error)")
        }
        XCTAssertEqual(mountsUnder(b.rootfs, pid: pid), [], "mounts left in the joined namespace after a failed create")
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateRoot + "/" + id), "state dir left")
    }

    /// The namespace's holder died: its path names nothing (or, with the pid
    /// reused, another namespace); delete goes on and says so.
    func testDeleteAfterTheJoinedNamespacesHolderDiedSaysNothingIsLeft() throws {
        guard let nest = TestEnv.nestBinary else { throw XCTSkip("no nest binary (set NEST_BIN or run scripts/build.sh)") }
        let s = try sleeper("--mount", "mnt")
        let pid = String(s.processIdentifier)
        let b = try bundle(["sleep", "1000"], joinMount: "/proc/\(pid)/ns/mnt")
        let id = uniqueID("joinmntd")
        _ = try runtime.create(id: id, options: CreateOptions(bundle: b.bundle, stdio: .null))
        try runtime.start(id: id)
        s.terminate()
        s.waitUntilExit()
        let deleted = host("NEST_LIBEXEC='\(TestEnv.libexec)' '\(nest)' --root '\(stateRoot)' delete -f \(id) </dev/null 2>&1")
        XCTAssertEqual(deleted.code, 0, deleted.stdout)
        XCTAssertTrue(deleted.stdout.contains("\(id): nothing left to undo in the mount namespace it joined: /proc/\(pid)/ns/mnt"),
                      deleted.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateRoot + "/" + id), "state dir left")
    }

    /// The path names another namespace at delete: its mounts are not the
    /// container's, and stay.
    func testDeleteLeavesAnotherNamespaceAtTheJoinedPathAlone() throws {
        let first = try sleeper("--mount", "mnt"), second = try sleeper("--mount", "mnt")
        let nsFile = tmp + "/mntns-\(UInt32.random(in: 0...UInt32.max))"
        XCTAssertTrue(FileManager.default.createFile(atPath: nsFile, contents: nil))
        XCTAssertEqual(host("mount --bind /proc/\(first.processIdentifier)/ns/mnt '\(nsFile)'").code, 0)
        addTeardownBlock { _ = umount2(nsFile, Int32(MNT_DETACH)) }
        let b = try bundle(["sleep", "1000"], joinMount: nsFile)
        let other = String(second.processIdentifier)
        XCTAssertEqual(host("nsenter -m -t \(other) mount -t tmpfs nest-test '\(b.rootfs)'").code, 0)
        let id = uniqueID("joinmnto")
        _ = try runtime.create(id: id, options: CreateOptions(bundle: b.bundle, stdio: .null))
        try runtime.start(id: id)
        XCTAssertEqual(umount2(nsFile, Int32(MNT_DETACH)), 0)
        XCTAssertEqual(host("mount --bind /proc/\(other)/ns/mnt '\(nsFile)'").code, 0)
        try runtime.delete(id: id, force: true)
        XCTAssertEqual(mountsUnder(b.rootfs, pid: other), [b.rootfs], "a mount of another namespace at the joined path was undone")
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateRoot + "/" + id), "state dir left")
    }

    func testAMountNamespacePathThatIsAnotherKindIsRefused() throws {
        let b = try bundle(["true"], joinMount: "/proc/self/ns/uts")
        let id = uniqueID("joinbad")
        XCTAssertThrowsError(try runtime.create(id: id, options: CreateOptions(bundle: b.bundle, stdio: .null))) { error in
            XCTAssertTrue("\(error)".contains("namespace mount /proc/self/ns/uts: not a mount namespace"), "\(error)")
        }
        XCTAssertEqual(mountsUnder(b.rootfs), [])
    }

    // MARK: hostname in a joined UTS namespace

    /// Before: refused ("cannot be set when the uts namespace is joined").
    func testHostnameIsSetInAJoinedUTSNamespace() throws {
        let s = try sleeper("--uts", "uts")
        let pid = String(s.processIdentifier)
        let name = "joined-\(UInt16.random(in: 0...UInt16.max))"
        let hostBefore = host("hostname").stdout
        let b = try bundle(["hostname"]) { c in
            c["hostname"] = name
            c.linux { l in
                var ns = (l["namespaces"] as? [[String: Any]] ?? []).filter { $0["type"] as? String != "uts" }
                ns.append(["type": "uts", "path": "/proc/\(pid)/ns/uts"])
                ns.append(["type": "mount"])
                l["namespaces"] = ns
            }
        }
        let r = try runContainer(b.bundle)
        XCTAssertEqual(r.exitCode, 0, "stderr: \(r.stderr)")
        XCTAssertEqual(r.stdout, [name])
        XCTAssertEqual(host("nsenter -u -t \(pid) hostname").stdout, name + "\n")
        XCTAssertEqual(host("hostname").stdout, hostBefore)
    }
}
