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
        let rows = table.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(rows.count, 2, "ps without -a: running only")
        let columns = try XCTUnwrap(rows.first).split(separator: "   ").map { $0.trimmingCharacters(in: .whitespaces) }
        XCTAssertEqual(columns, ["ID", "NAME", "COMMAND", "CREATED", "STATUS", "PID"])
        let cells = rows[1].split(separator: "   ").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        XCTAssertEqual(Array(cells.prefix(3)), [a, "alpha", "\"sleep 1000\""])
        // short times, as people read them; the test takes well under a minute
        XCTAssertTrue(cells[3] == "Less than a second ago" || cells[3].hasSuffix(" seconds ago") || cells[3] == "1 second ago", cells[3])
        XCTAssertTrue(cells[4].hasPrefix("Up "), cells[4])
        XCTAssertEqual(cells[5], String(try info(a).pid))
        XCTAssertEqual(nestctl(["ps", "-a"]).stdout.split(separator: "\n").count, 3)
        XCTAssertTrue(nestctl(["ps", "-a"]).stdout.contains("   Created   "))

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

    func testPsTemplatesQuietAndTruncation() throws {
        let long = try makeBundle("long", ["sh", "-c", "sleep 1000; echo a command longer than twenty"])
        let id = try createContainer(long, name: "long")
        let done = try createContainer(try makeBundle("done", ["sh", "-c", "exit 3"]), name: "done")
        XCTAssertEqual(nestctl(["wait", done]).stdout, "3\n")

        XCTAssertEqual(nestctl(["ps", "-q"]).stdout, id + "\n")
        XCTAssertEqual(nestctl(["ps", "-a", "--quiet"]).stdout, id + "\n" + done + "\n")

        let t = nestctl(["ps", "--format", "{{.ID}} {{.Name}} {{.State}}"])
        XCTAssertEqual(t.code, 0, t.stderr)
        XCTAssertEqual(t.stdout, "\(id) long running\n")
        // \t between fields, and the whitespace inside braces is allowed
        XCTAssertEqual(nestctl(["ps", "-a", "--format", "{{ .Name }}\\t{{.ExitCode}}"]).stdout, "long\t\ndone\t3\n")

        // docker's width: 19 characters and an ellipsis, in quotes
        XCTAssertEqual(nestctl(["ps", "--format", "{{.Command}}"]).stdout, "\"sh -c sleep 1000; e…\"\n")
        XCTAssertEqual(nestctl(["ps", "--no-trunc", "--format", "{{.Command}}"]).stdout,
                       "\"sh -c sleep 1000; echo a command longer than twenty\"\n")

        let status = nestctl(["ps", "-a", "--filter", "state=stopped", "--format", "{{.Status}}"]).stdout
        XCTAssertTrue(status.hasPrefix("Exited (3) ") && status.hasSuffix(" ago\n"), status)

        let table = nestctl(["ps", "-a", "--format", "table {{.Name}}\\t{{.State}}\\t{{.ExitCode}}"]).stdout
        XCTAssertEqual(table.split(separator: "\n", omittingEmptySubsequences: false),
                       ["NAME   STATE     EXIT CODE", "long   running   ", "done   stopped   3", ""])

        let bad = nestctl(["ps", "--format", "{{.Image}}"])
        XCTAssertEqual(bad.code, 2)
        XCTAssertTrue(bad.stderr.contains("unknown field .Image"), bad.stderr)
        XCTAssertEqual(nestctl(["ps", "--format", "{{.ID"]).code, 2)
    }

    func testErrorsAndExitCodes() throws {
        let missing = nestctl(["ps"], env: ["NEST_SOCKET": tmp + "/nosuch.sock"])
        XCTAssertEqual(missing.code, 1)
        XCTAssertTrue(missing.stderr.contains("is nestd running? start it with: sudo systemctl start nestd.socket (or sudo nestd)"), missing.stderr)
        XCTAssertTrue(missing.stderr.contains(tmp + "/nosuch.sock"), missing.stderr)

        // --version needs no daemon; `version` says nestctl's before it fails
        let version = nestctl(["--version"], env: ["NEST_SOCKET": tmp + "/nosuch.sock"])
        XCTAssertEqual(version.code, 0, version.stderr)
        XCTAssertEqual(version.stdout, "nestctl \(nestVersion)\n")
        let both = nestctl(["version"], env: ["NEST_SOCKET": tmp + "/nosuch.sock"])
        XCTAssertEqual(both.code, 1)
        XCTAssertEqual(both.stdout, "nestctl \(nestVersion)\n")
        XCTAssertEqual(nestctl(["version"]).stdout, "nestctl \(nestVersion)\nnestd   \(nestVersion) (API v1)\n")

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
