import Foundation
import Glibc
import XCTest

/// A real distribution registry (Debian's docker-registry) on 127.0.0.1 with
/// its storage in a temp dir, holding the test images pushed by skopeo:
/// test/busybox:v1 (three layers, one with a whiteout) and test/multi:v1 (an
/// index with the host's platform and one other). Started once for the test
/// process, stopped by `stop()` from the test class's tearDown.
final class RegistryFixture: @unchecked Sendable {
    let dir: String
    let port: Int
    let layouts: String
    private let registry: Process
    private var standins: [Process] = []
    private var standinLogs: [String: String] = [:]

    var host: String { "127.0.0.1:\(port)" }

    nonisolated(unsafe) private static var shared: RegistryFixture?
    nonisolated(unsafe) private static var failure: String?

    static func get() throws -> RegistryFixture {
        if let shared { return shared }
        if let failure { throw XCTSkip(failure) }
        guard getuid() == 0 else {
            failure = "registry tests need root to install docker-registry and skopeo"
            throw XCTSkip(failure!)
        }
        let f = try RegistryFixture()
        shared = f
        return f
    }

    static func stopShared() { shared?.stop(); shared = nil }

    static var helpers: String { Bundle.module.resourcePath! + "/Registry" }

    private init() throws {
        // docker-registry (started here on 127.0.0.1, never as a service:
        // its postinst may not start one on :5000), skopeo (pushes the test
        // images), busybox-static (their rootfs)
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let setup = run([repo + "/scripts/apt-install.sh", "--no-start", "registry setup", "docker-registry", "skopeo", "busybox-static"])
        guard setup.code == 0 else { throw RegistryTestError("installing the registry packages failed: \(setup.stderr)") }
        dir = try makeTempDir("nest-registry-test")
        layouts = dir + "/layouts"
        let mk = run(["/usr/bin/env", "python3", Self.helpers + "/mkimage.py", layouts])
        guard mk.code == 0 else { throw RegistryTestError("mkimage.py failed: \(mk.stderr)") }
        port = freePort()
        let config = """
        version: 0.1
        log:
          level: warn
        storage:
          filesystem:
            rootdirectory: \(dir)/storage
          delete:
            enabled: true
        http:
          addr: 127.0.0.1:\(port)
        """
        try config.write(toFile: dir + "/config.yml", atomically: true, encoding: .utf8)
        registry = try spawn(["/usr/bin/docker-registry", "serve", dir + "/config.yml"], log: dir + "/registry.log")
        guard waitForPort(port) else { stop(); throw RegistryTestError("docker-registry did not listen on \(port)") }
        for (layout, repo, all) in [("single", "test/busybox", false), ("multi", "test/multi", true)] {
            let copy = run(["/usr/bin/skopeo", "copy", "--quiet", "--dest-tls-verify=false"] + (all ? ["--all"] : [])
                           + ["oci:\(layouts)/\(layout):v1", "docker://\(host)/\(repo):v1"])
            guard copy.code == 0 else { stop(); throw RegistryTestError("skopeo copy \(layout): \(copy.stderr)") }
        }
    }

    /// Starts standin.py in MODE (in front of this registry) and returns its host:port.
    func standin(_ mode: String) throws -> String {
        let portFile = dir + "/standin-\(mode)-\(standins.count).port"
        let p = try spawn(["/usr/bin/env", "python3", Self.helpers + "/standin.py", mode, portFile, "http://\(host)"],
                          log: portFile + ".log")
        standins.append(p)
        var port: Int?
        for _ in 0..<600 where port == nil {
            port = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0) }
            if port == nil { usleep(20_000) }
        }
        guard let port, waitForPort(port) else { throw RegistryTestError("standin.py \(mode) did not start") }
        standinLogs["127.0.0.1:\(port)"] = portFile + ".log"
        return "127.0.0.1:\(port)"
    }

    func standinLog(_ hostPort: String) -> String {
        standinLogs[hostPort].flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? ""
    }

    func stop() {
        // SIGKILL: the test runner's children may inherit SIGTERM ignored,
        // and nothing they hold outlives the temp dir removed below.
        for p in standins + [registry] where p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        standins = []
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// The digests in one OCI layout's blobs, as the pushed image names them.
    func layoutDigests(_ layout: String) -> [String] {
        let blobs = (try? FileManager.default.contentsOfDirectory(atPath: "\(layouts)/\(layout)/blobs/sha256")) ?? []
        return blobs.map { "sha256:" + $0 }
    }
}

struct RegistryTestError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

struct CommandResult { var code: Int32; var stdout: String; var stderr: String }

/// Runs ARGV to completion, output through files (no pipe can fill up).
func run(_ argv: [String]) -> CommandResult {
    let tmp = NSTemporaryDirectory() + "nest-cmd-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    _ = FileManager.default.createFile(atPath: tmp + ".out", contents: nil)
    _ = FileManager.default.createFile(atPath: tmp + ".err", contents: nil)
    defer { unlink(tmp + ".out"); unlink(tmp + ".err") }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: argv[0])
    p.arguments = Array(argv.dropFirst())
    p.standardInput = FileHandle.nullDevice
    p.standardOutput = FileHandle(forWritingAtPath: tmp + ".out")
    p.standardError = FileHandle(forWritingAtPath: tmp + ".err")
    do { try p.run() } catch { return CommandResult(code: -1, stdout: "", stderr: "\(argv[0]): \(error)") }
    p.waitUntilExit()
    return CommandResult(code: p.terminationStatus,
                         stdout: (try? String(contentsOfFile: tmp + ".out", encoding: .utf8)) ?? "",
                         stderr: (try? String(contentsOfFile: tmp + ".err", encoding: .utf8)) ?? "")
}

func spawn(_ argv: [String], log: String) throws -> Process {
    _ = FileManager.default.createFile(atPath: log, contents: nil)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: argv[0])
    p.arguments = Array(argv.dropFirst())
    p.standardInput = FileHandle.nullDevice
    p.standardOutput = FileHandle(forWritingAtPath: log)
    p.standardError = FileHandle(forWritingAtPath: log)
    try p.run()
    return p
}

func makeTempDir(_ prefix: String) throws -> String {
    var template = Array((NSTemporaryDirectory() + prefix + "-XXXXXX").utf8CString)
    guard mkdtemp(&template) != nil else { throw RegistryTestError("mkdtemp: \(errno)") }
    return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// A port nothing listens on now (the kernel's choice for a bind to port 0).
func freePort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
    }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// Whether something accepts on 127.0.0.1:PORT, asked every 20 ms until a
/// generous bound: a readiness wait, not a timing assertion.
func waitForPort(_ port: Int) -> Bool {
    for _ in 0..<1500 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        close(fd)
        if ok { return true }
        usleep(20_000)
    }
    return false
}
