import Foundation
import Glibc
import NestAPI
import NestClient
import XCTest

/// `nestctl exec -u` and `nestctl run -u` with names: the container's
/// /etc/passwd and /etc/group, never the host's.
final class ExecUserTests: DaemonTestCase {
    static let passwd = """
        root:x:0:0:root:/root:/bin/sh
        nobody:x:65534:65534:nobody:/nonexistent:/bin/false
        app:x:1000:1000:App:/home/app:/bin/sh
        www-data:x:33:33:www-data:/var/www:/bin/false
        www:x:80:81:web:/srv/www:/bin/sh

        """
    static let group = """
        root:x:0:
        staff:x:50:app,www
        users:x:100:nobody,app
        web:x:81:www-data
        nogroup:x:65534:

        """

    /// A running busybox container whose /etc has the users above.
    func container(_ name: String, jq: String? = nil) throws -> (id: String, bundle: String) {
        let bundle = try makeBundle(name, ["sleep", "1000"], jq: jq)
        try Self.passwd.write(toFile: bundle + "/rootfs/etc/passwd", atomically: false, encoding: .utf8)
        try Self.group.write(toFile: bundle + "/rootfs/etc/group", atomically: false, encoding: .utf8)
        return (try createContainer(bundle, name: name), bundle)
    }

    /// `id -un; id -u; id -g; id -G; echo $HOME` in the container as `user`.
    func whoami(_ id: String, _ user: String, env: [String] = []) -> RunResult {
        nestctl(["exec", "-u", user] + env.flatMap { ["-e", $0] } + [id, "sh", "-c", "id -un; id -u; id -g; id -G; echo $HOME"])
    }

    func testNamesAreLookedUpInTheContainer() throws {
        let (id, _) = try container("names")
        let app = whoami(id, "app")
        XCTAssertEqual(app.code, 0, app.stderr)
        XCTAssertEqual(app.stdout, "app\n1000\n1000\n1000 50 100\n/home/app\n", "its groups from the container's /etc/group, HOME from its passwd")
        // a name that is a prefix of another is itself only
        XCTAssertEqual(whoami(id, "www").stdout, "www\n80\n81\n81 50\n/srv/www\n")
        XCTAssertEqual(whoami(id, "www-data").stdout, "www-data\n33\n33\n33 81\n/var/www\n")
        XCTAssertEqual(whoami(id, "nobody").stdout, "nobody\n65534\n65534\n65534 100\n/nonexistent\n")
        // an explicit group: that GID and no supplementary groups, as docker has it
        XCTAssertEqual(whoami(id, "app:staff").stdout, "app\n1000\n50\n50\n/home/app\n")
        XCTAssertEqual(whoami(id, "1000:staff").stdout, "app\n1000\n50\n50\n/home/app\n")
        XCTAssertEqual(whoami(id, "app:7").stdout, "app\n1000\n7\n7\n/home/app\n")
        // a number found in passwd is that user; one that is not needs no entry
        XCTAssertEqual(whoami(id, "1000").stdout, "app\n1000\n1000\n1000 50 100\n/home/app\n")
        let unknown = whoami(id, "4242:4343")
        XCTAssertEqual(unknown.code, 0, unknown.stderr)
        XCTAssertEqual(unknown.stdout.split(separator: "\n").dropFirst().map(String.init), ["4242", "4343", "4343", "/"],
                       "(id -un fails for a UID of no name); the container has no HOME: /")
        // HOME given with -e is kept
        XCTAssertEqual(whoami(id, "app", env: ["HOME=/mine"]).stdout, "app\n1000\n1000\n1000 50 100\n/mine\n")

        // the API takes the same
        let body = try JSONEncoder().encode(ExecBody(args: ["id", "-G"], user: "www"))
        guard case .upgraded(let stream) = try client.openStream("POST", "/v1/containers/\(id)/exec", body: Array(body)) else {
            return XCTFail("exec was refused")
        }
        var out = ""
        while let f = try stream.next(), f.type != StreamFrame.exit { out += String(decoding: f.payload, as: UTF8.self) }
        XCTAssertEqual(out, "81 50\n")
    }

    func testAnUnknownNameIsAClearErrorAndStartsNothing() throws {
        let (id, _) = try container("unknown")
        let procs = try cgroupProcs(id)
        let pid = try XCTUnwrap(daemon?.pid)
        let before = children(of: pid)
        let user = nestctl(["exec", "-u", "nosuch", id, "true"])
        XCTAssertEqual(user.code, 1)
        XCTAssertEqual(user.stderr, "nestctl: --user: no user nosuch in the container's /etc/passwd\n")
        let group = nestctl(["exec", "-u", "app:nosuch", id, "true"])
        XCTAssertEqual(group.code, 1)
        XCTAssertEqual(group.stderr, "nestctl: --user: no group nosuch in the container's /etc/group\n")
        let malformed = nestctl(["exec", "-u", "app:", id, "true"])
        XCTAssertEqual(malformed.code, 1)
        XCTAssertEqual(malformed.stderr, "nestctl: --user: must be USER or USER:GROUP (a name or a number each), got \"app:\"\n")
        guard case .refused(let refused) = try client.openStream("POST", "/v1/containers/\(id)/exec",
                                                                  body: Array(#"{"args":["true"],"user":"nosuch"}"#.utf8)) else {
            return XCTFail("an unknown user was streamed")
        }
        XCTAssertEqual(refused.status, 400)
        let error = try XCTUnwrap(json(refused.text) as? [String: Any])
        XCTAssertEqual(error["field"] as? String, "user")
        XCTAssertEqual(error["error"] as? String, "no user nosuch in the container's /etc/passwd")

        XCTAssertEqual(try cgroupProcs(id), procs, "no process was started in the container")
        XCTAssertEqual(children(of: pid), before, "nestd has no new child")
        let stateDir = root + "/" + id
        XCTAssertNil(try FileManager.default.contentsOfDirectory(atPath: stateDir).first { $0.hasPrefix("exec-") }, "no exec plan is left")
    }

    /// The container's /etc/passwd is a link to a host file with a marker
    /// user: by an absolute path, by dot-dots, through /proc/PID/root (PID:
    /// this test, whose root is the host's) and /proc/self/root. The
    /// container shares the host's PID namespace, so that its /proc/PID is
    /// this test and its /proc/self nestd: a lookup that followed those
    /// links would find the marker.
    func testLinksToHostFilesAreNeverFollowedOut() throws {
        let marker = tmp + "/host-shadow"
        try "marker:x:4242:4242::/marker-home:/bin/sh\n".write(toFile: marker, atomically: false, encoding: .utf8)
        let (id, bundle) = try container("links", jq: #".linux.namespaces |= map(select(.type != "pid"))"#)
        let check = nestctl(["exec", id, "test", "-d", "/proc/\(getpid())"])
        XCTAssertEqual(check.code, 0, "the container's /proc has the host's processes: " + check.stderr)

        let passwd = bundle + "/rootfs/etc/passwd"
        let cases: [(String, String)] = [
            (marker, "no user marker: the container has no /etc/passwd"),
            ("../../../../../../../../.." + marker, "no user marker: the container has no /etc/passwd"),
            ("/proc/\(getpid())/root" + marker, "no user marker: cannot read the container's /etc/passwd: a symlink loop, or a /proc link out of the container"),
            ("/proc/self/root" + marker, "no user marker: cannot read the container's /etc/passwd: a symlink loop, or a /proc link out of the container"),
            ("/proc/self/environ", "no user marker: cannot read the container's /etc/passwd: a file of /proc or /sys"),
        ]
        for (target, message) in cases {
            unlink(passwd)
            XCTAssertEqual(symlink(target, passwd), 0)
            let r = nestctl(["exec", "-u", "marker", id, "id", "-u"])
            XCTAssertEqual(r.code, 1, target)
            XCTAssertEqual(r.stderr, "nestctl: --user: \(message)\n", target)
            // a number needs no file: it works whatever the file is
            let n = nestctl(["exec", "-u", "4242", id, "sh", "-c", "id -u; echo $HOME"])
            XCTAssertEqual(n.code, 0, n.stderr)
            XCTAssertEqual(n.stdout, "4242\n/\n", "\(target): the marker's home was not found")
        }
        // a link inside the container is followed there
        unlink(passwd)
        try Self.passwd.write(toFile: bundle + "/rootfs/etc/passwd.real", atomically: false, encoding: .utf8)
        XCTAssertEqual(symlink("/etc/passwd.real", passwd), 0)
        XCTAssertEqual(whoami(id, "app").stdout, "app\n1000\n1000\n1000 50 100\n/home/app\n")
        // a FIFO is not opened (nothing waits for a writer)
        unlink(passwd)
        XCTAssertEqual(mkfifo(passwd, 0o644), 0)
        let fifo = nestctl(["exec", "-u", "app", id, "true"])
        XCTAssertEqual(fifo.stderr, "nestctl: --user: no user app: cannot read the container's /etc/passwd: a FIFO; it must be a regular file\n")
    }

    func testRunAsAUserName() throws {
        let bundle = try makeBundle("run", ["sh", "-c", "id -u; id -g; id -G; echo $HOME"])
        try Self.passwd.write(toFile: bundle + "/rootfs/etc/passwd", atomically: false, encoding: .utf8)
        try Self.group.write(toFile: bundle + "/rootfs/etc/group", atomically: false, encoding: .utf8)
        let r = nestctl(["run", "--rm", "-u", "app", bundle])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(r.stdout, "1000\n1000\n1000 50 100\n/home/app\n")
        let g = nestctl(["run", "--rm", "--user", "www:staff", bundle])
        XCTAssertEqual(g.stdout, "80\n50\n50\n/srv/www\n", g.stderr)

        let unknown = nestctl(["run", "--rm", "-u", "nosuch", bundle])
        XCTAssertEqual(unknown.code, 1)
        XCTAssertEqual(unknown.stderr, "nestctl: --user: no user nosuch in the container's /etc/passwd\n")
        let created = nestctl(["create", "-u", "nosuch", bundle])
        XCTAssertEqual(created.code, 1)
        XCTAssertEqual(created.stderr, "nestctl: --user: no user nosuch in the container's /etc/passwd\n")
        XCTAssertEqual(try get("/v1/containers", as: [ContainerInfo].self).count, 0, "no container is left")
        XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: root))?.filter { !$0.hasPrefix(".") } ?? [], [],
                       "no runtime state is left")
    }

    // MARK: helpers

    func cgroupProcs(_ id: String) throws -> [String] {
        let dir = try XCTUnwrap(cgroupDirs(id).first { FileManager.default.fileExists(atPath: $0 + "/cgroup.procs") })
        return try String(contentsOfFile: dir + "/cgroup.procs", encoding: .utf8).split(separator: "\n").map(String.init).sorted()
    }

    func children(of pid: Int32) -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { entry in
            guard let p = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(p)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return nil }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == pid ? p : nil
        }
    }
}
