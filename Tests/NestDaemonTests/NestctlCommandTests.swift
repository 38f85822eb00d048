import Foundation
import NestAPI
import XCTest

/// nestctl's own behaviour: run --rm, ps, errors and exit codes, translate.
final class NestctlCommandTests: DaemonTestCase {
    func testRunRemovePrintsOutputAndExitsWithStatus() throws {
        let bundle = try makeBundle("b", ["sh", "-c", "echo hi; echo warn >&2; exit 7"])
        let r = nestctl(["run", "--rm", bundle])
        XCTAssertEqual(r.code, 7, r.stderr)
        XCTAssertEqual(r.stdout, "hi\n")
        XCTAssertEqual(r.stderr, "warn\n")
        XCTAssertEqual(try get("/v1/containers", as: [ContainerInfo].self).count, 0, "--rm removed it")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root).filter { !$0.hasPrefix(".") }, [])

        // without --rm the stopped container stays, with its exit code
        let kept = nestctl(["run", "--name", "kept", bundle])
        XCTAssertEqual(kept.code, 7)
        XCTAssertEqual(try info("kept").exitCode, 7)
        XCTAssertEqual(try info("kept").state, "stopped")

        let d = nestctl(["run", "-d", "--name", "bg", try makeBundle("s", ["sleep", "1000"])])
        XCTAssertEqual(d.code, 0, d.stderr)
        XCTAssertEqual(try info(d.stdout.trimmingCharacters(in: .whitespacesAndNewlines)).state, "running")
    }

    func testPsTableAndJSON() throws {
        let bundle = try makeBundle("b", ["sleep", "1000"])
        let a = try createContainer(bundle, name: "alpha")
        let b = try createContainer(bundle, name: "beta", start: false)

        let table = nestctl(["ps"])
        XCTAssertEqual(table.code, 0, table.stderr)
        let rows = table.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        XCTAssertEqual(rows.first.map { $0.map(String.init) }, ["ID", "NAME", "STATE", "PID", "CREATED", "COMMAND"])
        XCTAssertEqual(rows.count, 2, "ps without -a: running only")
        XCTAssertEqual(rows.last?.prefix(3).map(String.init), [a, "alpha", "running"])
        XCTAssertEqual(rows.last?.suffix(2).map(String.init), ["sleep", "1000"])
        XCTAssertEqual(nestctl(["ps", "-a"]).stdout.split(separator: "\n").count, 3)

        let r = nestctl(["ps", "-a", "--format", "json"])
        XCTAssertEqual(r.code, 0, r.stderr)
        let fromCtl = try JSONDecoder().decode([ContainerInfo].self, from: Data(r.stdout.utf8))
        let fromAPI = try get("/v1/containers", as: [ContainerInfo].self)
        XCTAssertEqual(fromCtl, fromAPI)
        XCTAssertEqual(fromCtl.map(\.id), [a, b])
        let created = try JSONDecoder().decode([ContainerInfo].self,
                                               from: Data(nestctl(["ps", "--filter", "state=created", "--format", "json"]).stdout.utf8))
        XCTAssertEqual(created.map(\.id), [b])
    }

    func testErrorsAndExitCodes() throws {
        let missing = nestctl(["ps"], env: ["NEST_SOCKET": tmp + "/nosuch.sock"])
        XCTAssertEqual(missing.code, 1)
        XCTAssertTrue(missing.stderr.contains("start it with: sudo nestd"), missing.stderr)
        XCTAssertTrue(missing.stderr.contains(tmp + "/nosuch.sock"), missing.stderr)

        XCTAssertEqual(nestctl(["ps", "--bogus"]).code, 2)
        XCTAssertEqual(nestctl(["nosuchcommand"]).code, 2)
        XCTAssertEqual(nestctl(["start"]).code, 2, "a missing argument is a usage error")
        XCTAssertEqual(nestctl(["ps", "--filter", "color=red"]).code, 2)
        XCTAssertEqual(nestctl(["run", "--label", "novalue", "/x"]).code, 2)
        XCTAssertEqual(nestctl(["--help"]).code, 0)
        XCTAssertEqual(nestctl(["start", "nosuch"]).code, 1)
    }

    func testTranslate() throws {
        let bundle = try makeBundle("b", ["sh", "-c", "echo hi"])
        let xml = nestctl(["translate", bundle])
        XCTAssertEqual(xml.code, 0, xml.stderr)
        XCTAssertTrue(xml.stdout.hasPrefix("<?xml"), xml.stdout)
        let js = nestctl(["translate", "--format", "json", bundle])
        XCTAssertEqual(js.code, 0, js.stderr)
        XCTAssertNotNil((json(js.stdout) as? [String: Any])?["starts"], js.stdout)

        // the unchanged config passes the check
        let good = tmp + "/good.xml"
        try xml.stdout.write(toFile: good, atomically: true, encoding: .utf8)
        let ok = nestctl(["translate", "--check", good])
        XCTAssertEqual(ok.code, 0, ok.stderr)

        // init loses its route to the file system
        var edited = xml.stdout
        let initStart = try XCTUnwrap(edited.range(of: "<start name=\"init\""))
        let route = try XCTUnwrap(edited.range(of: "<service name=\"File_system\" label=\"/\">", range: initStart.upperBound..<edited.endIndex))
        let end = try XCTUnwrap(edited.range(of: "</service>", range: route.upperBound..<edited.endIndex))
        edited.removeSubrange(route.lowerBound..<end.upperBound)
        let bad = tmp + "/bad.xml"
        try edited.write(toFile: bad, atomically: true, encoding: .utf8)
        let r = nestctl(["translate", "--check", bad])
        XCTAssertEqual(r.code, 1)
        XCTAssertTrue(r.stderr.contains("subsystem/start[init]/route"), r.stderr)
        XCTAssertEqual(nestctl(["translate", "--format", "table", bundle]).code, 2)
    }
}
