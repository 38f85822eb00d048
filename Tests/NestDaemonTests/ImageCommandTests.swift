import Foundation
import NestAPI
import XCTest

/// The image store through nestd and nestctl: import, ls, inspect, run,
/// rm (refused while a container uses the image, read from the
/// containers' configs, after a restart too), prune, and the errors of a
/// bad import.
final class ImageCommandTests: DaemonTestCase {
    var images: String { data + "/images" }

    func entries(_ sub: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: images + "/" + sub)) ?? []).sorted()
    }

    func testImportListInspectRunRemoveAndPrune() throws {
        try makeBusyboxLayout(tmp + "/layout", config: ["Cmd": ["cat", "/etc/hello"], "Env": ["PATH=/bin"]], ref: "busybox:oci")
        let imported = nestctl(["image", "import", tmp + "/layout"])
        XCTAssertEqual(imported.code, 0, imported.stderr)
        let list = try get("/v1/images", as: [ImageInfo].self)
        XCTAssertEqual(list.map(\.names), [["busybox:oci"]])
        let image = list[0]
        XCTAssertEqual(imported.stdout, image.id + " busybox:oci\n")
        XCTAssertEqual(image.chainIDs.count, 3)
        XCTAssertEqual(entries("layers/sha256").count, 3, "each layer unpacked once")

        let ls = nestctl(["image", "ls"]).stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        XCTAssertEqual(ls.first, "REPOSITORY TAG IMAGE ID CREATED SIZE")
        XCTAssertTrue(ls.dropFirst().first?.hasPrefix("busybox oci \(image.id.dropFirst(7).prefix(12)) ") == true, "\(ls)")
        XCTAssertEqual(nestctl(["images", "-q"]).stdout, image.id + "\n")
        let inspect = nestctl(["image", "inspect", "busybox:oci"])
        XCTAssertEqual(inspect.code, 0, inspect.stderr)
        let shown = try JSONDecoder().decode([ImageInspect].self, from: Data(inspect.stdout.utf8))
        XCTAssertEqual(shown.map(\.info), [image])
        XCTAssertEqual(shown.first?.config.config?.cmd, ["cat", "/etc/hello"])
        XCTAssertEqual(shown.first?.config.rootfs.diffIDs.count, 3)
        // a short id, and the id itself
        XCTAssertEqual(try get("/v1/images/\(image.id.dropFirst(7).prefix(12))", as: ImageInspect.self).id, image.id)
        XCTAssertEqual(try get("/v1/images/\(image.id)", as: ImageInspect.self).id, image.id)

        let hello = nestctl(["run", "--rm", "busybox:oci"])
        XCTAssertEqual(hello.code, 0, hello.stderr)
        XCTAssertEqual(hello.stdout, "hello from a layer\n", "the image's Cmd")
        let hi = nestctl(["run", "--rm", "busybox:oci", "echo", "hi"])
        XCTAssertEqual(hi.stdout, "hi\n", hi.stderr)
        let whiteout = nestctl(["run", "--rm", "busybox:oci", "sh", "-c", "test -e /tmp/remove-me && echo still-there || echo whited-out"])
        XCTAssertEqual(whiteout.stdout, "whited-out\n", whiteout.stderr)
        // root in an image's container holds what images expect (chown)
        let chown = nestctl(["run", "--rm", "busybox:oci", "sh", "-c", "touch /tmp/f && chown 123:45 /tmp/f && stat -c %u:%g /tmp/f"])
        XCTAssertEqual(chown.stdout, "123:45\n", chown.stderr)

        // two containers of the image at once see one busybox: the lower
        // layer's inode (overlay on one file system passes the real inode
        // number through; a copy would have its own). The device differs:
        // each overlay mount has one of its own.
        for name in ["one", "two"] {
            let r = nestctl(["run", "-d", "--name", name, "busybox:oci", "sh", "-c", "\(Self.busyboxInode); exec sleep 1000"])
            XCTAssertEqual(r.code, 0, r.stderr)
        }
        XCTAssertTrue(eventually(20) { !self.logs("one").isEmpty && !self.logs("two").isEmpty })
        let lower = images + "/layers/sha256/\(image.chainIDs[0].dropFirst(7))/bin/busybox"
        XCTAssertEqual(logs("one"), try Self.inode(lower), "container one sees the lower layer's busybox")
        XCTAssertEqual(logs("two"), logs("one"), "one inode for both containers")

        // in use: refused, naming the containers (REST and nestctl)
        let refused = try client.request("DELETE", "/v1/images/busybox:oci")
        XCTAssertEqual(refused.status, 409, refused.text)
        let ids = try ["one", "two"].map { try info($0).id }
        for (name, id) in zip(["one", "two"], ids) { XCTAssertTrue(refused.text.contains("container \(name) (\(id))"), refused.text) }
        let rm = nestctl(["image", "rm", "busybox:oci"])
        XCTAssertEqual(rm.code, 1)
        XCTAssertTrue(rm.stderr.contains("is in use by container one (\(ids[0])), container two (\(ids[1]))"), rm.stderr)
        XCTAssertEqual(try get("/v1/images", as: [ImageInfo].self), [image], "nothing removed")
        XCTAssertEqual(nestctl(["image", "prune"]).code, 0)
        XCTAssertEqual(entries("layers/sha256").count, 3, "prune keeps an image's layers")

        XCTAssertEqual(nestctl(["rm", "-f", "one", "two"]).code, 0)
        let removed = nestctl(["image", "rm", "busybox:oci"])
        XCTAssertEqual(removed.code, 0, removed.stderr)
        XCTAssertEqual(removed.stdout, "Untagged: busybox:oci\nDeleted: \(image.id)\n")
        XCTAssertEqual(nestctl(["image", "prune"]).code, 0)
        XCTAssertEqual(entries("blobs/sha256"), [], "no blob is left")
        XCTAssertEqual(entries("layers/sha256"), [], "no layer dir is left")
        XCTAssertEqual(try get("/v1/images", as: [ImageInfo].self), [])
        XCTAssertEqual(try client.request("GET", "/v1/images/busybox:oci").status, 404)
    }

    /// The users of an image come from the containers' configs on disk: a
    /// restarted daemon refuses the same removal; with force the image
    /// goes and the layers the container uses stay until it is removed.
    func testForceKeepsTheLayersInUseAcrossARestart() throws {
        try makeBusyboxLayout(tmp + "/layout", config: ["Cmd": ["true"]])
        XCTAssertEqual(nestctl(["image", "import", "--name", "localhost:5000/team/busy:1", tmp + "/layout"]).code, 0)
        // a reference with '/' and ':' percent-encoded in the path
        let encoded = try get("/v1/images/localhost%3A5000%2Fteam%2Fbusy%3A1", as: ImageInfo.self)
        XCTAssertEqual(encoded.names, ["localhost:5000/team/busy:1"])
        XCTAssertEqual(nestctl(["create", "--name", "user", "localhost:5000/team/busy:1"]).code, 0)
        let id = try info("user").id

        stopDaemon()
        try startDaemon()
        let refused = try client.request("DELETE", "/v1/images/localhost%3A5000%2Fteam%2Fbusy%3A1")
        XCTAssertEqual(refused.status, 409, refused.text)
        XCTAssertTrue(refused.text.contains(id), refused.text)

        let forced = try client.request("DELETE", "/v1/images/localhost%3A5000%2Fteam%2Fbusy%3A1?force=true")
        XCTAssertEqual(forced.status, 200, forced.text)
        let report = try JSONDecoder().decode(ImageRemoveResponse.self, from: Data(forced.body))
        XCTAssertEqual(report.deleted, [encoded.id])
        XCTAssertEqual(report.layersRemoved, 0, "the container's layers stay")
        XCTAssertEqual(entries("layers/sha256").count, 3)
        let started = nestctl(["start", "user"])
        XCTAssertEqual(started.code, 0, "the container still runs from its layers: \(started.stderr)")

        XCTAssertEqual(nestctl(["rm", "-f", "user"]).code, 0)
        let pruned = try JSONDecoder().decode(ImageRemoveResponse.self, from: Data(try client.request("POST", "/v1/images/prune").body))
        XCTAssertEqual(pruned.layersRemoved, 3)
        XCTAssertEqual(entries("layers/sha256"), [])
        XCTAssertEqual(entries("blobs/sha256"), [])
    }

    func testBadImportsNameTheirFieldAndLeaveNothing() throws {
        func post(_ body: String) throws -> (Int, String) {
            let r = try client.request("POST", "/v1/images/import", body: Array(body.utf8))
            return (r.status, r.text)
        }
        for body in [#"{"path":"relative/dir"}"#, #"{"path":"/nonexistent/layout"}"#, #"{"path":"\#(tmp)"}"#, #"{"path":"/dev/zero"}"#, #"{"path":"/proc/kmsg"}"#] {
            let (status, text) = try post(body)
            XCTAssertEqual(status, 400, "\(body): \(text)")
            XCTAssertTrue(text.contains("\"field\":\"path\""), "\(body): \(text)")
        }
        let noPath = try post(#"{"name":"x"}"#)
        XCTAssertEqual(noPath.0, 400)
        XCTAssertTrue(noPath.1.contains("\"field\":\"path\""), noPath.1)
        try makeBusyboxLayout(tmp + "/layout", config: ["Cmd": ["true"]])
        let badName = try post(#"{"path":"\#(tmp)/layout","name":"has space"}"#)
        XCTAssertEqual(badName.0, 400)
        XCTAssertTrue(badName.1.contains("\"field\":\"name\""), badName.1)
        // a layer blob that does not match its digest
        let blobs = tmp + "/layout/blobs/sha256"
        let layer = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: blobs).first { name in
            ((try? FileManager.default.attributesOfItem(atPath: blobs + "/" + name)[.size] as? Int) ?? 0) > 100_000
        })
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: blobs + "/" + layer))
        try h.seek(toOffset: 10)
        h.write(Data("corrupt".utf8))
        try h.close()
        let corrupt = nestctl(["image", "import", "--name", "busy", tmp + "/layout"])
        XCTAssertEqual(corrupt.code, 1)
        XCTAssertTrue(corrupt.stderr.contains(layer), corrupt.stderr)
        XCTAssertEqual(try get("/v1/images", as: [ImageInfo].self), [])
        XCTAssertEqual(entries("layers/sha256"), [])
        XCTAssertEqual(entries("layers/tmp"), [])
        XCTAssertEqual(entries("blobs/tmp"), [])
        let missing = nestctl(["image", "rm", "nosuch"])
        XCTAssertEqual(missing.code, 1)
        XCTAssertTrue(missing.stderr.contains("no such image: nosuch"), missing.stderr)
    }

    /// In the container: the inode of /bin/busybox.
    static let busyboxInode = "busybox stat -c %i /bin/busybox"

    static func inode(_ path: String) throws -> String {
        var st = stat()
        guard stat(path, &st) == 0 else { throw Failure("stat \(path): \(String(cString: strerror(errno)))") }
        return "\(st.st_ino)\n"
    }

    /// A login nestd cannot check is not stored: the credentials file stays
    /// as it was (RegistryLoginTests checks accepted and refused logins
    /// against a registry).
    func testLoginThatCannotBeCheckedIsNotStored() throws {
        let auth = tmp + "/auth.json"
        let r = runCommand(["/bin/sh", "-c", "echo pw | \"$0\" login --insecure --auth-file \"$1\" -u u --password-stdin 127.0.0.1:1",
                            TestEnv.nestctl, auth], env: ["NEST_SOCKET": socketPath])
        XCTAssertNotEqual(r.code, 0, r.stdout)
        XCTAssertTrue(r.stderr.contains("cannot check the login with 127.0.0.1:1"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: auth), "a login that was not checked was stored")
        let bad = runCommand(["/bin/sh", "-c", "echo pw | \"$0\" login --auth-file \"$1\" -u u --password-stdin 10.0.0.1:5000 --insecure",
                              TestEnv.nestctl, auth], env: ["NEST_SOCKET": socketPath])
        XCTAssertNotEqual(bad.code, 0)
        XCTAssertTrue(bad.stderr.contains("--insecure"), bad.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: auth))
    }
}
