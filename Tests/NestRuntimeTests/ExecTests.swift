import Foundation
import Glibc
import NestOCI
import XCTest
@testable import NestRuntime

/// `nest exec` and `Runtime.exec`: a process started in a running
/// container, as engines start theirs (podman exec and healthchecks, ctr
/// task exec, docker exec).
final class ExecTests: RootTestCase {
    var nestBinary = ""

    override func setUpWithError() throws {
        try super.setUpWithError()
        guard let found = TestEnv.nestBinary else { throw XCTSkip("no nest binary (set NEST_BIN or run scripts/build.sh)") }
        nestBinary = found
    }

    // MARK: helpers

    /// A running container of `sleep` with its own hostname (created only,
    /// not started, when `start` is false).
    func sleeper(hostname: String = "exec-\(UInt16.random(in: 0...UInt16.max))", start: Bool = true,
                 edit: (inout [String: Any]) throws -> Void = { _ in }) throws -> String {
        let bundle = try makeBundle(["sleep", "1000"]) { c in
            c["hostname"] = hostname
            try edit(&c)
        }
        let id = uniqueID("exec")
        _ = try runtime.create(id: id, options: CreateOptions(bundle: bundle, stdio: .null))
        if start { try runtime.start(id: id) }
        return id
    }

    /// Runs SCRIPT with sh; $NEST is `nest --root STATE` (paths without
    /// spaces: it is split into words).
    func sh(_ script: String) throws -> HostResult {
        try runHost(["/bin/sh", "-c", script], env: ["NEST": "\(nestBinary) --root \(stateRoot)", "NEST_LIBEXEC": TestEnv.libexec])
    }

    func lines(_ text: String) -> [String] { text.split(separator: "\n").map(String.init) }

    func parentPid(_ pid: Int32) -> Int32? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? Int32(fields[1]) : nil
    }

    func link(_ path: String) -> String? { try? FileManager.default.destinationOfSymbolicLink(atPath: path) }

    /// The pids in the container's pids cgroup.
    func cgroupProcs(_ id: String) throws -> [String] {
        let dir = try XCTUnwrap(try runtime.record(id).cgroups.pidsDir)
        return lines(try String(contentsOfFile: dir + "/cgroup.procs", encoding: .utf8)).sorted()
    }

    /// The programs (comm) in the container's cgroup: a process set up by
    /// nest-monitor that never exec'd would be one more `nest-monitor`.
    func cgroupPrograms(_ id: String) throws -> Set<String> {
        Set(try cgroupProcs(id).compactMap { try? String(contentsOfFile: "/proc/\($0)/comm", encoding: .utf8) })
    }

    /// Our children but the container's own monitor and init.
    func strayChildren(_ id: String) throws -> [Int32] {
        let record = try runtime.record(id)
        return childPids().filter { $0 != record.monitorPid && $0 != record.pid }
    }

    // MARK: tests

    func testTheProcessIsInTheContainersNamespacesAndCgroup() throws {
        let id = try sleeper(hostname: "exec-ns-host")
        let r = try execAndWait(id, ["sh", "-c", "hostname; cat /proc/1/cmdline; echo; cat /proc/self/cgroup; echo --; cat /proc/1/cgroup"])
        XCTAssertEqual(r.code, 0, r.out)
        let out = lines(r.out)
        XCTAssertEqual(out.first, "exec-ns-host")
        // PID 1 of its /proc is the container's init
        XCTAssertTrue(out.count > 1 && out[1].hasPrefix("nest-init"), r.out)
        let sections = r.out.components(separatedBy: "--\n")
        XCTAssertEqual(sections.count, 2, r.out)
        XCTAssertEqual(lines(sections[0]).dropFirst(2), lines(sections[1])[...], "its cgroups are the init's")

        // Seen from the host: every namespace and cgroup of the init, and
        // the caller is its parent.
        var process = try runtime.process(id: id)
        process.args = ["sleep", "100"]
        let pid = try runtime.exec(id: id, ExecRequest(process: process))
        defer {
            Glibc.kill(pid, SIGKILL)
            _ = wait(pid)
        }
        let initPid = try runtime.state(id: id).pid
        XCTAssertEqual(parentPid(pid), getpid())
        for ns in ["mnt", "pid", "net", "ipc", "uts", "cgroup", "user", "time"] {
            XCTAssertEqual(link("/proc/\(pid)/ns/\(ns)"), link("/proc/\(initPid)/ns/\(ns)"), ns)
            XCTAssertNotNil(link("/proc/\(pid)/ns/\(ns)"), ns)
        }
        XCTAssertEqual(try String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8),
                       try String(contentsOfFile: "/proc/\(initPid)/cgroup", encoding: .utf8))
        XCTAssertTrue(try cgroupProcs(id).contains(String(pid)))
    }

    func testExecIntoACreatedContainerBeforeItStarts() throws {
        let id = try sleeper(hostname: "not-started", start: false)
        XCTAssertEqual(try runtime.state(id: id).status, "created")
        let r = try execAndWait(id, ["hostname"])
        XCTAssertEqual(r.code, 0, r.out)
        XCTAssertEqual(r.out, "not-started\n")
        XCTAssertEqual(try runtime.state(id: id).status, "created")
    }

    func testTheExitStatusIsNestExecs() throws {
        let id = try sleeper()
        XCTAssertEqual(try sh("$NEST exec \(id) sh -c 'exit 3'").code, 3)
        XCTAssertEqual(try sh("$NEST exec \(id) sh -c 'kill -9 $$'").code, 128 + 9)
        XCTAssertEqual(try sh("$NEST exec \(id) true").code, 0)
        // the command's own options are the command's: ls -l is not nest's -l
        let ls = try sh("$NEST exec \(id) ls -l -d /tmp")
        XCTAssertEqual(ls.code, 0, ls.stderr)
        XCTAssertTrue(ls.stdout.hasPrefix("drwxrwxrwt"), ls.stdout)
        // through the API the caller reaps it
        XCTAssertEqual(try execAndWait(id, ["sh", "-c", "exit 7"]).code, 7)
        XCTAssertEqual(try execAndWait(id, ["sh", "-c", "kill -TERM $$"]).code, 128 + 15)
    }

    func testDetachWritesThePidFileOfALiveProcessLeftToTheCallersSubreaper() throws {
        let id = try sleeper()
        let pidFile = tmp + "/exec.pid"
        let r = try sh("$NEST exec --detach --pid-file \(pidFile) \(id) sleep 100 </dev/null >/dev/null 2>&1")
        XCTAssertEqual(r.code, 0, r.stderr)
        let pid = try XCTUnwrap(Int32(try String(contentsOfFile: pidFile, encoding: .utf8)))
        defer {
            Glibc.kill(pid, SIGKILL)
            _ = wait(pid)
        }
        XCTAssertEqual(Glibc.kill(pid, 0), 0, "the process lives on after nest exec")
        // nest exec has exited: its child went to the nearest subreaper, us
        XCTAssertEqual(parentPid(pid), getpid())
        XCTAssertEqual(link("/proc/\(pid)/ns/pid"), link("/proc/\(try runtime.state(id: id).pid)/ns/pid"))
        XCTAssertTrue(try cgroupProcs(id).contains(String(pid)))
    }

    func testEnvCwdUserAndCapabilitiesApply() throws {
        let id = try sleeper { c in c.process { $0["noNewPrivileges"] = false } }
        let r = try sh("$NEST exec -u 1000:1001 -g 7 --additional-gids 8 -e NEST_X=y --env PATH=/bin --cwd /tmp \(id) sh -c 'id -u; id -g; id -G; echo $NEST_X; echo $PATH; pwd'")
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(lines(r.stdout), ["1000", "1001", "1001 7 8", "y", "/bin", "/tmp"])

        // The container's capabilities, and --cap adds one.
        func capEff(_ text: String) -> [UInt64] {
            lines(text).filter { $0.hasPrefix("CapEff:") }.compactMap { UInt64($0.dropFirst(7).trimmingCharacters(in: .whitespaces), radix: 16) }
        }
        let same = try sh("$NEST exec \(id) sh -c 'grep CapEff /proc/self/status; grep CapEff /proc/1/status'")
        XCTAssertEqual(same.code, 0, same.stderr)
        let caps = capEff(same.stdout)
        XCTAssertEqual(caps.count, 2, same.stdout)
        XCTAssertEqual(caps.first, caps.last, "the container's own set")
        XCTAssertEqual((caps.first ?? 0) & (1 << 21), 0, "the default config has no CAP_SYS_ADMIN")
        let more = try sh("$NEST exec --cap CAP_SYS_ADMIN \(id) grep CapEff /proc/self/status")
        XCTAssertEqual(more.code, 0, more.stderr)
        XCTAssertEqual(capEff(more.stdout).first, (caps.first ?? 0) | (1 << 21))
        // a non-root user without ambient capabilities has none
        XCTAssertEqual(capEff(try sh("$NEST exec -u 1000 \(id) grep CapEff /proc/self/status").stdout), [0])

        // the container's no_new_privs (off here), and --no-new-privs
        let without = try sh("$NEST exec \(id) grep NoNewPrivs /proc/self/status")
        XCTAssertEqual(lines(without.stdout).first?.split(separator: "\t").last, "0", without.stdout + without.stderr)
        let nnp = try sh("$NEST exec --no-new-privs \(id) grep NoNewPrivs /proc/self/status")
        XCTAssertEqual(lines(nnp.stdout).first?.split(separator: "\t").last, "1", nnp.stdout + nnp.stderr)
    }

    func testAMissingProgramOrCwdFailsByNameAndLeavesNoProcess() throws {
        let id = try sleeper()
        XCTAssertThrowsError(try execAndWait(id, ["/no-such-program"])) { error in
            guard case RuntimeError.kernel(let k)? = error as? RuntimeError else { return XCTFail("\(error)") }
            XCTAssertEqual(k.step, "exec")
            XCTAssertEqual(k.errnoName, "ENOENT")
            XCTAssertTrue(k.message.contains("/no-such-program"), k.message)
        }
        XCTAssertThrowsError(try execAndWait(id, ["true"]) { $0.cwd = "/no/such/dir" }) { error in
            guard case RuntimeError.kernel(let k)? = error as? RuntimeError else { return XCTFail("\(error)") }
            XCTAssertEqual(k.step, "cwd")
            XCTAssertTrue(k.message.contains("/no/such/dir"), k.message)
        }
        XCTAssertEqual(try strayChildren(id), [], "every process the failed execs made is gone and reaped")
        XCTAssertEqual(try cgroupPrograms(id).subtracting(["nest-init\n", "sleep\n"]), [])
        XCTAssertNil(try FileManager.default.contentsOfDirectory(atPath: stateRoot + "/" + id).first { $0.hasPrefix("exec-") },
                     "no exec plan is left")

        let cli = try sh("$NEST exec \(id) no-such-program")
        XCTAssertEqual(cli.code, 1)
        XCTAssertEqual(cli.stderr, "nest: exec no-such-program: No such file or directory\n")
        let cwd = try sh("$NEST exec --cwd /no/such/dir \(id) true")
        XCTAssertEqual(cwd.code, 1)
        XCTAssertTrue(cwd.stderr.contains("cwd /no/such/dir"), cwd.stderr)
        let relative = try sh("$NEST exec --cwd tmp \(id) true")
        XCTAssertEqual(relative.code, 1)
        XCTAssertTrue(relative.stderr.contains("--cwd: must be an absolute path"), relative.stderr)
    }

    /// `nest exec --user` takes names too, looked up in the container's
    /// files (also of a container created and not started), with the
    /// user's groups and home.
    func testUserNamesAreTheContainers() throws {
        let bundle = try makeBundle(["sleep", "1000"])
        try "root:x:0:0::/root:/bin/sh\nsvc:x:700:701::/srv/svc:/bin/sh\n".write(toFile: bundle + "/rootfs/etc/passwd", atomically: false, encoding: .utf8)
        try "root:x:0:\nsvc:x:701:\nops:x:702:svc\n".write(toFile: bundle + "/rootfs/etc/group", atomically: false, encoding: .utf8)
        let id = uniqueID("user")
        _ = try runtime.create(id: id, options: CreateOptions(bundle: bundle, stdio: .null))
        let script = "id -u; id -G; echo $HOME"
        let created = try sh("$NEST exec --user svc \(id) sh -c '\(script)'")
        XCTAssertEqual(created.code, 0, created.stderr)
        XCTAssertEqual(created.stdout, "700\n701 702\n/srv/svc\n")
        try runtime.start(id: id)
        let extra = try sh("$NEST exec --user svc:0 --additional-gids 9 --env HOME=/h \(id) sh -c '\(script)'")
        XCTAssertEqual(extra.stdout, "700\n0 9\n/h\n", extra.stderr)
        let unknown = try sh("$NEST exec --user nosuch \(id) true")
        XCTAssertEqual(unknown.code, 1)
        XCTAssertEqual(unknown.stderr, "nest: --user: no user nosuch in the container's /etc/passwd\n")
        XCTAssertEqual(try strayChildren(id), [])
    }

    func testExecIntoAStoppedOrUnknownContainerFails() throws {
        let bundle = try makeBundle(["true"])
        let id = uniqueID("stopped")
        _ = try runtime.create(id: id, options: CreateOptions(bundle: bundle, stdio: .null))
        try runtime.start(id: id)
        XCTAssertEqual(try runtime.waitForExit(id: id).status, "stopped")
        XCTAssertThrowsError(try execAndWait(id, ["true"])) { error in
            XCTAssertEqual("\(error)", "container \(id) is stopped, not created or running")
        }
        let stopped = try sh("$NEST exec \(id) true")
        XCTAssertEqual(stopped.code, 1)
        XCTAssertEqual(stopped.stderr, "nest: container \(id) is stopped, not created or running\n")
        let unknown = try sh("$NEST exec no-such-container true")
        XCTAssertEqual(unknown.code, 1)
        XCTAssertEqual(unknown.stderr, "nest: container no-such-container does not exist\n")
    }

    func testAPausedContainerTakesNoProcessAndNothingHangs() throws {
        let id = try sleeper()
        let cgroups = try runtime.record(id).cgroups
        // the v1 freezer where there is one, else cgroup2's own
        let (knob, frozen, thawed) = if let dir = cgroups.dirs.first(where: { $0.contains("/freezer/") }) {
            (dir + "/freezer.state", "FROZEN", "THAWED")
        } else {
            (try XCTUnwrap(cgroups.unifiedDir) + "/cgroup.freeze", "1", "0")
        }
        try frozen.write(toFile: knob, atomically: false, encoding: .utf8)
        defer { try? thawed.write(toFile: knob, atomically: false, encoding: .utf8) }
        XCTAssertThrowsError(try execAndWait(id, ["true"])) { error in
            // (the monitor's words, or the state's once it says "paused")
            XCTAssertTrue("\(error)".contains("paused"), "\(error)")
        }
        XCTAssertEqual(try strayChildren(id), [])
        try thawed.write(toFile: knob, atomically: false, encoding: .utf8)
        XCTAssertEqual(try execAndWait(id, ["true"]).code, 0)
    }

    func testATerminalIsAPtyOfTheContainerSentToTheConsoleSocket() throws {
        let id = try sleeper()
        let console = try ConsoleReceiver(path: tmp + "/console.sock")
        var process = try runtime.process(id: id)
        process.args = ["sh", "-c", "tty; stty size; ls -1 /proc/self/fd"]
        process.terminal = true
        process.consoleSize = .init(height: 33, width: 101)
        let pid = try runtime.exec(id: id, ExecRequest(process: process, consoleSocket: console.path))
        let master = try console.receive()
        XCTAssertEqual(wait(pid), 0)
        let out = ConsoleReceiver.drain(master).replacingOccurrences(of: "\r", with: "")
        let got = lines(out)
        XCTAssertTrue(got.first?.hasPrefix("/dev/pts/") == true, out)
        XCTAssertEqual(got.dropFirst().first, "33 101")
        XCTAssertEqual(Array(got.dropFirst(2)), ["0", "1", "2", "3"], "stdio is the pty, and nothing else is open")

        // without a console socket a terminal is refused by name
        XCTAssertThrowsError(try runtime.exec(id: id, ExecRequest(process: process))) { error in
            XCTAssertTrue("\(error)".hasPrefix("process.terminal:"), "\(error)")
        }
    }

    func testPreservedFdsReachTheProcessOfCreateAndOfExec() throws {
        // create (through run): fd 3 of nest is the process's fd 3
        let bundle = try makeBundle(["sh", "-c", "echo from-create >&3"])
        let created = tmp + "/created.out"
        let run = try sh("exec 3>\(created); $NEST run --preserve-fds 1 --bundle \(bundle) \(uniqueID("pfd")) </dev/null >/dev/null")
        XCTAssertEqual(run.code, 0, run.stderr)
        XCTAssertEqual(try String(contentsOfFile: created, encoding: .utf8), "from-create\n")

        // exec: 3 and 4 go on, 5 (not preserved) does not
        let id = try sleeper()
        let out = tmp + "/exec.out", other = tmp + "/other.out", input = tmp + "/in"
        try "from-a-file\n".write(toFile: input, atomically: true, encoding: .utf8)
        let r = try sh("exec 3>\(out) 4<\(input) 5>\(other); $NEST exec --preserve-fds 2 \(id) sh -c 'echo from-exec >&3; cat <&4 >&3; ls /proc/self/fd >&3'")
        XCTAssertEqual(r.code, 0, r.stderr)
        // ls's own directory fd is the next free one: 5
        XCTAssertEqual(lines(try String(contentsOfFile: out, encoding: .utf8)), ["from-exec", "from-a-file", "0", "1", "2", "3", "4", "5"])
        let lsTarget = try sh("exec 3>\(out) 4<\(input) 5>\(other); $NEST exec --preserve-fds 2 \(id) readlink /proc/self/fd/5")
        XCTAssertNotEqual(lsTarget.code, 0, "fd 5 was not preserved: \(lsTarget.stdout)")

        // a preserved fd must be open
        let closed = try sh("exec 3>\(out); $NEST exec --preserve-fds 2 \(id) true")
        XCTAssertEqual(closed.code, 1)
        XCTAssertEqual(closed.stderr, "nest: --preserve-fds: fd 4 is not open\n")
    }

    func testNoFdOfTheCallerReachesTheProcess() throws {
        let id = try sleeper()
        // this test process holds many fds (XCTest's, Foundation's, ours)
        let mine = openFDs().count
        XCTAssertGreaterThan(mine, 4)
        let r = try execAndWait(id, ["ls", "/proc/self/fd"])
        XCTAssertEqual(r.code, 0, r.out)
        // 0, 1, 2 and the directory ls reads
        XCTAssertEqual(lines(r.out), ["0", "1", "2", "3"])
    }

    func testTheEnginesFormWithAProcessFile() throws {
        // podman and containerd's shim: exec --process F --detach --pid-file F ID
        let id = try sleeper(hostname: "engine-form")
        var process = try runtime.process(id: id)
        process.args = ["sh", "-c", "hostname; echo $NEST_FROM"]
        process.env = ["PATH=/bin", "NEST_FROM=the-file"]
        let file = tmp + "/process.json"
        try JSONEncoder().encode(process).write(to: URL(fileURLWithPath: file))
        let pidFile = tmp + "/engine.pid", out = tmp + "/engine.out"
        let r = try sh("$NEST exec --process \(file) --detach --pid-file \(pidFile) \(id) </dev/null >\(out)")
        XCTAssertEqual(r.code, 0, r.stderr)
        let pid = try XCTUnwrap(Int32(try String(contentsOfFile: pidFile, encoding: .utf8)))
        XCTAssertEqual(wait(pid), 0)
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8), "engine-form\nthe-file\n")

        // a bad process file names the field; a file and a command are exclusive
        try #"{"user": {"uid": 0, "gid": 0}, "cwd": "/", "args": []}"#.write(toFile: file, atomically: true, encoding: .utf8)
        let empty = try sh("$NEST exec --process \(file) \(id)")
        XCTAssertEqual(empty.code, 1)
        XCTAssertTrue(empty.stderr.contains("process.args: must not be empty"), empty.stderr)
        try #"{"user": {"uid": "root"}, "cwd": "/"}"#.write(toFile: file, atomically: true, encoding: .utf8)
        let typed = try sh("$NEST exec --process \(file) \(id)")
        XCTAssertEqual(typed.code, 1)
        XCTAssertTrue(typed.stderr.contains("process.user.uid"), typed.stderr)
        let both = try sh("$NEST exec --process \(file) \(id) true")
        XCTAssertEqual(both.code, 1)
        XCTAssertTrue(both.stderr.contains("--process: takes a --process file or a command, not both"), both.stderr)
        // a usage error of exec leaves a record in --log, as every one does
        let log = tmp + "/log.json"
        let usage = try sh("$NEST --log \(log) --log-format json exec")
        XCTAssertEqual(usage.code, 2)
        XCTAssertTrue((try? String(contentsOfFile: log, encoding: .utf8))?.contains("\"level\":\"error\"") == true)
    }
}
