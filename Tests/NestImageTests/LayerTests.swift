import Foundation
import XCTest
@testable import NestImage
import CArchive

final class LayerTests: StoreTestCase {
    func testUnpackKeepsTypesModesOwnersTimesAndXattrs() throws {
        try requireRoot()
        var suid = TarTool.Entry.file("bin/tool", "#!/bin/sh\n", mode: 0o4755)
        suid.uid = 1000; suid.gid = 1001; suid.mtime = 1_234_567_890
        suid.xattrs = ["user.note": "hello"]
        var dev = TarTool.Entry(name: "dev/null", type: "char", mode: 0o666, major: 1, minor: 3)
        dev.uid = 0
        let l = try layer([
            .dir("bin"), suid,
            .symlink("bin/link", "tool"),
            .hardlink("bin/hard", "bin/tool"),
            .dir("dev"), dev,
            TarTool.Entry(name: "dev/fifo", type: "fifo", mode: 0o600),
            .dir("secret", mode: 0o700, mtime: 1_000_000_000),
            .file("secret/x", "x"),
        ], compress: "gzip")
        let img = try commit([l], name: "rich")
        let top = try store.layerDirs(img)[0]
        let tool = try XCTUnwrap(lstatOf(top + "/bin/tool"))
        XCTAssertEqual(tool.st_mode & 0o7777, 0o4755)
        XCTAssertEqual(tool.st_uid, 1000)
        XCTAssertEqual(tool.st_gid, 1001)
        XCTAssertEqual(tool.st_mtim.tv_sec, 1_234_567_890)
        XCTAssertEqual(xattr(top + "/bin/tool", "user.note"), "hello")
        XCTAssertEqual(try String(contentsOfFile: top + "/bin/tool", encoding: .utf8), "#!/bin/sh\n")
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: top + "/bin/link"), "tool")
        XCTAssertEqual(lstatOf(top + "/bin/hard")?.st_ino, tool.st_ino)
        let null = try XCTUnwrap(lstatOf(top + "/dev/null"))
        XCTAssertEqual(null.st_mode & S_IFMT, S_IFCHR)
        XCTAssertEqual(null.st_rdev, nest_image_makedev(1, 3))
        XCTAssertEqual(lstatOf(top + "/dev/fifo").map { $0.st_mode & S_IFMT }, S_IFIFO)
        let secret = try XCTUnwrap(lstatOf(top + "/secret"))
        XCTAssertEqual(secret.st_mode & 0o7777, 0o700)
        XCTAssertEqual(secret.st_mtim.tv_sec, 1_000_000_000)
        // the finished layer's top is read-only
        XCTAssertEqual(lstatOf(top).map { $0.st_mode & 0o777 }, 0o555)
        XCTAssertEqual(names("layers/tmp"), [])
    }

    func testWhiteoutsBecomeOverlayWhiteoutsAndOpaqueDirs() throws {
        try requireRoot()
        let base = try layer([.dir("etc"), .file("etc/gone", "1"), .dir("opt"), .file("opt/old", "2")])
        let upper = try layer([.dir("etc"), .file("etc/.wh.gone", ""), .dir("opt"), .file("opt/.wh..wh..opq", ""), .file("opt/new", "3")],
                              compress: "zstd")
        let img = try commit([base, upper], name: "wh")
        let dirs = try store.layerDirs(img)
        XCTAssertEqual(dirs.count, 2)
        let w = try XCTUnwrap(lstatOf(dirs[1] + "/etc/gone"))
        XCTAssertEqual(w.st_mode & S_IFMT, S_IFCHR)
        XCTAssertEqual(w.st_rdev, 0)
        XCTAssertNil(lstatOf(dirs[1] + "/etc/.wh.gone"))
        XCTAssertEqual(xattr(dirs[1] + "/opt", "trusted.overlay.opaque"), "y")
        XCTAssertNil(lstatOf(dirs[1] + "/opt/.wh..wh..opq"))
        XCTAssertNotNil(lstatOf(dirs[1] + "/opt/new"))
        XCTAssertEqual(img.chainIDs, ChainID.chain([base.diffID, upper.diffID]))
        XCTAssertEqual(dirs[1], store.root + "/layers/sha256/" + img.chainIDs[1].dropFirst(7))
    }

    func testGzipZstdAndPlainLayersOfOneTarAreOneLayer() throws {
        let entries: [TarTool.Entry] = [.dir("a"), .file("a/b", "same")]
        let plain = try layer(entries), gz = try layer(entries, compress: "gzip"), zst = try layer(entries, compress: "zstd")
        XCTAssertEqual(plain.diffID, gz.diffID)
        _ = try commit([plain], name: "plain")
        _ = try commit([gz], name: "gz")
        let z = try commit([zst], name: "zst")
        XCTAssertEqual(names("layers/sha256"), [String(z.chainIDs[0].dropFirst(7))])
    }

    /// Each hostile layer is refused naming its entry, and nothing of it is
    /// left: no layer dir, no temp dir, no image record.
    func testHostileEntriesAreRefusedNamingTheEntry() throws {
        let cases: [(String, [TarTool.Entry])] = [
            ("../x", [.file("../x", "escape")]),
            ("/etc/x", [.file("/etc/x", "absolute")]),
            ("a/x", [.symlink("a", "/"), .file("a/x", "through a symlink")]),
            ("a/b/x", [.dir("a"), .symlink("a/b", "../../.."), .file("a/b/x", "deeper")]),
            ("evil", [.hardlink("evil", "../../etc/passwd")]),
            ("evil2", [.hardlink("evil2", "/etc/passwd")]),
            ("l/y", [.symlink("l", "/etc"), .hardlink("l/y", "z")]),
        ]
        for (entry, entries) in cases {
            let base = try layer([.file("ok", "fine")])
            let l = try layer(entries)
            assertThrows({ _ = try self.commit([base, l], name: "hostile") }, kind: .invalid, contains: "entry \"\(entry)\"")
            XCTAssertEqual(names("layers/sha256"), [], entry)
            XCTAssertEqual(names("layers/tmp"), [], entry)
            XCTAssertEqual(try store.list(), [], entry)
        }
        XCTAssertNil(lstatOf("/x"))
        XCTAssertNil(lstatOf("/etc/x"))
        XCTAssertNil(lstatOf("/x" + "/through a symlink"))
    }

    func testADiffIDMismatchIsRefused() throws {
        let l = try layer([.file("f", "content")])
        let wrong = "sha256:" + String(repeating: "1", count: 64)
        let (m, c) = try ingestImage([l], diffIDs: [wrong])
        assertThrows({ try self.store.commit(manifest: m, config: c, name: "bad") }, kind: .corrupt, contains: "diff ID mismatch", wrong, l.diffID)
        XCTAssertEqual(names("layers/sha256"), [])
        XCTAssertEqual(names("layers/tmp"), [])
    }

    func testATruncatedLayerIsRefusedAndTheStoreKeepsWorking() throws {
        let l = try layer([.file("big", String(repeating: "data ", count: 20000))], compress: "gzip")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: l.path))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: l.path))
        let (m, c) = try ingestImage([l])
        assertThrows({ try self.store.commit(manifest: m, config: c, name: "cut") }, kind: .invalid, contains: "truncated")
        XCTAssertEqual(names("layers/sha256"), [])
        XCTAssertEqual(names("layers/tmp"), [])
        let good = try commit([try layer([.file("f", "fine")])], name: "good")
        XCTAssertEqual(try store.resolve("good"), good)
    }

    func testAManifestNamingAMissingBlobIsRefused() throws {
        let l = try layer([.file("f", "x")])
        let (m, c) = try ingestImage([l])
        let layerDigest = Digest.sha256(try Data(contentsOf: URL(fileURLWithPath: l.path)))
        try store.blobs.remove(layerDigest)
        assertThrows({ try self.store.commit(manifest: m, config: c, name: "missing") }, kind: .notFound, contains: layerDigest, "not in the store")
        XCTAssertEqual(try store.list(), [])
    }
}
