import Crypto
import Foundation
import NestAPI
import NestImage
import XCTest

/// Pulls from a real registry (and stand-ins in front of it) into a
/// image store, checking what lands on disk.
final class RegistryPullTests: XCTestCase {
    var sinkDir = ""

    override func setUpWithError() throws {
        sinkDir = try makeTempDir("nest-sink")
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: sinkDir)
    }

    override class func tearDown() { RegistryFixture.stopShared() }

    func options(_ configure: (inout RegistryOptions) -> Void = { _ in }) -> RegistryOptions {
        var o = RegistryOptions()
        o.insecure = true
        configure(&o)
        return o
    }

    func pull(_ ref: String, _ o: RegistryOptions, progress: @escaping @Sendable (PullProgress) -> Void = { _ in }) async throws -> PulledImage {
        try await RegistryPuller(options: o).pull(RegistryReference(parsing: ref), into: StoreBlobSink(store: ImageStore(root: sinkDir)), progress: progress)
    }

    func tempFiles() -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: sinkDir + "/blobs/tmp")) ?? [] }
    func storedBlobs() -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: sinkDir + "/blobs/sha256")) ?? [] }

    func expectFailure(_ ref: String, _ o: RegistryOptions, containing parts: [String],
                       file: StaticString = #filePath, line: UInt = #line) async {
        do {
            let image = try await pull(ref, o)
            XCTFail("pull of \(ref) succeeded: \(image)", file: file, line: line)
        } catch {
            let text = "\(error)"
            for p in parts { XCTAssertTrue(text.contains(p), "error \"\(text)\" does not name \(p)", file: file, line: line) }
        }
        XCTAssertEqual(tempFiles(), [], "a partial blob was left in the sink's temp", file: file, line: line)
        XCTAssertEqual((try? ImageStore(root: sinkDir).list())?.count ?? 0, 0, "an image was recorded", file: file, line: line)
    }

    func testPullStoresEveryBlobVerifiedAndReportsProgressPerLayer() async throws {
        let f = try RegistryFixture.get()
        let events = EventLog()
        let image = try await pull("\(f.host)/test/busybox:v1", options(), progress: { events.add($0) })
        XCTAssertEqual(image.name, "\(f.host)/test/busybox:v1")
        XCTAssertEqual(image.layers.count, 3)
        // Every blob the pushed layout holds (config, layers, manifest) is stored, under the hash of its bytes.
        XCTAssertEqual(Set(storedBlobs().map { "sha256:" + $0 }), Set(f.layoutDigests("single")))
        for name in storedBlobs() {
            let data = try Data(contentsOf: URL(fileURLWithPath: sinkDir + "/blobs/sha256/" + name))
            XCTAssertEqual(SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined(), name)
        }
        XCTAssertEqual(tempFiles(), [])
        // The store has it by name, its layers unpacked once each.
        let store = try ImageStore(root: sinkDir)
        let record = try store.resolve(image.name)
        XCTAssertEqual(record.manifestDigest, image.manifestDigest)
        XCTAssertEqual(try store.layerDirs(record).count, 3)
        for layer in image.layers {
            let mine = events.all.filter { $0.layer == layer }
            XCTAssertFalse(mine.isEmpty, "no progress for \(layer)")
            XCTAssertEqual(mine.last?.done, mine.last?.total, "last progress of \(layer) is not complete")
            XCTAssertEqual(mine.map(\.done), mine.map(\.done).sorted(), "progress of \(layer) went backwards")
        }
        // A second pull fetches no layer again.
        let again = EventLog()
        let second = try await pull("\(f.host)/test/busybox:v1", options(), progress: { again.add($0) })
        XCTAssertEqual(second, image)
        XCTAssertEqual(again.all.count, 3)
        XCTAssertTrue(again.all.allSatisfy { $0.cached == true })
    }

    func testPullByDigest() async throws {
        let f = try RegistryFixture.get()
        let first = try await pull("\(f.host)/test/busybox:v1", options())
        let byDigest = try await pull("\(f.host)/test/busybox@\(first.manifestDigest)", options())
        XCTAssertEqual(byDigest.id, first.id)
    }

    func testManifestListResolvesToTheRequestedPlatform() async throws {
        let f = try RegistryFixture.get()
        let host = try await pull("\(f.host)/test/multi:v1", options())
        let other = HostPlatform.current.architecture == "arm64"
            ? HostPlatform(os: "linux", architecture: "amd64", variant: nil)
            : HostPlatform(os: "linux", architecture: "arm64", variant: "v8")
        let foreign = try await pull("\(f.host)/test/multi:v1", options { $0.platform = other })
        XCTAssertNotEqual(host.id, foreign.id)
        for (image, arch) in [(host, HostPlatform.current.architecture), (foreign, other.architecture)] {
            let config = try Data(contentsOf: URL(fileURLWithPath: sinkDir + "/blobs/sha256/" + image.id.dropFirst(7)))
            let json = try XCTUnwrap(JSONSerialization.jsonObject(with: config) as? [String: Any])
            XCTAssertEqual(json["architecture"] as? String, arch)
        }
    }

    func testIndexWithoutTheHostPlatformNamesWhatItHas() async throws {
        let f = try RegistryFixture.get()
        await expectFailure("\(f.host)/test/multi:v1", options { $0.platform = HostPlatform(os: "linux", architecture: "s390x", variant: nil) },
                            containing: ["linux/s390x", "linux/arm64", "test/multi:v1"])
    }

    func testMissingTagIsAnErrorNamingTheURL() async throws {
        let f = try RegistryFixture.get()
        await expectFailure("\(f.host)/test/busybox:nope", options(),
                            containing: ["http://\(f.host)/v2/test/busybox/manifests/nope", "404", "MANIFEST_UNKNOWN"])
    }

    func testBearerChallengeGetsATokenWithTheLogin() async throws {
        let f = try RegistryFixture.get()
        let standin = try f.standin("bearer")
        var credentials = RegistryCredentials()
        credentials.set(registry: standin, username: "nest", password: "secret")
        let image = try await pull("\(standin)/test/busybox:v1", options { $0.credentials = credentials })
        XCTAssertEqual(image.layers.count, 3)
        let log = f.standinLog(standin)
        XCTAssertTrue(log.contains("GET /token"), log)
        XCTAssertTrue(log.contains("/blobs/\(image.layers[0]) Bearer"), "blobs were not fetched with the token:\n\(log)")
    }

    func testBearerTokenRefusedWithoutLogin() async throws {
        let f = try RegistryFixture.get()
        let standin = try f.standin("bearer")
        await expectFailure("\(standin)/test/busybox:v1", options(), containing: ["http://\(standin)/token", "401", "token"])
    }

    func testRegistryAnswering500IsAnErrorWithStatusAndURL() async throws {
        let f = try RegistryFixture.get()
        let standin = try f.standin("status500")
        await expectFailure("\(standin)/test/busybox:v1", options(),
                            containing: ["500", "http://\(standin)/v2/test/busybox/manifests/v1", "stand-in failure"])
    }

    func testHangingRegistryFailsOnTheReadTimeout() async throws {
        let f = try RegistryFixture.get()
        let standin = try f.standin("hang")
        await expectFailure("\(standin)/test/busybox:v1", options { $0.readTimeout = .seconds(2) },
                            containing: ["read timeout", "http://\(standin)/v2/test/busybox/manifests/v1"])
    }

    func testCorruptBlobIsRefusedAndLeavesNothing() async throws {
        let f = try RegistryFixture.get()
        let standin = try f.standin("corrupt")
        await expectFailure("\(standin)/test/busybox:v1", options(), containing: ["digest mismatch", "/blobs/sha256:"])
        let manifest = try await pull("\(f.host)/test/busybox:v1", options())
        // Only blobs that verified may be stored: no corrupt layer under its name.
        for name in storedBlobs() {
            let data = try Data(contentsOf: URL(fileURLWithPath: sinkDir + "/blobs/sha256/" + name))
            XCTAssertEqual(SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined(), name)
        }
        XCTAssertEqual(manifest.layers.count, 3, "the sink keeps working after a refused blob")
    }

    func testBlobRedirectsAreFollowed() async throws {
        let f = try RegistryFixture.get()
        let standin = try f.standin("redirect")
        let image = try await pull("\(standin)/test/busybox:v1", options())
        XCTAssertEqual(image.layers.count, 3)
        XCTAssertTrue(f.standinLog(standin).contains("/blobs/\(image.layers[0])"))
    }

    func testEventStreamEndsWithTheImage() async throws {
        let f = try RegistryFixture.get()
        var last: PullEvent?
        var progress = 0
        for try await e in RegistryPuller(options: options()).events(try RegistryReference(parsing: "\(f.host)/test/busybox:v1"),
                                                                     into: StoreBlobSink(store: try ImageStore(root: sinkDir))) {
            if case .progress = e { progress += 1 }
            last = e
        }
        guard case .image(let image)? = last else { return XCTFail("the stream did not end with the image: \(String(describing: last))") }
        XCTAssertEqual(image.layers.count, 3)
        XCTAssertGreaterThanOrEqual(progress, 3)
    }
}

final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [PullProgress] = []
    func add(_ e: PullProgress) { lock.lock(); events.append(e); lock.unlock() }
    var all: [PullProgress] { lock.lock(); defer { lock.unlock() }; return events }
}
