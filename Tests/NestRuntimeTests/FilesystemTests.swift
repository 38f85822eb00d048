import Foundation
import Glibc
import XCTest
@testable import NestRuntime

/// The container's view of its filesystem: read-only root and paths, masked
/// paths, mounts that may not leave the rootfs.
final class FilesystemTests: RootTestCase {
    func testReadonlyRootRefusesWrites() throws {
        let bundle = try makeBundle(["sh", "-c", "touch /newfile && echo WROTE; touch /tmp/newfile && echo WROTE-TMP; echo end"])
        XCTAssertEqual((try readConfig(bundle)["root"] as? [String: Any])?["readonly"] as? Bool, true)
        let r = try runContainer(bundle)
        XCTAssertEqual(r.stdout, ["end"], "stderr: \(r.stderr)")
        XCTAssertTrue(r.stderr.contains { $0.contains("Read-only file system") }, "stderr: \(r.stderr)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: bundle + "/rootfs/newfile"))
    }

    func testReadonlyPathsRefuseWritesAndTheRestIsWritable() throws {
        let script = "touch /data/x && echo WROTE-DATA; touch /scratch/x && echo wrote-scratch; touch /y && echo wrote-root; echo end"
        let bundle = try makeBundle(["sh", "-c", script]) { c in
            c["root"] = ["path": "rootfs", "readonly": false] as [String: Any]
            var mounts = c["mounts"] as? [[String: Any]] ?? []
            mounts.append(["destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["mode=1777"]])
            mounts.append(["destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["mode=1777"]])
            c["mounts"] = mounts
            c.linux { l in l["readonlyPaths"] = ["/data", "/proc/sys"] }
        }
        try FileManager.default.createDirectory(atPath: bundle + "/rootfs/data", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: bundle + "/rootfs/scratch", withIntermediateDirectories: true)
        let r = try runContainer(bundle)
        XCTAssertEqual(r.stdout, ["wrote-scratch", "wrote-root", "end"], "stderr: \(r.stderr)")
        XCTAssertTrue(r.stderr.contains { $0.contains("/data/x") && $0.contains("Read-only file system") }, "stderr: \(r.stderr)")
        try? FileManager.default.removeItem(atPath: bundle + "/rootfs/y")
    }

    func testKcoreAndOtherMaskedPathsAreNull() throws {
        // /proc/kcore exists only on some kernels (not on this VM's): each
        // masked file the host has must read empty and be /dev/null.
        let candidates: [String] = ["/proc/kcore", "/proc/keys", "/proc/timer_list"]
        let files = candidates.filter { FileManager.default.fileExists(atPath: $0) }
        let script = files.map { "echo \($0) $(wc -c < \($0)) $(stat -c '%t:%T' \($0))" }.joined(separator: "; ")
            + "; echo acpi $(ls -A /proc/acpi 2>/dev/null | wc -l); echo kcore-read $(cat /proc/kcore 2>/dev/null | wc -c)"
        let bundle = try makeBundle(["sh", "-c", script])
        let r = try runContainer(bundle)
        XCTAssertEqual(r.exitCode, 0, "stderr: \(r.stderr)")
        XCTAssertEqual(r.stdout, files.map { "\($0) 0 1:3" } + ["acpi 0", "kcore-read 0"], "stderr: \(r.stderr)")
    }

    func testSymlinkedMountDestinationStaysInsideTheRootfs() throws {
        let hostEtcBefore = try FileManager.default.contentsOfDirectory(atPath: "/etc").sorted()
        let mountsBefore = mountPoints()
        let marker = "nest-escape-\(getpid())"
        let script = "touch /evil/\(marker) /evil2/\(marker).2; ls /etc | wc -l; cat /etc/passwd 2>&1 | head -1; echo end"
        let bundle = try makeBundle(["sh", "-c", script]) { c in
            c["root"] = ["path": "rootfs", "readonly": false] as [String: Any]
            var mounts = c["mounts"] as? [[String: Any]] ?? []
            mounts.append(["destination": "/evil", "type": "tmpfs", "source": "tmpfs", "options": ["mode=755"]])
            mounts.append(["destination": "/evil2/sub", "type": "tmpfs", "source": "tmpfs", "options": ["mode=755"]])
            c["mounts"] = mounts
        }
        let rootfs = bundle + "/rootfs"
        try FileManager.default.createSymbolicLink(atPath: rootfs + "/evil", withDestinationPath: "/etc")
        try FileManager.default.createSymbolicLink(atPath: rootfs + "/evil2", withDestinationPath: "../../../../../../etc")
        let id = uniqueID("escape")
        let log = tmp + "/\(id).log"
        _ = try runtime.create(id: id, options: CreateOptions(bundle: bundle, stdio: .log(path: log)))
        // The mounts are made by now: none may show on the host.
        XCTAssertEqual(mountPoints(), mountsBefore, "mounts appeared on the host")
        try runtime.start(id: id)
        try runtime.waitForExit(id: id)
        try runtime.delete(id: id)
        let (out, err) = parseLog(log)
        XCTAssertEqual(out.last, "end", "stderr: \(err)")
        // /evil is the rootfs's /etc, now a tmpfs inside the container.
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/etc/" + marker), "wrote into the host's /etc")
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/etc/" + marker + ".2"), "wrote into the host's /etc")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "/etc").sorted(), hostEtcBefore)
        XCTAssertEqual(mountPoints(), mountsBefore, "mounts left on the host")
        XCTAssertTrue(FileManager.default.fileExists(atPath: rootfs + "/etc/passwd"), "the rootfs's /etc was changed")
    }
}

/// The mount points of this process's mount namespace.
func mountPoints() -> [String] {
    let text = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
    return text.split(separator: "\n").compactMap { line in
        let f = line.split(separator: " ")
        return f.count > 4 ? String(f[4]) : nil
    }.sorted()
}
