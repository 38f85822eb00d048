import Foundation
import Glibc
import NestAPI
import XCTest

final class AccessTests: DaemonTestCase {
    func testSocketModeIs0660ByDefault() throws {
        var st = stat()
        XCTAssertEqual(stat(socketPath, &st), 0)
        XCTAssertEqual(st.st_mode & 0o170000, S_IFSOCK)
        XCTAssertEqual(st.st_mode & 0o7777, 0o660)
        XCTAssertEqual(st.st_uid, 0)
        if let g = getgrnam("nest") { XCTAssertEqual(st.st_gid, g.pointee.gr_gid, "group nest owns the socket") }
    }

    func testPeerNeitherRootNorInGroupIsRefused() throws {
        // a member of the group nest would be let in; uid 65534 must not be one
        if let g = getgrnam("nest"), let pw = getpwuid(65534) {
            XCTAssertNotEqual(pw.pointee.pw_gid, g.pointee.gr_gid, "test precondition: nobody is not in group nest")
        }
        XCTAssertEqual(chmod(socketPath, 0o666), 0)
        let (status, body) = curl("GET", "/v1/version", asUser: true)
        XCTAssertEqual(status, 403, body)
        XCTAssertTrue((json(body) as? [String: Any])?["error"] as? String != nil, body)
        XCTAssertTrue(body.contains("uid 65534"), body)
        XCTAssertEqual(curl("POST", "/v1/containers", body: #"{"bundle":"/x"}"#, asUser: true).0, 403)
        let d = try XCTUnwrap(daemon)
        XCTAssertTrue(eventually(2) { d.stderr.contains("refused connection") && d.stderr.contains("uid=65534") }, d.stderr)
        // root still gets in
        XCTAssertEqual(curl("GET", "/v1/version").0, 200)
    }
}

/// An invalid bundle is refused with 400 naming the field, and nothing is made.
final class BundleValidationTests: DaemonTestCase {
    func testMissingArgsIsRefusedAndNothingIsCreated() throws {
        let bundle = try makeBundle("noargs", ["true"], jq: "del(.process.args)")
        try assertRefused(bundle, field: "process.args")
    }

    func testRelativeMountDestinationIsRefusedAndNothingIsCreated() throws {
        let bundle = try makeBundle("relmount", ["true"], jq: #".mounts += [{"destination":"data","type":"tmpfs","source":"tmpfs"}]"#)
        try assertRefused(bundle, field: "mounts[7].destination")
    }

    func testASetupStepTheKernelRefusesNamesItsErrno() throws {
        // The monitor's error record reaches the client as a body a program
        // can branch on: the step, the path and the errno by name.
        let nodev = try makeBundle("nodev", ["true"], jq: #".mounts += [{"destination":"/tmp","type":"nosuchfs","source":"none"}]"#)
        var r = try request("POST", "/v1/containers", body: CreateRequest(name: "nodev", bundle: nodev))
        XCTAssertEqual(r.status, 400, "a file system type this host lacks is the request's fault: \(r.text)")
        var e = try JSONDecoder().decode(ErrorBody.self, from: Data(r.body))
        XCTAssertEqual(e.errno, "ENODEV", r.text)
        XCTAssertEqual(e.step, "mount", r.text)
        XCTAssertEqual(e.path, "/tmp", r.text)
        XCTAssertTrue(e.error.hasPrefix("mount /tmp: "), r.text)
        let missing = try makeBundle("nosrc", ["true"], jq: #".mounts += [{"destination":"/data","type":"bind","source":"/nonexistent-nest-src","options":["bind"]}]"#)
        r = try request("POST", "/v1/containers", body: CreateRequest(name: "nosrc", bundle: missing))
        XCTAssertEqual(r.status, 400, r.text)
        e = try JSONDecoder().decode(ErrorBody.self, from: Data(r.body))
        XCTAssertEqual(e.errno, "ENOENT", r.text)
        XCTAssertEqual(e.path, "/nonexistent-nest-src", r.text)
    }

    func assertRefused(_ bundle: String, field: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try request("POST", "/v1/containers", body: CreateRequest(name: "bad", bundle: bundle))
        XCTAssertEqual(r.status, 400, r.text, file: file, line: line)
        let e = try JSONDecoder().decode(ErrorBody.self, from: Data(r.body))
        XCTAssertEqual(e.field, field, r.text, file: file, line: line)
        XCTAssertTrue(e.errors?.contains { $0.field == field } == true, r.text, file: file, line: line)
        // through nestctl: exit 1 and the field named, once
        let c = nestctl(["create", "--name", "bad2", bundle])
        XCTAssertEqual(c.code, 1, file: file, line: line)
        XCTAssertTrue(c.stderr.hasPrefix("nestctl: \(field): "), c.stderr, file: file, line: line)
        XCTAssertFalse(c.stderr.contains("(field"), c.stderr, file: file, line: line)
        // nothing was made
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root).filter { !$0.hasPrefix(".") }, [],
                       "no state dir", file: file, line: line)
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: data + "/containers")) ?? [], [],
                       "no record", file: file, line: line)
        XCTAssertEqual(try get("/v1/containers", as: [ContainerInfo].self).count, 0, file: file, line: line)
        let ps = nestctl(["ps", "-a", "--format", "json"])
        XCTAssertEqual(ps.code, 0, ps.stderr, file: file, line: line)
        XCTAssertEqual((json(ps.stdout) as? [Any])?.count, 0, ps.stdout, file: file, line: line)
    }
}
