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

/// A nestd process of a test, spawned with posix_spawn: Foundation's
/// Process takes a child that closes its inherited descriptors (as
/// systemd-socket-activate does before exec) for exited and blocks in waitpid.
final class DaemonProcess {
    let pid: pid_t
    let stderrPath: String
    private(set) var status: Int32?     // the raw wait status once reaped

    init(argv: [String], env: [String: String], stderrPath: String) throws {
        self.stderrPath = stderrPath
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stderrPath, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let cargv = argv.map { strdup($0) } + [nil]
        let cenv = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { cargv.forEach { free($0) }; cenv.forEach { free($0) } }
        var p: pid_t = 0
        let rc = posix_spawn(&p, argv[0], &actions, nil, cargv, cenv)
        guard rc == 0 else { throw Failure("spawn \(argv[0]): \(String(cString: strerror(rc)))") }
        pid = p
    }

    var isRunning: Bool {
        if status != nil { return false }
        var st: Int32 = 0
        if waitpid(pid, &st, WNOHANG) == pid { status = st; return false }
        return true
    }

    /// Blocks until the process has exited; its wait status.
    @discardableResult
    func wait() -> Int32 {
        if let status { return status }
        var st: Int32 = 0
        while waitpid(pid, &st, 0) < 0 && errno == EINTR {}
        status = st
        return st
    }

    /// The exit code, or nil when a signal ended the process.
    var exitCode: Int32? {
        let st = wait()
        return st & 0x7f == 0 ? (st >> 8) & 0xff : nil
    }

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
        // pods first: their containers (POD/NAME) go with them
        if daemon?.isRunning == true, let pods = try? get("/v1/pods", as: [PodInfo].self) {
            for p in pods { _ = try? client.request("DELETE", "/v1/pods/\(p.id)?force=true") }
        }
        if daemon?.isRunning == true, let list = try? get("/v1/containers", as: [ContainerInfo].self) {
            for c in list { _ = try? client.request("DELETE", "/v1/containers/\(c.id.split(separator: "/").joined(separator: "%2F"))?force=true") }
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
        let argv = command ?? [TestEnv.nestd, "--socket", socketPath, "--root", root, "--data", data]
        let d = try DaemonProcess(argv: argv, env: ProcessInfo.processInfo.environment.merging(env) { $1 }, stderrPath: errPath)
        let p = d
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
        if d.isRunning {
            kill(d.pid, SIGTERM)
            if !eventually(10, { !d.isRunning }) { kill(d.pid, SIGKILL) }
        }
        return d.exitCode ?? -1
    }

    /// kill -9: the daemon dies without cleaning up anything.
    func killDaemon() {
        guard let d = daemon else { return }
        daemon = nil
        kill(d.pid, SIGKILL)
        d.wait()
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
