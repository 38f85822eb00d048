import Foundation
import Glibc
import XCTest
@testable import NestRuntime
import NestOCI

/// Where the repository and the built binaries are.
enum TestEnv {
    static let repo: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static var libexec: String {
        if let env = ProcessInfo.processInfo.environment["NEST_LIBEXEC"], !env.isEmpty { return env }
        return repo + "/.build/debug"
    }
    static var mkbundle: String { repo + "/scripts/mkbundle.sh" }

    /// The `nest` binary: $NEST_BIN, beside the test runner (the same
    /// build), else in the libexec dir; nil when there is none.
    static var nestBinary: String? {
        var candidates: [String] = []
        if let env = ProcessInfo.processInfo.environment["NEST_BIN"] { candidates.append(env) }
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append(URL(fileURLWithPath: exe).deletingLastPathComponent().path + "/nest")
        }
        candidates.append(libexec + "/nest")
        return candidates.first { access($0, X_OK) == 0 }
    }
}

/// What a container run to completion left: its status and its log.
struct RunResult {
    var status: ContainerStatus
    var stdout: [String]
    var stderr: [String]
    var exitCode: Int32 { status.exitCode ?? -1 }
}

/// A command's outcome on the host.
struct HostResult {
    var code: Int32
    var stdout: String
    var stderr: String
}

/// Base of the root integration tests: skips unless root, gives each test a
/// temporary directory and its own state root, and cleans up everything.
class RootTestCase: XCTestCase {
    var tmp = ""
    var runtime: Runtime!
    var stateRoot: String { tmp + "/state" }

    override func setUpWithError() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root: containers need CAP_SYS_ADMIN and cgroups") }
        let lib = TestEnv.libexec
        guard access(lib + "/nest-monitor", X_OK) == 0, access(lib + "/nest-init", X_OK) == 0 else {
            throw XCTSkip("needs nest-monitor and nest-init in \(lib) (run scripts/build.sh or set NEST_LIBEXEC)")
        }
        // Orphans (monitors of `nest run`) come back to us to be reaped.
        setChildSubreaper()
        var template = Array("/tmp/nest-it-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        tmp = String(cString: made)
        chmod(tmp, 0o755)
        runtime = Runtime(options: RuntimeOptions(root: stateRoot, libexecDir: lib))
    }

    override func tearDown() {
        if let runtime {
            for c in runtime.list() { try? runtime.delete(id: c.id, force: true) }
        }
        reapChildren()
        if !tmp.isEmpty { _ = host("rm -rf --one-file-system '\(tmp)'") }
        super.tearDown()
    }

    /// Collects exited children (monitors reparented to us) without blocking.
    func reapChildren() {
        var st: Int32 = 0
        for _ in 0..<50 {
            while waitpid(-1, &st, WNOHANG) > 0 {}
            if childPids().isEmpty { return }
            usleep(20_000)
        }
    }

    /// A unique container id for this test.
    func uniqueID(_ tag: String = "c") -> String {
        "it-\(tag)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    }

    // MARK: bundles

    /// A busybox bundle from scripts/mkbundle.sh with ARGS, then EDIT applied
    /// to its config.json. The ambient capabilities of the default config are
    /// dropped unless keepAmbient (see the ambient capability test).
    func makeBundle(_ args: [String], name: String? = nil, keepAmbient: Bool = false,
                    edit: (inout [String: Any]) throws -> Void = { _ in }) throws -> String {
        let dir = tmp + "/" + (name ?? "bundle-\(UInt32.random(in: 0...UInt32.max))")
        let r = try runHost(["/bin/sh", TestEnv.mkbundle, dir] + args)
        XCTAssertEqual(r.code, 0, "mkbundle.sh: \(r.stderr)")
        var config = try readConfig(dir)
        if !keepAmbient { config.process { $0.caps { $0["ambient"] = nil } } }
        try edit(&config)
        try writeConfig(dir, config)
        return dir
    }

    func readConfig(_ bundle: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: bundle + "/config.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func writeConfig(_ bundle: String, _ config: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: URL(fileURLWithPath: bundle + "/config.json"))
    }

    // MARK: containers

    /// Starts ARGS in container ID through Runtime.exec (the container's
    /// process, edited) with stdout and stderr in a file, and waits for it:
    /// its exit status (128+N when killed by N) and its output.
    func execAndWait(_ id: String, _ args: [String], edit: (inout Spec.Process) -> Void = { _ in }) throws
        -> (code: Int32, out: String)
    {
        var process = try runtime.process(id: id)
        process.args = args
        edit(&process)
        let path = tmp + "/exec-\(UInt32.random(in: 0...UInt32.max)).out"
        let out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer {
            close(out)
            close(null)
        }
        let pid = try runtime.exec(id: id, ExecRequest(process: process, stdio: (null, out, out)))
        return (wait(pid), try String(contentsOfFile: path, encoding: .utf8))
    }

    func wait(_ pid: Int32) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }


    /// Creates, starts and waits for a container with its output logged;
    /// deletes it afterwards unless keep.
    func runContainer(_ bundle: String, id: String? = nil, keep: Bool = false,
                      file: StaticString = #filePath, line: UInt = #line) throws -> RunResult {
        let id = id ?? uniqueID()
        let log = tmp + "/\(id).log"
        _ = try runtime.create(id: id, options: CreateOptions(bundle: bundle, stdio: .log(path: log)))
        try runtime.start(id: id)
        let status = try runtime.waitForExit(id: id)
        if !keep { try runtime.delete(id: id) }
        let (out, err) = parseLog(log)
        return RunResult(status: status, stdout: out, stderr: err)
    }

    /// The monitor's log records: `TS STREAM DATA` (`TS STREAM P DATA` for a
    /// partial line).
    func parseLog(_ path: String) -> (stdout: [String], stderr: [String]) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return ([], []) }
        var out: [String] = [], err: [String] = []
        for record in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let parts = record.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count >= 2 else { continue }
            var data = parts.count == 3 ? String(parts[2]) : ""
            if data.hasPrefix("P ") { data.removeFirst(2) }
            if parts[1] == "stdout" { out.append(data) } else if parts[1] == "stderr" { err.append(data) }
        }
        return (out, err)
    }

    // MARK: host

    /// Runs a program on the host, waiting for it; stdout and stderr captured.
    func runHost(_ argv: [String], env: [String: String] = [:]) throws -> HostResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = (environment["PATH"] ?? "") + ":/usr/sbin:/usr/bin:/sbin:/bin"
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        let outPipe = Pipe(), errPipe = Pipe()
        p.standardOutput = outPipe
        p.standardError = errPipe
        p.standardInput = FileHandle(forReadingAtPath: "/dev/null")
        try p.run()
        // stderr on another thread so that neither pipe can fill up and block.
        nonisolated(unsafe) var errBytes = Data()
        let done = DispatchSemaphore(value: 0)
        let errHandle = errPipe.fileHandleForReading
        DispatchQueue.global().async {
            errBytes = errHandle.readDataToEndOfFile()
            done.signal()
        }
        let outBytes = outPipe.fileHandleForReading.readDataToEndOfFile()
        done.wait()
        p.waitUntilExit()
        return HostResult(code: p.terminationStatus, stdout: String(decoding: outBytes, as: UTF8.self),
                          stderr: String(decoding: errBytes, as: UTF8.self))
    }

    @discardableResult
    func host(_ command: String) -> HostResult {
        (try? runHost(["/bin/sh", "-c", command])) ?? HostResult(code: -1, stdout: "", stderr: "spawn failed")
    }
}

// MARK: free helpers

/// prctl(PR_SET_CHILD_SUBREAPER, 1): prctl is variadic, so Swift cannot
/// import it; call it through its address with integer arguments.
func setChildSubreaper() {
    typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
    guard let sym = dlsym(nil, "prctl") else { return }
    _ = unsafeBitCast(sym, to: Prctl.self)(36 /* PR_SET_CHILD_SUBREAPER */, 1, 0, 0, 0)
}

/// The pids whose parent is this process (any state).
func childPids(zombiesOnly: Bool = false) -> [Int32] {
    let me = getpid()
    var out: [Int32] = []
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
        guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { continue }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 2, Int32(fields[1]) == me else { continue }
        if zombiesOnly && fields[0] != "Z" { continue }
        out.append(pid)
    }
    return out
}

func openFDs() -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).sorted()
}

func mountCount() -> Int {
    ((try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? "").split(separator: "\n").count
}

extension Dictionary where Key == String, Value == Any {
    /// Edits the object at KEY (made when absent).
    mutating func object(_ key: String, _ edit: (inout [String: Any]) -> Void) {
        var o = self[key] as? [String: Any] ?? [:]
        edit(&o)
        self[key] = o
    }

    mutating func process(_ edit: (inout [String: Any]) -> Void) { object("process", edit) }
    mutating func linux(_ edit: (inout [String: Any]) -> Void) { object("linux", edit) }
    mutating func caps(_ edit: (inout [String: Any]) -> Void) { object("capabilities", edit) }
}
