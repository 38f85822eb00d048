import Foundation
import XCTest
@testable import NestImage

final class GCTests: StoreTestCase {
    /// A pull's blobs are not yet named by any image: a prune between
    /// them and the pull's commit keeps them while the pull holds its pin,
    /// and takes them once it is released.
    func testPruneKeepsTheBlobsOfAPullInProgress() throws {
        let found = try store.blobs.ingest(bytes: Array("stored before the pull".utf8)).digest
        let sink = StoreBlobSink(store: store)
        XCTAssertTrue(sink.contains(digest: found))
        let writer = try sink.begin(digest: Digest.sha256(Array("written by the pull".utf8)), size: 19)
        try Array("written by the pull".utf8).withUnsafeBytes { try writer.write($0) }
        try writer.finish()
        XCTAssertEqual(try store.prune().blobsRemoved, 0)
        XCTAssertEqual(names("blobs/sha256").count, 2)
        sink.pin.release()
        XCTAssertEqual(try store.prune().blobsRemoved, 2)
        XCTAssertEqual(names("blobs/sha256"), [])
        XCTAssertEqual(names("pins"), [])
    }

    /// The pin of a pull that died (its file's lock is free) keeps nothing.
    func testPinOfADeadPullIsRemoved() throws {
        let blob = try store.blobs.ingest(bytes: Array("left by a dead pull".utf8)).digest
        try FileManager.default.createDirectory(atPath: dir + "/images/pins", withIntermediateDirectories: true)
        try (blob + "\n").write(toFile: dir + "/images/pins/dead", atomically: false, encoding: .utf8)
        XCTAssertEqual(try store.prune().blobsRemoved, 1)
        XCTAssertEqual(names("pins"), [])
    }

    /// Two images share a base layer; removing one keeps what the other uses.
    func testRemoveKeepsWhatAnotherImageUses() throws {
        let base = try layer([.file("base", "shared")])
        let a = try commit([base, try layer([.file("a", "only a")])], name: "a")
        let b = try commit([base, try layer([.file("b", "only b")])], name: "b")
        XCTAssertEqual(names("layers/sha256").count, 3)
        let r = try store.remove("a")
        XCTAssertEqual(r.deleted, [a.id])
        XCTAssertEqual(r.layersRemoved, 1)
        XCTAssertEqual(r.blobsRemoved, 3)   // manifest, config, top layer
        XCTAssertEqual(try store.layerDirs(b).count, 2)
        XCTAssertEqual(names("layers/sha256").sorted(), b.chainIDs.map { String($0.dropFirst(7)) }.sorted())
        assertThrows({ _ = try self.store.resolve("a") }, kind: .notFound, contains: "no such image: a")
        _ = try store.remove("b")
        XCTAssertEqual(names("layers/sha256"), [])
        XCTAssertEqual(names("blobs/sha256"), [])
    }

    func testRemovingOneOfTwoNamesOnlyUntags() throws {
        let img = try commit([try layer([.file("f", "x")])], name: "one")
        XCTAssertEqual(try store.commit(manifest: img.manifestDigest, config: img.id, name: "two:1").id, img.id)
        XCTAssertEqual(try store.resolve("one").names, ["one:latest", "two:1"])
        let r = try store.remove("two:1")
        XCTAssertEqual(r.untagged, ["two:1"])
        XCTAssertEqual(r.deleted, [])
        XCTAssertEqual(try store.resolve(String(img.id.dropFirst(7).prefix(12))).names, ["one:latest"])
    }

    /// An image a container was made from is not removed without force,
    /// and the error names the containers; with force the image goes but
    /// the container's layers stay until nothing uses them.
    func testLayersInUseAreNeverRemoved() throws {
        let img = try commit([try layer([.file("f", "x")]), try layer([.file("g", "y")])], name: "used")
        let use = [LayerUse(container: "web1", image: img.id, chainIDs: img.chainIDs),
                   LayerUse(container: "web2", image: img.id, chainIDs: img.chainIDs)]
        do {
            try store.remove("used", inUse: use)
            XCTFail("removed an image in use")
        } catch {
            XCTAssertEqual(error.kind, .conflict)
            XCTAssertEqual(error.containers, ["web1", "web2"])
            XCTAssertTrue(error.message.contains("web1, web2"), error.message)
        }
        XCTAssertEqual(try store.resolve("used"), img)
        let r = try store.remove("used", force: true, inUse: use)
        XCTAssertEqual(r.deleted, [img.id])
        XCTAssertEqual(r.layersRemoved, 0)
        XCTAssertEqual(names("layers/sha256").count, 2)
        // a prune with the containers still there keeps their layers
        XCTAssertEqual(try store.prune(inUse: use).layersRemoved, 0)
        XCTAssertEqual(names("layers/sha256").count, 2)
        // once they are gone, the layers go too: counted from disk, not memory
        let reopened = try ImageStore(root: store.root)
        XCTAssertEqual(try reopened.prune(inUse: []).layersRemoved, 2)
        XCTAssertEqual(names("layers/sha256"), [])
    }

    func testPruneRemovesUnnamedImagesAndLeftovers() throws {
        let named = try commit([try layer([.file("n", "1")])], name: "kept")
        let unnamed = try commit([try layer([.file("u", "2")])], name: nil)
        try FileManager.default.createDirectory(atPath: store.root + "/layers/tmp/half", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: store.root + "/blobs/tmp/half", contents: Data("x".utf8))
        let r = try store.prune()
        XCTAssertEqual(r.deleted, [unnamed.id])
        XCTAssertEqual(try store.list().map(\.id), [named.id])
        XCTAssertEqual(names("layers/tmp"), [])
        XCTAssertEqual(names("blobs/tmp"), [])
    }
}
