import Foundation
import Glibc
import NestAPI
import XCTest

/// Containers of an image through nestd and nestctl: the image's config
/// becomes the process, the rootfs an overlay of the image's shared layers
/// (one inode for both containers, writes their own), and nothing of a
/// container is left once it is removed. The image is an OCI layout the
/// test builds, imported into the daemon's store with `nestctl image import`.
final class ImageRunTests: DaemonTestCase {
    /// The store's directories of the image's layers, lowest first.
    var layers: [String] = []
    var chainIDs: [String] = []
    var layer1: String { layers[0] }

    /// Image `busy` (makeBusyboxLayout): a busybox layer, a layer with an
    /// `app` user and a /srv, a whiteout layer.
    func makeImage(config: [String: Any]) throws {
        try makeBusyboxLayout(tmp + "/layout", config: config)
        let imported = nestctl(["image", "import", "--name", "busy", tmp + "/layout"])
        XCTAssertEqual(imported.code, 0, imported.stderr)
        chainIDs = try get("/v1/images/busy", as: ImageInfo.self).chainIDs
        layers = chainIDs.map { data + "/images/layers/sha256/" + $0.dropFirst(7) }
    }

    func testRunAnImageTwiceSharesItsLayersAndRemovesEverything() throws {
        try makeImage(config: ["Entrypoint": ["/bin/sh", "-c"], "Cmd": ["echo default command"], "Env": ["GREETING=hello", "PATH=/bin"],
                               "WorkingDir": "/srv", "Labels": ["from": "image", "kept": "image"]])
        let d = nestctl(["run", "--rm", "busy"])
        XCTAssertEqual(d.code, 0, d.stderr)
        XCTAssertEqual(d.stdout, "default command\n", "Entrypoint + Cmd")

        let env = nestctl(["run", "--rm", "-e", "EXTRA=1", "-e", "GREETING=hi", "busy", "echo $GREETING $EXTRA; pwd"])
        XCTAssertEqual(env.code, 0, env.stderr)
        XCTAssertEqual(env.stdout, "hi 1\n/srv\n", "env merged by key, the image's WorkingDir")
        XCTAssertEqual(nestctl(["run", "--rm", "-w", "/tmp", "busy", "pwd"]).stdout, "/tmp\n")
        XCTAssertEqual(nestctl(["run", "--rm", "--entrypoint", "/bin/busybox", "busy", "echo", "direct"]).stdout, "direct\n")
        let user = nestctl(["run", "--rm", "-u", "app", "busy", "busybox id -u; busybox id -G; echo $HOME"])
        XCTAssertEqual(user.stdout, "1000\n1000 50\n/home/app\n", "the name resolved in the image's layers: \(user.stderr)")
        let unknown = nestctl(["run", "--rm", "-u", "nobody-here", "busy", "true"])
        XCTAssertNotEqual(unknown.code, 0)
        XCTAssertTrue(unknown.stderr.contains("no user nobody-here"), unknown.stderr)

        let script = ImageCommandTests.busyboxInode + "; test -e /srv/mine && echo saw-a-write || echo none-seen; echo x > /srv/mine"
        let a = nestctl(["run", "--name", "a", "--label", "kept=request", "busy", script])
        let b = nestctl(["run", "--name", "b", "busy", script])
        XCTAssertEqual(a.code, 0, a.stderr)
        XCTAssertEqual(b.code, 0, b.stderr)
        let lines = (a.stdout.split(separator: "\n"), b.stdout.split(separator: "\n"))
        XCTAssertEqual(lines.0.first, lines.1.first, "one inode for both containers")
        XCTAssertEqual(lines.0.first.map { $0 + "\n" }, try ImageCommandTests.inode(layer1 + "/bin/busybox"), "the lower layer's")
        XCTAssertEqual(lines.0.last, "none-seen")
        XCTAssertEqual(lines.1.last, "none-seen", "b does not see a's write")
        XCTAssertEqual(try info("a").labels, ["from": "image", "kept": "request"], "the image's labels under the request's")

        let sub = nestctl(["subsystem", "a"])
        XCTAssertEqual(sub.code, 0, sub.stderr)
        for (chain, dir) in zip(chainIDs, layers) {
            XCTAssertTrue(sub.stdout.contains("<layer chain=\"\(chain)\" path=\"\(dir)\"/>"), sub.stdout)
        }

        let ids = [try info("a").id, try info("b").id]
        for id in ids { XCTAssertTrue(FileManager.default.fileExists(atPath: data + "/containers/\(id)/bundle/upper")) }
        XCTAssertEqual(nestctl(["rm", "a", "b"]).code, 0)
        for id in ids {
            XCTAssertFalse(FileManager.default.fileExists(atPath: data + "/containers/\(id)"), "the upper and work dirs go with the container")
        }
        let mountinfo = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        XCTAssertFalse(mountinfo.contains(tmp), "no mount is left: \(mountinfo)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: layer1 + "/bin/busybox"), "the layers stay")
        for dir in layers { XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/srv/mine"), "the layers were not written") }
    }

    func testStopSendsTheImagesStopSignal() throws {
        try makeImage(config: ["Cmd": ["/bin/sh", "-c", "trap 'echo got-usr1; exit 0' USR1; echo ready; while :; do sleep 1; done"],
                               "StopSignal": "SIGUSR1"])
        let run = nestctl(["run", "-d", "--name", "s", "busy"])
        XCTAssertEqual(run.code, 0, run.stderr)
        XCTAssertTrue(eventually(20) { self.logs("s").contains("ready") })
        XCTAssertEqual(nestctl(["stop", "s"]).code, 0)
        XCTAssertTrue(logs("s").contains("got-usr1"), logs("s"))
        XCTAssertEqual(try info("s").exitCode, 0)
    }

    func testBadRequestsNameTheirField() throws {
        try makeImage(config: ["Cmd": ["true"]])
        func create(_ body: String) throws -> (Int, String) {
            let r = try client.request("POST", "/v1/containers", body: Array(body.utf8))
            return (r.status, r.text)
        }
        let missing = try create(#"{"image":"nope"}"#)
        XCTAssertEqual(missing.0, 404)
        XCTAssertTrue(missing.1.contains("\"field\":\"image\""), missing.1)
        let env = try create(#"{"image":"busy","env":["A=1","B"]}"#)
        XCTAssertEqual(env.0, 400)
        XCTAssertTrue(env.1.contains("\"field\":\"env[1]\""), env.1)
        let both = try create(#"{"image":"busy","bundle":"/x"}"#)
        XCTAssertEqual(both.0, 400)
        let bundleOnly = try create(#"{"bundle":"\#(try makeBundle("b", ["true"]))","cmd":["x"]}"#)
        XCTAssertEqual(bundleOnly.0, 400)
        XCTAssertTrue(bundleOnly.1.contains("\"field\":\"cmd\""), bundleOnly.1)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: data + "/containers"), [], "nothing is left of a refused create")
    }

    /// An image of 60 layers: their dirs make more mount options than the
    /// page mount(2) takes, so the monitor gives overlayfs one lowerdir+
    /// per layer. Every layer is seen, the top one wins.
    func testAnImageOfSixtyLayersRuns() throws {
        let base = try makeBundle("image-base", ["true"]) + "/rootfs"
        var dirs = [base]
        for i in 1..<60 {
            let d = tmp + "/many-\(i)"
            try FileManager.default.createDirectory(atPath: d + "/layers", withIntermediateDirectories: true)
            try "\(i)\n".write(toFile: d + "/layers/\(i)", atomically: false, encoding: .utf8)
            try "\(i)\n".write(toFile: d + "/top", atomically: false, encoding: .utf8)
            dirs.append(d)
        }
        try makeOCILayout(tmp + "/many-layout", layers: dirs, config: ["Cmd": ["/bin/sh", "-c", "cat /top; ls /layers | wc -l"]])
        let imported = nestctl(["image", "import", "--name", "many", tmp + "/many-layout"])
        XCTAssertEqual(imported.code, 0, imported.stderr)
        let chainIDs = try get("/v1/images/many", as: ImageInfo.self).chainIDs
        XCTAssertEqual(chainIDs.count, 60)
        let options = chainIDs.reduce(0) { $0 + data.utf8.count + "/images/layers/sha256/".utf8.count + $1.utf8.count - 7 + 1 }
        XCTAssertGreaterThan(options, 4096, "the lower dirs alone are more than a page")

        let r = nestctl(["run", "--rm", "many"])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(r.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }, ["59", "59"],
                       "the top layer's /top, and the files of all 59 layers above the base")
    }
}
