import Foundation
import Glibc
import NestAPI
import NestClient
import XCTest

/// Where the repository and the built binaries are.
enum TestEnv {
    static let repo: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static var bin: String {
        if let env = ProcessInfo.processInfo.environment["NEST_BIN"], !env.isEmpty { return env }
        return repo + "/.build/debug"
    }
    static var nestd: String { bin + "/nestd" }
    static var nestctl: String { bin + "/nestctl" }
    static var nest: String { bin + "/nest" }
}

/// A nestd process of a test.
final class DaemonProcess {
    let process: Process
    let stderrPath: String
    init(process: Process, stderrPath: String) { self.process = process; self.stderrPath = stderrPath }
    var pid: Int32 { process.processIdentifier }
    var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
}

/// Base of the daemon tests: every test runs a real nestd on a temporary
/// socket with temporary --root and --data, and leaves nothing behind.
class DaemonTestCase: XCTestCase {
    var tmp = ""
    var socketPath: String { tmp + "/nestd.sock" }
    var root: String { tmp + "/root" }
    var data: String { tmp + "/data" }
    var daemon: DaemonProcess?
    var daemonRuns = 0
    var client: UnixHTTPClient { UnixHTTPClient(socketPath: socketPath) }

    /// Whether setUp starts the daemon (tests of start-up itself say no).
    var startsDaemon: Bool { true }

    override func setUpWithError() throws {
        guard geteuid() == 0 else { throw XCTSkip("needs root: nestd creates containers (namespaces, cgroups)") }
        for b in [TestEnv.nestd, TestEnv.nestctl, TestEnv.bin + "/nest-monitor", TestEnv.bin + "/nest-init"] {
            guard access(b, X_OK) == 0 else { throw XCTSkip("needs \(b) (run scripts/build.sh or set NEST_BIN)") }
        }
        setChildSubreaper()
        var template = Array("/tmp/nestd-it-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        tmp = String(cString: made)
        chmod(tmp, 0o755)
        if startsDaemon { try startDaemon() }
    }

    override func tearDown() {
        if daemon?.process.isRunning == true, let list = try? get("/v1/containers", as: [ContainerInfo].self) {
            for c in list { _ = try? client.request("DELETE", "/v1/containers/\(c.id)?force=true") }
        }
        stopDaemon()
        // whatever a killed daemon left: the runtime's own command removes it
        if !tmp.isEmpty, FileManager.default.fileExists(atPath: root) {
            let ids = runCommand([TestEnv.nest, "list", "--root", root, "-q"]).stdout.split(separator: "\n")
            for id in ids { _ = runCommand([TestEnv.nest, "delete", "--root", root, "-f", String(id)]) }
        }
        reapChildren()
        if !tmp.isEmpty { _ = runCommand(["/bin/rm", "-rf", "--one-file-system", tmp]) }
        super.tearDown()
    }

    // MARK: the daemon

    /// Starts nestd and waits until it answers GET /v1/version.
    @discardableResult
    func startDaemon(env: [String: String] = [:], command: [String]? = nil, waitReady: Bool = true) throws -> DaemonProcess {
        daemonRuns += 1
        let errPath = tmp + "/nestd-\(daemonRuns).stderr"
        FileManager.default.createFile(atPath: errPath, contents: nil)
        let p = Process()
        let argv = command ?? [TestEnv.nestd, "--socket", socketPath, "--root", root, "--data", data]
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle(forWritingAtPath: errPath)
        p.standardError = FileHandle(forWritingAtPath: errPath)
        try p.run()
        let d = DaemonProcess(process: p, stderrPath: errPath)
        daemon = d
        if waitReady {
            let ok = eventually(15) { (try? self.client.request("GET", "/v1/version"))?.status == 200 || !p.isRunning }
            guard ok, p.isRunning else {
                throw Failure("nestd did not become ready: \(d.stderr)")
            }
        }
        return d
    }

    /// SIGTERM, then SIGKILL after 10 s; returns the exit status.
    @discardableResult
    func stopDaemon() -> Int32? {
        guard let d = daemon else { return nil }
        daemon = nil
        if d.process.isRunning {
            kill(d.pid, SIGTERM)
            if !eventually(10, { !d.process.isRunning }) { kill(d.pid, SIGKILL) }
        }
        d.process.waitUntilExit()
        return d.process.terminationStatus
    }

    /// kill -9: the daemon dies without cleaning up anything.
    func killDaemon() {
        guard let d = daemon else { return }
        daemon = nil
        kill(d.pid, SIGKILL)
        d.process.waitUntilExit()
    }

    // MARK: API calls

    func request(_ method: String, _ path: String, body: (some Encodable)? = Optional<Int>.none) throws -> UnixHTTPClient.Response {
        try client.request(method, path, body: try body.map { Array(try JSONEncoder().encode($0)) })
    }

    func get<T: Decodable>(_ path: String, as: T.Type = T.self) throws -> T {
        let r = try client.request("GET", path)
        guard r.status == 200 else { throw Failure("GET \(path): \(r.status) \(r.text)") }
        return try JSONDecoder().decode(T.self, from: Data(r.body))
    }

    /// POST /v1/containers and then start; returns the id.
    @discardableResult
    func createContainer(_ bundle: String, name: String? = nil, start: Bool = true, labels: [String: String]? = nil) throws -> String {
        let r = try request("POST", "/v1/containers", body: CreateRequest(name: name, bundle: bundle, labels: labels))
        guard r.status == 201 else { throw Failure("create: \(r.status) \(r.text)") }
        let id = try JSONDecoder().decode(CreateResponse.self, from: Data(r.body)).id
        if start {
            let s = try client.request("POST", "/v1/containers/\(id)/start")
            guard s.status == 200 else { throw Failure("start \(id): \(s.status) \(s.text)") }
        }
        return id
    }

    func info(_ id: String) throws -> ContainerInfo { try get("/v1/containers/\(id)") }

    func logs(_ id: String) -> String { (try? client.request("GET", "/v1/containers/\(id)/logs"))?.text ?? "" }

    // MARK: bundles

    /// A busybox bundle running ARGS, without the ambient capabilities
    /// (see the note in mkbundle.sh's callers), optionally edited with jq.
    func makeBundle(_ name: String, _ args: [String], jq: String? = nil) throws -> String {
        let dir = tmp + "/" + name
        let r = runCommand([TestEnv.repo + "/scripts/mkbundle.sh", dir] + args)
        guard r.code == 0 else { throw Failure("mkbundle: \(r.stderr)") }
        let filter = "del(.process.capabilities.ambient)" + (jq.map { " | " + $0 } ?? "")
        let j = runCommand(["/bin/sh", "-c", "jq '\(filter)' config.json > config.json.new && mv config.json.new config.json"], cwd: dir)
        guard j.code == 0 else { throw Failure("jq: \(j.stderr)") }
        return dir
    }

    /// Collects exited children (monitors reparented to us) without blocking.
    func reapChildren() {
        var st: Int32 = 0
        while waitpid(-1, &st, WNOHANG) > 0 {}
    }
}

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
