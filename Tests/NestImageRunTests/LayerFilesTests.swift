import Foundation
import Glibc
import NestImage
import NestRuntime
import XCTest

/// An image's /etc/passwd read through its layers, top first, as overlayfs
/// will show it: the top layer's copy wins, a whiteout or an opaque dir
/// hides the lower ones, no symlink is followed. Whiteouts and opaque dirs
/// need root (mknod, trusted.* xattrs); the rest runs as any user.
final class LayerFilesTests: XCTestCase {
    var tmp = ""

    override func setUpWithError() throws {
        var template = Array("/tmp/nest-layerfiles-XXXXXX".utf8CString)
        tmp = String(cString: try XCTUnwrap(mkdtemp(&template)))
    }

    override func tearDown() {
        if !tmp.isEmpty { try? FileManager.default.removeItem(atPath: tmp) }
    }

    func layer(_ name: String, _ files: [String: String] = [:]) throws -> String {
        let dir = tmp + "/" + name
        try FileManager.default.createDirectory(atPath: dir + "/etc", withIntermediateDirectories: true)
        for (path, text) in files { try text.write(toFile: dir + path, atomically: false, encoding: .utf8) }
        return dir
    }

    func users(_ spec: String, _ layers: [String]) throws -> ContainerUsers.Resolved {
        func file(_ p: String) -> ContainerUsers.File {
            switch LayerFiles.read(p, layers: layers) {
            case .bytes(let b): .bytes(b)
            case .missing: .missing
            case .refused(let why): .refused(why)
            }
        }
        return try ContainerUsers.resolve(spec, passwd: file("/etc/passwd"), group: file("/etc/group"))
    }

    func testTopLayerWinsAndLowerLayersFillIn() throws {
        let base = try layer("base", ["/etc/passwd": "root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n",
                                      "/etc/group": "app:x:1000:\nstaff:x:50:app\n"])
        let top = try layer("top", ["/etc/passwd": "root:x:0:0::/root:/bin/sh\napp:x:2000:2000::/srv:/bin/sh\n"])
        let r = try users("app", [top, base])
        XCTAssertEqual(r.uid, 2000, "the top layer's passwd")
        XCTAssertEqual(r.home, "/srv")
        XCTAssertEqual(r.additionalGids, [50], "the group file of the layer below")
        XCTAssertEqual(LayerFiles.read("/etc/shadow", layers: [top, base]), .missing)
    }

    func testSymlinksAreNotFollowed() throws {
        let l = try layer("links")
        symlink("/etc/hostname", l + "/etc/passwd")
        guard case .refused(let why) = LayerFiles.read("/etc/passwd", layers: [l]) else { return XCTFail("a symlink was read") }
        XCTAssertTrue(why.contains("symlink"), why)
        XCTAssertThrowsError(try users("app", [l])) { XCTAssertTrue("\($0)".contains("cannot read the container's /etc/passwd"), "\($0)") }
    }

    func testWhiteoutAndOpaqueDirHideLowerLayers() throws {
        guard geteuid() == 0 else { throw XCTSkip("whiteouts (0/0 devices) and opaque dirs (trusted.* xattrs) need root") }
        let base = try layer("base", ["/etc/passwd": "app:x:1000:1000::/home/app:/bin/sh\n"])
        let removed = try layer("removed")
        XCTAssertEqual(mknod(removed + "/etc/passwd", S_IFCHR | 0o600, 0), 0)
        XCTAssertEqual(LayerFiles.read("/etc/passwd", layers: [removed, base]), .missing)
        XCTAssertThrowsError(try users("app", [removed, base])) { XCTAssertTrue("\($0)".contains("no /etc/passwd"), "\($0)") }
        XCTAssertEqual(try users("1000", [removed, base]).uid, 1000, "a number needs no file")

        let opaque = try layer("opaque", ["/etc/group": "g:x:5:\n"])
        // the xattr as a layer's unpacker sets it (Swift's Glibc has no setxattr)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import os, sys; os.setxattr(sys.argv[1], 'trusted.overlay.opaque', b'y')", opaque + "/etc"]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        XCTAssertEqual(LayerFiles.read("/etc/passwd", layers: [opaque, base]), .missing, "an opaque /etc hides the lower passwd")
        XCTAssertEqual(LayerFiles.read("/etc/group", layers: [opaque, base]), .bytes(Array("g:x:5:\n".utf8)))

        let noEtc = try layer("no-etc")
        try FileManager.default.removeItem(atPath: noEtc + "/etc")
        XCTAssertEqual(mknod(noEtc + "/etc", S_IFCHR | 0o600, 0), 0)
        XCTAssertEqual(LayerFiles.read("/etc/passwd", layers: [noEtc, base]), .missing, "a whiteout of /etc hides all below it")
        XCTAssertEqual(try users("app", [base]).uid, 1000)
    }
}
