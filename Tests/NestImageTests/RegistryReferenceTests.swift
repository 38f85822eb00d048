import Foundation
import NestAPI
@testable import NestImage
import XCTest

/// What needs no registry: references, challenges, platforms, credentials,
/// the insecure rule and the directory sink's refusals.
final class RegistryReferenceTests: XCTestCase {
    func ref(_ s: String) throws -> RegistryReference { try RegistryReference(parsing: s) }

    func testDockerHubDefaults() throws {
        let r = try ref("busybox")
        XCTAssertEqual(r.registry, "docker.io")
        XCTAssertEqual(r.apiHost, "registry-1.docker.io")
        XCTAssertEqual(r.repository, "library/busybox")
        XCTAssertEqual(r.manifestReference, "latest")
        XCTAssertEqual(r.familiarName, "busybox:latest")
        XCTAssertEqual(try ref("busybox:1.36").manifestReference, "1.36")
        XCTAssertEqual(try ref("someone/tool:2").repository, "someone/tool")
        XCTAssertEqual(try ref("docker.io/library/busybox:1").familiarName, "busybox:1")
    }

    func testRegistryHostsAndPorts() throws {
        let r = try ref("localhost:5000/x/y:tag")
        XCTAssertEqual(r.registry, "localhost:5000")
        XCTAssertEqual(r.repository, "x/y")
        XCTAssertEqual(r.tag, "tag")
        XCTAssertTrue(r.isLoopback)
        XCTAssertEqual(r.familiarName, "localhost:5000/x/y:tag")
        XCTAssertEqual(try ref("127.0.0.1:5000/y").manifestReference, "latest")
        XCTAssertEqual(try ref("[::1]:5000/y:t").hostName, "::1")
        XCTAssertTrue(try ref("[::1]:5000/y:t").isLoopback)
        XCTAssertFalse(try ref("quay.io/a/b").isLoopback)
        XCTAssertEqual(try ref("quay.io/a/b").apiHost, "quay.io")
    }

    func testDigestReferences() throws {
        let d = "sha256:" + String(repeating: "ab", count: 32)
        let r = try ref("busybox@\(d)")
        XCTAssertEqual(r.digest, d)
        XCTAssertNil(r.tag)
        XCTAssertEqual(r.manifestReference, d)
        XCTAssertEqual(try ref("localhost:5000/b:1@\(d)").manifestReference, d)
    }

    func testBadReferencesNameTheReferenceAndThePart() {
        for (text, part) in [("", "empty"), ("Busybox", "\"Busybox\""), ("busybox:", "tag \"\""),
                             ("a//b", "empty path component"), ("busybox@sha256:12", "digest \"sha256:12\""),
                             ("bad host:5000/x", "white space"), ("localhost:99999/x", "registry \"localhost:99999\""),
                             ("busybox:-x", "tag \"-x\"")] {
            XCTAssertThrowsError(try ref(text), text) { e in
                XCTAssertTrue("\(e)".contains("image reference \"\(text)\""), "\(e)")
                XCTAssertTrue("\(e)".contains(part), "\(e) does not name \(part)")
            }
        }
    }

    func testHostPlatformNames() {
        XCTAssertEqual(HostPlatform.fromMachine("x86_64").description, "linux/amd64")
        XCTAssertEqual(HostPlatform.fromMachine("aarch64").description, "linux/arm64/v8")
        XCTAssertEqual(HostPlatform.fromMachine("armv7l").description, "linux/arm/v7")
        XCTAssertEqual(HostPlatform.fromMachine("i686").description, "linux/386")
    }

    func testInsecureIsForLoopbackOnlyUnlessTheRegistryIsNamed() async throws {
        var o = RegistryOptions()
        o.insecure = true
        let sink = StoreBlobSink(store: try ImageStore(root: try makeTempDir("nest-sink")))
        defer { try? FileManager.default.removeItem(atPath: sink.store.root) }
        do {
            _ = try await RegistryPuller(options: o).pull(try ref("registry.example:5000/x:1"), into: sink)
            XCTFail("plain HTTP to a non-loopback registry was allowed")
        } catch {
            XCTAssertTrue("\(error)".contains("registry.example:5000"), "\(error)")
            XCTAssertTrue("\(error)".contains("only to localhost"), "\(error)")
        }
    }

    func testCredentialsFileIsPrivateAndRoundTrips() throws {
        let dir = try makeTempDir("nest-auth")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/sub/auth.json"
        var c = try RegistryCredentials.load(path: path)
        XCTAssertEqual(c, RegistryCredentials())
        c.set(registry: "localhost:5000", username: "nest", password: "s3cret:with colon")
        c.set(registry: "index.docker.io", username: "hub", password: "pw")
        try c.save(path: path)
        var st = stat()
        XCTAssertEqual(stat(path, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o600)
        let back = try RegistryCredentials.load(path: path)
        XCTAssertEqual(back.username(for: "localhost:5000"), "nest")
        XCTAssertEqual(back.basic(for: "localhost:5000"), "Basic " + Data("nest:s3cret:with colon".utf8).base64EncodedString())
        XCTAssertEqual(back.username(for: "docker.io"), "hub")
        var gone = back
        XCTAssertTrue(gone.remove(registry: "localhost:5000"))
        XCTAssertFalse(gone.remove(registry: "localhost:5000"))
        XCTAssertNil(gone.basic(for: "localhost:5000"))
        try "{not json".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try RegistryCredentials.load(path: path)) { XCTAssertTrue("\($0)".contains(path)) }
    }

    func testTheStoreSinkRefusesWrongBytesAndLeavesNothing() throws {
        let dir = try makeTempDir("nest-sink")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sink = StoreBlobSink(store: try ImageStore(root: dir))
        let data = Array("hello".utf8)
        let good = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        let wrong = "sha256:" + String(repeating: "0", count: 64)
        // Wrong digest, too many bytes, too few bytes: each refused naming the digest, nothing kept.
        for (digest, size, bytes) in [(wrong, 5, data), (good, 4, data), (good, 6, data)] {
            let w = try sink.begin(digest: digest, size: Int64(size))
            XCTAssertThrowsError(try data.withUnsafeBytes { try w.write($0); _ = bytes; try w.finish() }) {
                XCTAssertTrue("\($0)".contains(digest), "\($0)")
            }
            w.abort()
            XCTAssertFalse(sink.contains(digest: digest))
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir + "/blobs/tmp"), [])
        let w = try sink.begin(digest: good, size: 5)
        try data.withUnsafeBytes { try w.write($0) }
        try w.finish()
        XCTAssertTrue(sink.contains(digest: good))
        XCTAssertThrowsError(try sink.begin(digest: "sha256:zz", size: 1)) { XCTAssertTrue("\($0)".contains("sha256:zz")) }
    }
}

final class RegistryChallengeTests: XCTestCase {
    func testBearerChallengeParameters() throws {
        let c = try XCTUnwrap(RegistryChallenge(header: #"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push""#))
        XCTAssertEqual(c.scheme, "bearer")
        XCTAssertEqual(c.parameters, ["realm": "https://auth.example/token", "service": "registry.example", "scope": "repository:a/b:pull,push"])
        XCTAssertEqual(RegistryChallenge(header: #"Basic realm="x \"y\"""#)?.parameters["realm"], #"x "y""#)
        XCTAssertEqual(RegistryChallenge(header: "Basic")?.scheme, "basic")
        XCTAssertNil(RegistryChallenge(header: "  "))
    }
}
