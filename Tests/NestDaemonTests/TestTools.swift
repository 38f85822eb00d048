import Foundation
import Glibc
import XCTest

/// A finished command.
struct RunResult {
    var code: Int32
    var stdout: String
    var stderr: String
}

/// Runs ARGV to completion and collects its output (stdin: /dev/null).
func runCommand(_ argv: [String], env: [String: String] = [:], cwd: String? = nil) -> RunResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: argv[0].hasPrefix("/") ? argv[0] : "/usr/bin/env")
    p.arguments = argv[0].hasPrefix("/") ? Array(argv.dropFirst()) : argv
    p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
    if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    do { try p.run() } catch { return RunResult(code: -1, stdout: "", stderr: "\(error)") }
    // read both pipes concurrently so neither fills up
    let errData = LockedData()
    let t = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
    t.start()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    while !errData.done { usleep(1000) }
    return RunResult(code: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                     stderr: String(decoding: errData.value, as: UTF8.self))
}

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private var finished = false
    func set(_ d: Data) { lock.lock(); data = d; finished = true; lock.unlock() }
    var done: Bool { lock.lock(); defer { lock.unlock() }; return finished }
    var value: Data { lock.lock(); defer { lock.unlock() }; return data }
}

/// Polls COND every 50 ms for up to SECONDS.
func eventually(_ seconds: Double, _ cond: () -> Bool) -> Bool {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if cond() { return true }
        usleep(50_000)
    }
    return cond()
}

/// prctl(PR_SET_CHILD_SUBREAPER, 1): monitors orphaned by a killed nestd come
/// back to the test process instead of the host's slow PID 1.
func setChildSubreaper() {
    typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
    guard let sym = dlsym(nil, "prctl") else { return }
    _ = unsafeBitCast(sym, to: Prctl.self)(36, 1, 0, 0, 0)
}

/// Whether PID exists and is not a zombie.
func isAlive(_ pid: Int32) -> Bool {
    guard pid > 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    return !stat[stat.index(after: close)...].hasPrefix(" Z")
}

/// Live processes whose command line contains TEXT.
func processes(containing text: String) -> [Int32] {
    var out: [Int32] = []
    for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
        guard let pid = Int32(entry), pid != getpid(), isAlive(pid),
              let cmd = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
        let s = String(decoding: cmd.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
        if s.contains(text) { out.append(pid) }
    }
    return out
}

/// cgroup directories named after the container: /sys/fs/cgroup/nest/ID (v2)
/// and /sys/fs/cgroup/CONTROLLER/nest/ID (v1).
func cgroupDirs(_ id: String) -> [String] {
    var out: [String] = []
    let base = "/sys/fs/cgroup"
    if FileManager.default.fileExists(atPath: "\(base)/nest/\(id)") { out.append("\(base)/nest/\(id)") }
    for c in (try? FileManager.default.contentsOfDirectory(atPath: base)) ?? [] {
        let p = "\(base)/\(c)/nest/\(id)"
        if FileManager.default.fileExists(atPath: p) { out.append(p) }
    }
    return out
}

extension DaemonTestCase {
    /// curl --unix-socket; returns the HTTP status and the body.
    func curl(_ method: String, _ path: String, body: String? = nil, socket: String? = nil, asUser: Bool = false) -> (Int, String) {
        var argv = ["/usr/bin/curl", "-sS", "--max-time", "30", "--unix-socket", socket ?? socketPath, "-X", method,
                    "-w", "\n%{http_code}"]
        if let body { argv += ["-H", "Content-Type: application/json", "--data-binary", body] }
        argv.append("http://localhost" + path)
        if asUser { argv = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + argv }
        let r = runCommand(argv)
        guard let nl = r.stdout.lastIndex(of: "\n") else { return (0, r.stdout + r.stderr) }
        return (Int(r.stdout[r.stdout.index(after: nl)...]) ?? 0, String(r.stdout[..<nl]))
    }

    /// The nestctl binary against this test's daemon (NEST_SOCKET).
    func nestctl(_ args: [String], env: [String: String] = [:]) -> RunResult {
        runCommand([TestEnv.nestctl] + args, env: ["NEST_SOCKET": socketPath].merging(env) { $1 })
    }

    func json(_ text: String) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }
}
