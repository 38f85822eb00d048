import Foundation
import Glibc
import NestAPI
import XCTest

/// nestd under systemd: socket activation, readiness notification, the
/// unit files and the installer.
final class SystemdTests: DaemonTestCase {
    override var startsDaemon: Bool { false }

    func testSocketActivationServesVersion() throws {
        let activate = "/usr/bin/systemd-socket-activate"
        guard access(activate, X_OK) == 0 else { throw XCTSkip("needs systemd-socket-activate") }
        let unused = tmp + "/unused.sock"
        let d = try startDaemon(command: [activate, "-l", socketPath, TestEnv.nestd, "--socket", unused,
                                          "--root", root, "--data", data])
        let v = try get("/v1/version", as: VersionInfo.self)
        XCTAssertEqual(v.name, "nestd")
        XCTAssertEqual(v.apiVersion, "v1")
        XCTAssertFalse(FileManager.default.fileExists(atPath: unused), "--socket is ignored under socket activation")
        XCTAssertTrue(d.stderr.contains("socket=\"fd 3\"") || d.stderr.contains("socket=fd 3"), d.stderr)
        XCTAssertEqual(curl("GET", "/v1/info").0, 200)
    }

    func testNotifiesReadyAndStopping() throws {
        let (fd, path) = try notifySocket()
        defer { close(fd) }
        try startDaemon(env: ["NOTIFY_SOCKET": path], waitReady: false)
        XCTAssertEqual(receive(fd, timeout: 15), "READY=1")
        // ready means serving
        XCTAssertEqual(try get("/v1/version", as: VersionInfo.self).name, "nestd")
        XCTAssertEqual(stopDaemon(), 0)
        XCTAssertEqual(receive(fd, timeout: 5), "STOPPING=1")
    }

    /// systemd may stop the service the moment it is ready: that SIGTERM
    /// must neither kill nestd nor be lost.
    func testSIGTERMRightAfterReadyStopsCleanly() throws {
        let (fd, path) = try notifySocket()
        defer { close(fd) }
        for i in 0..<5 {
            let d = try startDaemon(env: ["NOTIFY_SOCKET": path], waitReady: false)
            XCTAssertEqual(receive(fd, timeout: 15), "READY=1")
            kill(d.pid, SIGTERM)
            guard eventually(5, { !d.isRunning }) else {
                XCTFail("round \(i): the SIGTERM was lost; nestd still runs")
                return   // tearDown stops it
            }
            XCTAssertEqual(d.exitCode, 0, "round \(i): \(d.stderr)")
            XCTAssertEqual(receive(fd, timeout: 5), "STOPPING=1")
            _ = stopDaemon()
        }
    }

    /// A unix datagram socket bound in the test directory, for NOTIFY_SOCKET.
    func notifySocket() throws -> (Int32, String) {
        let path = tmp + "/notify.sock"
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket: \(String(cString: strerror(errno)))") }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in for (i, b) in path.utf8.enumerated() { raw[i] = b } }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { close(fd); throw Failure("bind \(path): \(String(cString: strerror(errno)))") }
        return (fd, path)
    }

    func receive(_ fd: Int32, timeout: Int32) -> String? {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, timeout * 1000) == 1 else { return nil }
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n < 0 ? nil : String(decoding: buf[..<n], as: UTF8.self)
    }

    func testUnitFilesVerify() throws {
        let analyze = "/usr/bin/systemd-analyze"
        guard access(analyze, X_OK) == 0 else { throw XCTSkip("needs systemd-analyze") }
        let service = try String(contentsOfFile: TestEnv.repo + "/config/nestd.service", encoding: .utf8)
        let socketUnit = try String(contentsOfFile: TestEnv.repo + "/config/nestd.socket", encoding: .utf8)
        for line in ["Type=notify", "KillMode=process", "ExecStart=/usr/local/bin/nestd"] {
            XCTAssertTrue(service.split(separator: "\n").contains { $0 == line }, "nestd.service has \(line)")
        }
        for line in ["ListenStream=/run/nest/nestd.sock", "SocketMode=0660", "SocketGroup=nest"] {
            XCTAssertTrue(socketUnit.split(separator: "\n").contains { $0 == line }, "nestd.socket has \(line)")
        }
        // verify a copy whose ExecStart names the built nestd
        let dir = tmp + "/units"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try service.replacingOccurrences(of: "ExecStart=/usr/local/bin/nestd", with: "ExecStart=" + TestEnv.nestd)
            .write(toFile: dir + "/nestd.service", atomically: true, encoding: .utf8)
        try socketUnit.write(toFile: dir + "/nestd.socket", atomically: true, encoding: .utf8)
        let r = runCommand([analyze, "verify", dir + "/nestd.service", dir + "/nestd.socket"])
        XCTAssertEqual(r.code, 0, r.stdout + r.stderr)
        XCTAssertEqual(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines), "", "no warnings")
    }

    func testInstallIntoDestdir() throws {
        for (prefix, bin) in [("/opt/nest", "opt/nest"), (nil, "usr/local")] {
            let dest = tmp + "/dest-" + bin.replacingOccurrences(of: "/", with: "-")
            let r = runCommand([TestEnv.repo + "/scripts/install.sh", "--from", TestEnv.bin] + (prefix.map { ["--prefix", $0] } ?? []),
                               env: ["DESTDIR": dest])
            XCTAssertEqual(r.code, 0, r.stdout + r.stderr)
            for f in ["\(bin)/bin/nestd", "\(bin)/bin/nestctl", "\(bin)/bin/nest",
                      "\(bin)/libexec/nest/nest-monitor", "\(bin)/libexec/nest/nest-init"] {
                XCTAssertEqual(mode(dest + "/" + f), 0o755, f)
            }
            for f in ["etc/systemd/system/nestd.service", "etc/systemd/system/nestd.socket"] {
                XCTAssertEqual(mode(dest + "/" + f), 0o644, f)
            }
            let unit = try String(contentsOfFile: dest + "/etc/systemd/system/nestd.service", encoding: .utf8)
            XCTAssertTrue(unit.contains("\nExecStart=/\(bin)/bin/nestd\n"), unit)
            if prefix != nil { XCTAssertTrue(unit.contains("\nEnvironment=NEST_LIBEXEC=/\(bin)/libexec/nest\n"), unit) }
            let installed = runCommand([dest + "/\(bin)/bin/nestctl", "--help"])
            XCTAssertEqual(installed.code, 0, installed.stderr)
            try checkManPagesAndCompletions(dest, man: bin + "/share/man/man1")
        }
        XCTAssertEqual(runCommand([TestEnv.repo + "/scripts/install.sh", "--bogus"]).code, 2)

        // the installed nestd runs a container with the installed helpers
        let prefix = tmp + "/dest-opt-nest/opt/nest"
        try startDaemon(env: ["NEST_LIBEXEC": prefix + "/libexec/nest"],
                        command: [prefix + "/bin/nestd", "--socket", socketPath, "--root", root, "--data", data])
        let bundle = try makeBundle("b", ["sh", "-c", "echo installed"])
        let r = runCommand([prefix + "/bin/nestctl", "run", "--rm", bundle], env: ["NEST_SOCKET": socketPath])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(r.stdout, "installed\n")
        XCTAssertTrue(processes(containing: prefix + "/bin/nestd").count == 1)
    }

    /// The man pages (one per command) and the completion scripts the
    /// installer put under `dest`, and that they work.
    func checkManPagesAndCompletions(_ dest: String, man: String) throws {
        for page in ["nestctl.1", "nestctl.run.1", "nestctl.ps.1", "nestd.1", "nest.1", "nest.create.1"] {
            XCTAssertEqual(mode(dest + "/" + man + "/" + page), 0o644, page)
        }
        let rendered = runCommand(["/usr/bin/man", "-l", dest + "/" + man + "/nestctl.ps.1"], env: ["MANWIDTH": "100"])
        XCTAssertEqual(rendered.code, 0, rendered.stderr)
        XCTAssertTrue(rendered.stdout.contains("nestctl ps"), rendered.stdout)
        XCTAssertTrue(rendered.stdout.contains("--no-trunc"), rendered.stdout)

        let share = dest + "/usr/share"
        for tool in ["nestctl", "nest"] {
            for f in ["bash-completion/completions/\(tool)", "zsh/vendor-completions/_\(tool)", "fish/vendor_completions.d/\(tool).fish"] {
                XCTAssertEqual(mode(share + "/" + f), 0o644, f)
            }
            let zsh = try String(contentsOfFile: share + "/zsh/vendor-completions/_\(tool)", encoding: .utf8)
            XCTAssertTrue(zsh.hasPrefix("#compdef \(tool)\n"), String(zsh.prefix(40)))
            let fish = try String(contentsOfFile: share + "/fish/vendor_completions.d/\(tool).fish", encoding: .utf8)
            XCTAssertTrue(fish.contains("complete -c '\(tool)' "), tool)
        }
        // bash completes nestctl's subcommands from the installed script
        let script = share + "/bash-completion/completions/nestctl"
        let bash = runCommand(["/bin/bash", "-c", """
            source \(script); COMP_WORDS=(nestctl wa); COMP_CWORD=1; COMP_LINE="nestctl wa"; COMP_POINT=10
            _nestctl nestctl wa nestctl; echo "${COMPREPLY[@]}"
            """])
        XCTAssertEqual(bash.stdout, "wait\n", bash.stderr)
    }

    func mode(_ path: String) -> mode_t? {
        var st = stat()
        return stat(path, &st) == 0 ? st.st_mode & 0o7777 : nil
    }
}
