import Foundation
import XCTest
@testable import NestImage

/// Imports of an OCI layout, an OCI archive and a `docker save` archive of
/// one busybox image of three layers, the last with a whiteout.
final class ImportTests: StoreTestCase {
    struct Built { var layers: [(path: String, diffID: String, mediaType: String)]; var config: [UInt8] }

    func busyboxImage() throws -> Built {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/bin/busybox"), "needs busybox-static")
        var bb = TarTool.Entry(name: "bin/busybox", mode: 0o755)
        bb.from = "/bin/busybox"
        let l0 = try layer([.dir("bin"), bb, .symlink("bin/sh", "busybox"), .symlink("bin/cat", "busybox"),
                            .dir("etc"), .file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"), .dir("tmp", mode: 0o1777)],
                           compress: "gzip")
        let l1 = try layer([.dir("etc"), .file("etc/hello", "hello from a layer\n"), .dir("tmp"), .file("tmp/remove-me", "x")])
        let l2 = try layer([.dir("tmp"), .file("tmp/.wh.remove-me", "")], compress: "gzip")
        var p = ImageConfig.Process()
        p.cmd = ["cat", "/etc/hello"]
        p.env = ["PATH=/bin"]
        let cfg = ImageConfig(config: p, rootfs: .init(diffIDs: [l0, l1, l2].map(\.diffID)), architecture: "amd64", os: "linux")
        return Built(layers: [l0, l1, l2], config: Array(try JSONEncoder().encode(cfg)))
    }

    func hex(_ path: String) throws -> String { String(Digest.sha256(try Data(contentsOf: URL(fileURLWithPath: path))).dropFirst(7)) }

    func ociLayout(_ b: Built, at dir: String, refName: String) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir + "/blobs/sha256", withIntermediateDirectories: true)
        try Data(#"{"imageLayoutVersion":"1.0.0"}"#.utf8).write(to: URL(fileURLWithPath: dir + "/oci-layout"))
        var descs: [Descriptor] = []
        for l in b.layers {
            let h = try hex(l.path)
            try fm.copyItem(atPath: l.path, toPath: dir + "/blobs/sha256/" + h)
            descs.append(Descriptor(mediaType: l.mediaType, digest: "sha256:" + h, size: Int64(try Data(contentsOf: URL(fileURLWithPath: l.path)).count)))
        }
        let c = Digest.sha256(b.config)
        try Data(b.config).write(to: URL(fileURLWithPath: dir + "/blobs/sha256/" + c.dropFirst(7)))
        let m = Array(try JSONEncoder().encode(Manifest(mediaType: MediaType.ociManifest,
            config: Descriptor(mediaType: MediaType.ociConfig, digest: c, size: Int64(b.config.count)), layers: descs)))
        let md = Digest.sha256(m)
        try Data(m).write(to: URL(fileURLWithPath: dir + "/blobs/sha256/" + md.dropFirst(7)))
        let index = Index(manifests: [Descriptor(mediaType: MediaType.ociManifest, digest: md, size: Int64(m.count),
                                                 annotations: [ImageStore.refNameKey: refName],
                                                 platform: Platform(architecture: "amd64", os: "linux"))])
        try JSONEncoder().encode(index).write(to: URL(fileURLWithPath: dir + "/index.json"))
    }

    /// The image as `docker save` writes it: uncompressed layer tars.
    func dockerSave(_ b: Built, to archive: String) throws {
        let dir = self.dir + "/save"
        let fm = FileManager.default
        var layers: [String] = []
        for l in b.layers {
            let h = String(l.diffID.dropFirst(7))
            try fm.createDirectory(atPath: dir + "/" + h, withIntermediateDirectories: true)
            let data = try Data(contentsOf: URL(fileURLWithPath: l.path))
            let plain = l.mediaType == MediaType.ociLayerGzip ? try gunzip(l.path) : data
            try plain.write(to: URL(fileURLWithPath: dir + "/" + h + "/layer.tar"))
            layers.append(h + "/layer.tar")
        }
        let c = String(Digest.sha256(b.config).dropFirst(7))
        try Data(b.config).write(to: URL(fileURLWithPath: dir + "/" + c + ".json"))
        let manifest: [[String: Any]] = [["Config": c + ".json", "RepoTags": ["busybox:saved"], "Layers": layers]]
        try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: dir + "/manifest.json"))
        try TarTool.sh(["tar", "-C", dir, "-cf", archive, "."])
    }

    func gunzip(_ path: String) throws -> Data {
        try TarTool.sh(["sh", "-c", "gzip -dc < '\(path)' > '\(path).plain'"])
        return try Data(contentsOf: URL(fileURLWithPath: path + ".plain"))
    }

    func checkImported(_ img: ImageRecord, _ b: Built, name: String) throws {
        XCTAssertEqual(try store.resolve(name), img)
        XCTAssertEqual(img.chainIDs, ChainID.chain(b.layers.map(\.diffID)))
        let dirs = try store.layerDirs(img)
        XCTAssertEqual(dirs.count, 3)
        XCTAssertEqual(try store.config(img).config?.cmd, ["cat", "/etc/hello"])
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: dirs[0] + "/bin/busybox"))
        XCTAssertEqual(try String(contentsOfFile: dirs[1] + "/etc/hello", encoding: .utf8), "hello from a layer\n")
        if getuid() == 0 {
            XCTAssertEqual(lstatOf(dirs[2] + "/tmp/remove-me").map { $0.st_mode & S_IFMT }, S_IFCHR)
        }
    }

    func testImportAnOCILayoutDirectory() throws {
        let b = try busyboxImage()
        try ociLayout(b, at: dir + "/layout", refName: "busybox:oci")
        let imgs = try store.importArchive(dir + "/layout")
        XCTAssertEqual(imgs.map(\.names), [["busybox:oci"]])
        try checkImported(imgs[0], b, name: "busybox:oci")
        // again, under another name: the same image, nothing unpacked twice
        let again = try store.importArchive(dir + "/layout", name: "mine")
        XCTAssertEqual(again[0].id, imgs[0].id)
        XCTAssertEqual(names("layers/sha256").count, 3)
        XCTAssertEqual(try store.resolve("mine").names, ["busybox:oci", "mine:latest"])
    }

    func testImportAnOCIArchive() throws {
        let b = try busyboxImage()
        try ociLayout(b, at: dir + "/layout", refName: "busybox:archived")
        try TarTool.sh(["tar", "-C", dir + "/layout", "-cf", dir + "/oci.tar", "."])
        let imgs = try store.importArchive(dir + "/oci.tar")
        try checkImported(imgs[0], b, name: "busybox:archived")
    }

    func testImportADockerSaveArchive() throws {
        let b = try busyboxImage()
        try dockerSave(b, to: dir + "/saved.tar")
        let imgs = try store.importArchive(dir + "/saved.tar")
        XCTAssertEqual(imgs.map(\.names), [["busybox:saved"]])
        try checkImported(imgs[0], b, name: "busybox:saved")
    }

    func testImportOfSomethingElseIsRefusedAndLeavesNothing() throws {
        try TarTool.write(dir + "/other.tar", [.file("readme", "not an image")])
        assertThrows({ _ = try self.store.importArchive(self.dir + "/other.tar") }, kind: .invalid, contains: "neither an OCI archive")
        XCTAssertEqual(names("blobs/sha256"), [])
        assertThrows({ _ = try self.store.importArchive(self.dir) }, kind: .invalid, contains: "without oci-layout")
    }
}
