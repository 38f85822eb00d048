import Foundation
import Glibc
import NestAPI
import XCTest

/// Containers of an image through nestd and nestctl: the image's config
/// becomes the process, the rootfs an overlay of the image's shared layers
/// (one inode for both containers, writes their own), and nothing of a
/// container is left once it is removed. The images are laid out under
/// DATA/images-dev (nestd's DirectoryImageSource) by the test.
final class ImageRunTests: DaemonTestCase {
    var layer1 = ""

    /// Image `busy`: layer 1 a busybox rootfs (mkbundle.sh), layer 2 an
    /// /etc/passwd with an `app` user and a /srv.
    func makeImage(config: [String: Any]) throws {
        let base = try makeBundle("base", ["true"])
        layer1 = base + "/rootfs"
        let l2 = tmp + "/layer2"
        try FileManager.default.createDirectory(atPath: l2 + "/etc", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: l2 + "/srv", withIntermediateDirectories: true)
        try "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n".write(toFile: l2 + "/etc/passwd", atomically: false, encoding: .utf8)
        try "root:x:0:\napp:x:1000:\nstaff:x:50:app\n".write(toFile: l2 + "/etc/group", atomically: false, encoding: .utf8)
        let dir = data + "/images-dev/busy"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let image: [String: Any] = ["architecture": "amd64", "os": "linux", "config": config,
                                    "rootfs": ["type": "layers", "diff_ids": ["sha256:aa", "sha256:bb"]]]
        try JSONSerialization.data(withJSONObject: image).write(to: URL(fileURLWithPath: dir + "/config.json"))
        try "sha256:1111 \(layer1)\nsha256:2222 \(l2)\n".write(toFile: dir + "/layers", atomically: false, encoding: .utf8)
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

        let script = "busybox stat -c '%d %i' /bin/busybox; test -e /srv/mine && echo saw-a-write || echo none-seen; echo x > /srv/mine"
        let a = nestctl(["run", "--name", "a", "--label", "kept=request", "busy", script])
        let b = nestctl(["run", "--name", "b", "busy", script])
        XCTAssertEqual(a.code, 0, a.stderr)
        XCTAssertEqual(b.code, 0, b.stderr)
        let lines = (a.stdout.split(separator: "\n"), b.stdout.split(separator: "\n"))
        XCTAssertEqual(lines.0.first, lines.1.first, "one inode for both containers")
        let ino = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: layer1 + "/bin/busybox")[.systemFileNumber] as? Int)
        XCTAssertEqual(lines.0.first?.split(separator: " ").last.map(String.init), String(ino), "the lower layer's inode")
        XCTAssertEqual(lines.0.last, "none-seen")
        XCTAssertEqual(lines.1.last, "none-seen", "b does not see a's write")
        XCTAssertEqual(try info("a").labels, ["from": "image", "kept": "request"], "the image's labels under the request's")

        let sub = nestctl(["subsystem", "a"])
        XCTAssertEqual(sub.code, 0, sub.stderr)
        XCTAssertTrue(sub.stdout.contains("<layer chain=\"sha256:1111\" path=\"\(layer1)\"/>"), sub.stdout)
        XCTAssertTrue(sub.stdout.contains("<layer chain=\"sha256:2222\""), sub.stdout)

        let ids = [try info("a").id, try info("b").id]
        for id in ids { XCTAssertTrue(FileManager.default.fileExists(atPath: data + "/containers/\(id)/bundle/upper")) }
        XCTAssertEqual(nestctl(["rm", "a", "b"]).code, 0)
        for id in ids {
            XCTAssertFalse(FileManager.default.fileExists(atPath: data + "/containers/\(id)"), "the upper and work dirs go with the container")
        }
        let mountinfo = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        XCTAssertFalse(mountinfo.contains(tmp), "no mount is left: \(mountinfo)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: layer1 + "/bin/busybox"), "the layers stay")
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp + "/layer2/srv/mine"), "the layers were not written")
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
}
