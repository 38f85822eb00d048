import Foundation
import XCTest
@testable import NestImage

final class BlobStoreTests: StoreTestCase {
    func testIngestStoresTheBlobUnderItsDigest() throws {
        let bytes = Array("hello blob".utf8)
        let digest = Digest.sha256(bytes)
        let d = try store.blobs.ingest(bytes: bytes, digest: digest)
        XCTAssertEqual(d.digest, digest)
        XCTAssertEqual(d.size, Int64(bytes.count))
        XCTAssertEqual(try store.blobs.read(digest), bytes)
        XCTAssertEqual(names("blobs/tmp"), [])
    }

    func testADigestMismatchLeavesNoBlob() {
        let wrong = "sha256:" + String(repeating: "0", count: 64)
        assertThrows({ try self.store.blobs.ingest(bytes: Array("x".utf8), digest: wrong) },
                     kind: .corrupt, contains: wrong, "digest mismatch", Digest.sha256(Array("x".utf8)))
        XCTAssertEqual(names("blobs/sha256"), [])
        XCTAssertEqual(names("blobs/tmp"), [])
    }

    func testATruncatedBlobLeavesNoBlob() throws {
        let bytes = Array("only part of it".utf8)
        let digest = Digest.sha256(bytes + Array(" and the rest".utf8))
        var sent = false
        assertThrows({
            try self.store.blobs.ingest(digest: digest, size: 28) { (b) throws(ImageError) -> Int in
                if sent { return 0 }
                sent = true
                b.copyBytes(from: bytes)
                return bytes.count
            }
        }, kind: .corrupt, contains: digest, "expected 28 bytes, got 15")
        XCTAssertEqual(names("blobs/sha256"), [])
        XCTAssertEqual(names("blobs/tmp"), [])
    }

    func testOnlySha256DigestsAreAccepted() {
        assertThrows({ try self.store.blobs.ingest(bytes: [1], digest: "sha512:abcd") }, kind: .invalid, contains: "sha512:abcd", "only sha256")
        assertThrows({ _ = try self.store.blobs.path("sha256:../../etc/passwd") }, kind: .invalid, contains: "64 lower-case hex")
    }

    func testChainIDsFollowTheImageSpec() {
        let a = "sha256:" + String(repeating: "a", count: 64)
        let b = "sha256:" + String(repeating: "b", count: 64)
        let c = "sha256:" + String(repeating: "c", count: 64)
        // computed independently: sha256 of "A B" (python hashlib)
        XCTAssertEqual(ChainID.chain([a, b, c]), [
            a,
            "sha256:ccd722928bd92476ba1745586fed6e45a102504185ad88cd89e01ff116fd146c",
            "sha256:c1377126441fb2f5ec2c21ae2a60255331d639e830f0ee1b40a36e52d4c40588",
        ])
    }
}
