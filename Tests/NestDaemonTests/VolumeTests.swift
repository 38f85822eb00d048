import Foundation
import NestAPI
import XCTest

/// Named volumes through a real nestd: one directory that several
/// containers (one subsystem each) mount, its users read from their
/// configs, and the -v/--tmpfs mounts of run and create.
final class VolumeTests: DaemonTestCase {
    var volumesDir: String { data + "/volumes" }

    func volumeNames() throws -> [String] { try get("/v1/volumes", as: [VolumeInfo].self).map(\.name) }

    func testVolumeCRUDThroughNestctlAndREST() throws {
        let made = nestctl(["volume", "create", "--label", "team=db", "v1"])
        XCTAssertEqual(made.code, 0, made.stderr)
        XCTAssertEqual(made.stdout, "v1\n")
        let v1 = try get("/v1/volumes/v1", as: VolumeInfo.self)
        XCTAssertEqual(v1.labels, ["team": "db"])
        XCTAssertEqual(v1.driver, "local")
        XCTAssertEqual(v1.mountpoint, volumesDir + "/v1/_data")
        XCTAssertEqual(v1.usedBy, [])
        var isDir: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: v1.mountpoint, isDirectory: &isDir) && isDir.boolValue)

        XCTAssertEqual(try request("POST", "/v1/volumes", body: VolumeCreateRequest(name: "v2")).status, 201)
        XCTAssertEqual(try request("POST", "/v1/volumes", body: VolumeCreateRequest(name: "v2")).status, 200, "exists: the same volume")
        let bad = try request("POST", "/v1/volumes", body: VolumeCreateRequest(name: "../etc"))
        XCTAssertEqual(bad.status, 400)
        XCTAssertTrue(bad.text.contains("\"field\":\"name\""), bad.text)
        XCTAssertEqual(try volumeNames(), ["v1", "v2"])
        XCTAssertEqual(nestctl(["volume", "ls", "-q"]).stdout, "v1\nv2\n")
        let inspect = nestctl(["volume", "inspect", "v1"])
        XCTAssertEqual(inspect.code, 0, inspect.stderr)
        XCTAssertEqual(try JSONDecoder().decode([VolumeInfo].self, from: Data(inspect.stdout.utf8)), [v1])

        XCTAssertEqual(nestctl(["volume", "rm", "v1"]).stdout, "v1\n")
        XCTAssertEqual(try request("GET", "/v1/volumes/v1").status, 404)
        XCTAssertFalse(FileManager.default.fileExists(atPath: volumesDir + "/v1"))
        XCTAssertEqual(try request("DELETE", "/v1/volumes/v1").status, 404)
        XCTAssertEqual(try request("DELETE", "/v1/volumes/v1?force=true").status, 204, "force: a missing volume is no error")
        let missing = nestctl(["volume", "rm", "nosuch"])
        XCTAssertEqual(missing.code, 1)
        XCTAssertTrue(missing.stderr.contains("no such volume: nosuch"), missing.stderr)
        XCTAssertEqual(nestctl(["volume", "prune"]).stdout, "v2\n")
        XCTAssertEqual(try volumeNames(), [])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: volumesDir).filter { !$0.hasPrefix(".") }, [])
    }

    func testTwoContainersShareOneVolumeAndTheirConfigsShowIt() throws {
        let writer = try makeBundle("w", ["sh", "-c", "echo from-writer > /data/note; stat -c %d:%i /data/note"])
        let reader = try makeBundle("r", ["sh", "-c", "cat /data/note; stat -c %d:%i /data/note; echo x > /data/other || echo read-only"])
        let w = nestctl(["run", "--name", "writer", "-v", "shared:/data", writer])
        XCTAssertEqual(w.code, 0, w.stderr)
        let r = nestctl(["run", "--name", "reader", "-v", "shared:/data:ro", reader])
        XCTAssertEqual(r.code, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "from-writer")
        XCTAssertEqual(lines.count, 3, r.stdout)
        XCTAssertEqual(lines.dropFirst().first, w.stdout.split(separator: "\n").first.map(String.init), "one inode for both")
        XCTAssertEqual(lines.last, "read-only")
        XCTAssertFalse(FileManager.default.fileExists(atPath: volumesDir + "/shared/_data/other"))

        // each config has a server of its own with the volume's directory as
        // its root, routed at the mount point (read-only in the reader's)
        let root = volumesDir + "/shared/_data"
        for (name, ro) in [("writer", "no"), ("reader", "yes")] {
            let xml = nestctl(["subsystem", name]).stdout
            XCTAssertTrue(xml.contains("<start name=\"volume-shared\">"), xml)
            XCTAssertTrue(xml.contains("<vfs root=\"\(root)\" readonly=\"\(ro)\""), xml)
            XCTAssertTrue(xml.contains("<service name=\"File_system\" label=\"/data\">\n        <child name=\"volume-shared\"/>"), xml)
        }
        let info = try get("/v1/volumes/shared", as: VolumeInfo.self)
        XCTAssertEqual(Set(info.usedBy), Set(try ["writer", "reader"].map { try self.info($0).id }))
    }

    /// make -j4 over two containers: the compile step forks four jobs that
    /// outlive their parent (orphans, reparented to nest-init), each writes
    /// an object into the volume; the link step, another container, joins
    /// them. Every orphan is reaped by nest-init.
    func testAParallelBuildSplitOverTwoContainersOnOneVolume() throws {
        let compile = """
            for i in 1 2 3 4; do
              ( sh -c 'while read -r _ _ _ pp _ < /proc/$$/stat; [ "$pp" != 1 ]; do usleep 1000; done
                       echo "obj$1 pid=$$ ppid=$pp" > /work/obj$1.tmp && mv /work/obj$1.tmp /work/obj$1' _ $i & )
            done
            until [ -e /work/obj1 ] && [ -e /work/obj2 ] && [ -e /work/obj3 ] && [ -e /work/obj4 ]; do usleep 1000; done
            pids=$(sed 's/.* pid=\\([0-9]*\\).*/\\1/' /work/obj1 /work/obj2 /work/obj3 /work/obj4)
            n=0
            for p in $pids; do
              while [ -e /proc/$p ] && [ $n -lt 20000 ]; do usleep 1000; n=$((n+1)); done
            done
            reaped=0; for p in $pids; do [ -e /proc/$p ] || reaped=$((reaped+1)); done
            echo reaped=$reaped zombies=$(cat /proc/[0-9]*/stat 2>/dev/null | grep -c ') Z ')
            """
        let a = try makeBundle("compile", ["sh", "-c", compile])
        let b = try makeBundle("link", ["sh", "-c", "cat /work/obj1 /work/obj2 /work/obj3 /work/obj4 > /work/prog && cat /work/prog"])
        let c = nestctl(["run", "--name", "compile", "-v", "build:/work", a])
        XCTAssertEqual(c.code, 0, c.stderr)
        XCTAssertEqual(c.stdout, "reaped=4 zombies=0\n")
        let l = nestctl(["run", "--name", "link", "-v", "build:/work", b])
        XCTAssertEqual(l.code, 0, l.stderr)
        let objects = l.stdout.split(separator: "\n")
        XCTAssertEqual(objects.count, 4, l.stdout)
        for (i, line) in objects.enumerated() {
            XCTAssertTrue(line.hasPrefix("obj\(i + 1) pid=") && line.hasSuffix(" ppid=1"), "reparented to nest-init: \(line)")
        }
        XCTAssertEqual(try String(contentsOfFile: volumesDir + "/build/_data/prog", encoding: .utf8), l.stdout)

        // in use: a 409 naming both containers, force or not
        for query in ["", "?force=true"] {
            let rm = try request("DELETE", "/v1/volumes/build" + query)
            XCTAssertEqual(rm.status, 409, rm.text)
            XCTAssertTrue(rm.text.contains("container compile (") && rm.text.contains("container link ("), rm.text)
        }
        let cli = nestctl(["volume", "rm", "build"])
        XCTAssertEqual(cli.code, 1)
        XCTAssertTrue(cli.stderr.contains("volume build is in use by container compile"), cli.stderr)
        XCTAssertEqual(nestctl(["rm", "compile", "link"]).code, 0)
        XCTAssertEqual(try request("DELETE", "/v1/volumes/build").status, 204)
    }

    func testPruneRemovesOnlyUnusedVolumes() throws {
        let bundle = try makeBundle("b", ["true"])
        XCTAssertEqual(nestctl(["volume", "create", "idle"]).code, 0)
        let created = nestctl(["create", "--name", "holder", "-v", "busy:/busy", bundle])
        XCTAssertEqual(created.code, 0, created.stderr)
        let pruned = try request("POST", "/v1/volumes/prune")
        XCTAssertEqual(pruned.status, 200, pruned.text)
        XCTAssertEqual(try JSONDecoder().decode(VolumePruneResponse.self, from: Data(pruned.body)).removed, ["idle"])
        XCTAssertEqual(try volumeNames(), ["busy"])
        XCTAssertEqual(nestctl(["rm", "holder"]).code, 0)
        XCTAssertEqual(nestctl(["volume", "prune"]).stdout, "busy\n")
    }

    /// The users come from the configs on disk: a restarted nestd still
    /// refuses to remove a volume a container was created with.
    func testARestartedDaemonStillKnowsTheUsers() throws {
        let bundle = try makeBundle("b", ["true"])
        let created = nestctl(["create", "--name", "keeper", "-v", "kept:/kept", bundle])
        XCTAssertEqual(created.code, 0, created.stderr)
        stopDaemon()
        try startDaemon()
        let rm = try request("DELETE", "/v1/volumes/kept")
        XCTAssertEqual(rm.status, 409, rm.text)
        XCTAssertTrue(rm.text.contains("container keeper ("), rm.text)
        XCTAssertEqual(try get("/v1/volumes/kept", as: VolumeInfo.self).usedBy, [try info("keeper").id])
        XCTAssertEqual(nestctl(["rm", "keeper"]).code, 0)
        XCTAssertEqual(try request("DELETE", "/v1/volumes/kept").status, 204)
    }

    func testBadMountsAre400sNamingTheFlagAndMakeNothing() throws {
        let bundle = try makeBundle("b", ["true"])
        for (flag, value, words) in [("-v", "relative/dir:/d", "must be absolute"), ("-v", "./dir:/d", "must be absolute"),
                                     ("-v", tmp + "/missing:/d", "does not exist"), ("-v", "b@d:/d", "neither a volume name"),
                                     ("-v", "ok:relative", "absolute path"), ("-v", "ok:/a/../b", "absolute path"),
                                     ("--tmpfs", "/t:exec,bogus=1", "unknown tmpfs option")] {
            let r = nestctl(["run", flag, value, bundle])
            XCTAssertEqual(r.code, 1, "\(value): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("\(flag): ") && r.stderr.contains(words), "\(value): \(r.stderr)")
        }
        let body = CreateRequest(bundle: bundle, mounts: [MountRequest(type: "bind", source: "rel", destination: "/d")])
        let r = try request("POST", "/v1/containers", body: body)
        XCTAssertEqual(r.status, 400)
        let e = try JSONDecoder().decode(ErrorBody.self, from: Data(r.body))
        XCTAssertEqual(e.field, "mounts[0].source")
        XCTAssertTrue(e.error.hasPrefix("-v: "), e.error)
        XCTAssertEqual(nestctl(["run", "-v", "novolume", bundle]).code, 2, "no destination: a usage error")
        XCTAssertEqual(try get("/v1/containers", as: [ContainerInfo].self).count, 0)
        XCTAssertEqual(try volumeNames(), [], "the name check comes before any volume is made")
    }

    func testBindAndTmpfsMountsAreSeenInside() throws {
        let host = tmp + "/hostdir"
        try FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: true)
        try "from-the-host\n".write(toFile: host + "/file", atomically: true, encoding: .utf8)
        let bundle = try makeBundle("b", ["sh", "-c", "cat /h/file; grep -E ' /(h|t|scratch) ' /proc/self/mountinfo"])
        let r = nestctl(["run", "--rm", "-v", host + ":/h:ro", "--tmpfs", "/t:size=1m,mode=750", "--tmpfs", "/scratch", bundle])
        XCTAssertEqual(r.code, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "from-the-host")
        // mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS ... - TYPE SOURCE SUPER
        func mountPoint(_ line: String) -> String? {
            let f = line.split(separator: " ")
            return f.count > 5 ? String(f[4]) : nil
        }
        let h = try XCTUnwrap(lines.first { mountPoint($0) == "/h" }, r.stdout)
        XCTAssertTrue(h.split(separator: " ")[5].split(separator: ",").contains("ro"), h)
        let t = try XCTUnwrap(lines.first { mountPoint($0) == "/t" }, r.stdout)
        XCTAssertTrue(t.contains(" - tmpfs ") && t.contains("size=1024k") && t.contains("mode=750"), t)
        XCTAssertTrue(t.split(separator: " ")[5].split(separator: ",").contains("nosuid"), t)
        XCTAssertNotNil(lines.first { mountPoint($0) == "/scratch" && $0.contains(" - tmpfs ") }, r.stdout)
    }

    /// A volume made on first use gets what the rootfs has at the mount
    /// point, resolved inside the rootfs and copied without following a
    /// symlink out of it; an existing volume is not seeded again.
    func testAVolumeMadeOnFirstUseIsSeededFromTheRootfs() throws {
        let bundle = try makeBundle("b", ["true"])
        let rootfs = bundle + "/rootfs"
        let fm = FileManager.default
        try fm.createDirectory(atPath: rootfs + "/app/data/sub", withIntermediateDirectories: true)
        try "seed\n".write(toFile: rootfs + "/app/data/sub/file", atomically: true, encoding: .utf8)
        try fm.createSymbolicLink(atPath: rootfs + "/app/data/hostlink", withDestinationPath: "/etc/hostname")
        chmod(rootfs + "/app/data", 0o750)
        // a mount point that is a symlink leading out: resolved in the rootfs
        try fm.createSymbolicLink(atPath: rootfs + "/evil", withDestinationPath: "../../../../../../etc")

        XCTAssertEqual(nestctl(["create", "--name", "a", "-v", "seeded:/app/data", "-v", "etcvol:/evil", bundle]).code, 0)
        let dir = volumesDir + "/seeded/_data"
        XCTAssertEqual(try String(contentsOfFile: dir + "/sub/file", encoding: .utf8), "seed\n")
        XCTAssertEqual(try fm.destinationOfSymbolicLink(atPath: dir + "/hostlink"), "/etc/hostname", "copied as a link")
        XCTAssertEqual((try fm.attributesOfItem(atPath: dir)[.posixPermissions] as? NSNumber)?.intValue, 0o750)
        XCTAssertEqual(Set(try fm.contentsOfDirectory(atPath: volumesDir + "/etcvol/_data")), ["passwd", "group"],
                       "the rootfs's /etc, not the host's")

        try "changed\n".write(toFile: rootfs + "/app/data/sub/file", atomically: true, encoding: .utf8)
        XCTAssertEqual(nestctl(["create", "--name", "b", "-v", "seeded:/app/data", bundle]).code, 0)
        XCTAssertEqual(try String(contentsOfFile: dir + "/sub/file", encoding: .utf8), "seed\n")
    }

    /// A volume an image's container makes on first use gets what the image
    /// has at the mount point as the container sees it: the layers merged
    /// top first, a whiteout's file gone, an opaque dir hiding what the
    /// layers below had there, the top layer's dir mode, and a mount point
    /// that is a symlink resolved inside the image. An existing volume is
    /// not touched.
    func testAVolumeMadeOnFirstUseIsSeededFromTheImage() throws {
        let fm = FileManager.default
        let base = try makeBundle("image-base", ["true"]) + "/rootfs"
        let l1 = tmp + "/vol-layer1", l2 = tmp + "/vol-layer2"
        for d in [base + "/data/sub", base + "/data/opq", l1 + "/data/opq", l2 + "/data/sub"] {
            try fm.createDirectory(atPath: d, withIntermediateDirectories: true)
        }
        try "base\n".write(toFile: base + "/data/sub/file", atomically: false, encoding: .utf8)
        try "kept\n".write(toFile: base + "/data/sub/kept", atomically: false, encoding: .utf8)
        try "gone\n".write(toFile: base + "/data/gone", atomically: false, encoding: .utf8)
        try "old\n".write(toFile: base + "/data/opq/old", atomically: false, encoding: .utf8)
        try fm.createSymbolicLink(atPath: base + "/evil", withDestinationPath: "../../../../../../etc")
        try "".write(toFile: l1 + "/data/opq/.wh..wh..opq", atomically: false, encoding: .utf8)
        try "new\n".write(toFile: l1 + "/data/opq/new", atomically: false, encoding: .utf8)
        try "top\n".write(toFile: l1 + "/data/top", atomically: false, encoding: .utf8)
        try "".write(toFile: l2 + "/data/.wh.gone", atomically: false, encoding: .utf8)
        try "changed\n".write(toFile: l2 + "/data/sub/file", atomically: false, encoding: .utf8)
        chmod(l2 + "/data", 0o750)
        try makeOCILayout(tmp + "/vol-layout", layers: [base, l1, l2], config: ["Cmd": ["true"], "Env": ["PATH=/bin"]])
        let imported = nestctl(["image", "import", "--name", "volimg", tmp + "/vol-layout"])
        XCTAssertEqual(imported.code, 0, imported.stderr)

        let a = nestctl(["create", "--name", "a", "-v", "seeded:/data", "-v", "etcvol:/evil", "volimg"])
        XCTAssertEqual(a.code, 0, a.stderr)
        let dir = volumesDir + "/seeded/_data"
        XCTAssertEqual(Set(try fm.contentsOfDirectory(atPath: dir)), ["sub", "opq", "top"], "the whiteout's file is not there")
        XCTAssertEqual(try String(contentsOfFile: dir + "/sub/file", encoding: .utf8), "changed\n", "the top layer's file")
        XCTAssertEqual(try String(contentsOfFile: dir + "/sub/kept", encoding: .utf8), "kept\n", "a lower layer's file")
        XCTAssertEqual(try String(contentsOfFile: dir + "/top", encoding: .utf8), "top\n")
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: dir + "/opq"), ["new"], "the opaque dir hides the lower one's")
        XCTAssertEqual((try fm.attributesOfItem(atPath: dir)[.posixPermissions] as? NSNumber)?.intValue, 0o750)
        XCTAssertEqual(Set(try fm.contentsOfDirectory(atPath: volumesDir + "/etcvol/_data")), ["passwd", "group"],
                       "the image's /etc, not the host's")
        let mountinfo = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        XCTAssertFalse(mountinfo.contains(data + "/images"), "no view of the layers is left mounted: \(mountinfo)")

        try "mine\n".write(toFile: dir + "/top", atomically: false, encoding: .utf8)
        let b = nestctl(["create", "--name", "b", "-v", "seeded:/data", "volimg"])
        XCTAssertEqual(b.code, 0, b.stderr)
        XCTAssertEqual(try String(contentsOfFile: dir + "/top", encoding: .utf8), "mine\n", "an existing volume is not seeded again")
        XCTAssertFalse(fm.fileExists(atPath: dir + "/gone"))
    }
}
