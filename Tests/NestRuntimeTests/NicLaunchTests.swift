import Foundation
import Glibc
import NestOCI
import NestSubsystem
import XCTest
@testable import NestRuntime

/// The Nic route in the launcher: a process routed to a `net` server runs in
/// the server's namespace file, and a subsystem whose network is shared with
/// `nic=` has its holder join that file. The file is made as nestd has it
/// made (`nest-monitor -n make`); no network plugin is needed to see where
/// the processes run.
final class NicLaunchTests: RootTestCase {
    var made: [String] = []

    override func tearDown() {
        for f in made { _ = host("'\(TestEnv.libexec)/nest-monitor' -n remove '\(f)'") }
        super.tearDown()
    }

    /// A namespace file of the test's own; "net:[INODE]" as /proc/PID/ns/net reads.
    func netnsFile(_ name: String) throws -> (String, String) {
        let path = tmp + "/" + name
        let r = host("'\(TestEnv.libexec)/nest-monitor' -n make '\(path)'")
        XCTAssertEqual(r.code, 0, r.stderr)
        made.append(path)
        var st = stat()
        guard stat(path, &st) == 0 else { throw NicTestError("nest-monitor -n make made no namespace file at \(path)") }
        return (path, "net:[\(st.st_ino)]")
    }

    func testAProcessWithANicRouteRunsInTheServersNamespace() throws {
        let (file, ns) = try netnsFile("netns-one")
        let bundle = try makeBundle(["sh", "-c", "readlink /proc/self/ns/net; ip -o link | cut -d: -f2"])
        let id = uniqueID("nic")
        let log = tmp + "/nic.log"
        var sub = try runtime.translate(id: id, options: CreateOptions(bundle: bundle, stdio: .log(path: log)))
        XCTAssertTrue(sub.processes[0].container?.namespaces.contains { $0.type == "network" && $0.path == nil } ?? false,
                      "the bundle asks for a fresh network namespace")
        sub.attachNetwork("lan", netns: file, address: "10.201.9.2/24")
        _ = try runtime.create(subsystem: sub, options: CreateOptions(bundle: "", stdio: .null))
        XCTAssertTrue(try runtime.subsystemXML(id: id).contains("<child name=\"net-lan\"/>"))
        try runtime.start(id: id)
        XCTAssertEqual(try runtime.waitForExit(id: id).exitCode, 0)
        XCTAssertEqual(parseLog(log).stdout, [ns, " lo"], "the file's namespace, its loopback only")
        try runtime.delete(id: id)
        var st = stat()
        XCTAssertEqual(stat(file, &st), 0, "the namespace file is the runner's: a delete leaves it")
    }

    /// docs/examples/network.xml, the hand-written config of docs/subsystem.md.
    func testTheHandWrittenNetworkExampleRuns() throws {
        let (file, ns) = try netnsFile("netns-example")
        let bundle = try makeBundle(["true"])
        let id = uniqueID("netex")
        let out = tmp + "/example.out"
        let text = try String(contentsOfFile: TestEnv.repo + "/docs/examples/network.xml", encoding: .utf8)
            .replacingOccurrences(of: "@ROOTFS@", with: bundle + "/rootfs")
            .replacingOccurrences(of: "@NETNS@", with: file)
            .replacingOccurrences(of: "/nest/app", with: "/nest/\(id)")
        let xml = tmp + "/network.xml"
        try text.write(toFile: xml, atomically: true, encoding: .utf8)
        XCTAssertEqual(try Subsystem.read(xml: text).check(), [])
        // without a LOG route the process keeps the caller's stdio: a file here
        let nest = TestEnv.libexec + "/nest"
        let run = host("'\(nest)' --root '\(stateRoot)' run --subsystem '\(xml)' \(id) >'\(out)' 2>&1")
        let printed = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        XCTAssertEqual(run.code, 0, printed)
        XCTAssertEqual(printed, "net=\(ns)\n10.89.0.4\tdb\n")
        XCTAssertEqual(runtime.list().map(\.id), [], "nest run removes what it ran")
    }

    func testAPodsHolderJoinsTheNicOfItsShare() throws {
        let (file, ns) = try netnsFile("netns-pod")
        let bundle = try makeBundle(["true"])
        let volume = tmp + "/vol1"
        mkdir(volume, 0o755)
        let log = tmp + "/pod.log"
        let id = uniqueID("pod")
        var sub = try Subsystem.read(xml: try String(contentsOfFile: TestEnv.repo + "/docs/examples/two-processes.xml", encoding: .utf8)
            .replacingOccurrences(of: "@ROOTFS@", with: bundle + "/rootfs")
            .replacingOccurrences(of: "@VOLUME@", with: volume)
            .replacingOccurrences(of: "@LOG@", with: log)
            .replacingOccurrences(of: "/nest/pod", with: "/nest/\(id)"))
        sub.name = id
        sub.attachNetwork("lan", netns: file, address: nil)
        XCTAssertEqual(sub.sharedNic, "net-lan")
        XCTAssertEqual(sub.check(), [])
        _ = try runtime.create(subsystem: sub, options: CreateOptions(bundle: ""))
        try runtime.start(id: id)
        XCTAssertEqual(try runtime.waitForExit(id: id + "/reader").exitCode, 0)
        let out = parseLog(log).stdout
        let sees = try XCTUnwrap(out.first { $0.hasPrefix("reader sees: ") }, "\(out)")
        let is_ = try XCTUnwrap(out.first { $0.hasPrefix("reader is: ") }, "\(out)")
        XCTAssertEqual(sees, "reader sees: pod " + ns, "the writer ran in the file's namespace")
        XCTAssertEqual(is_, "reader is: pod " + ns, "and so did the reader")
        try runtime.kill(id: id, signal: SIGKILL)
        _ = try runtime.waitForExit(id: id + "/writer")
        _ = try runtime.waitForExit(id: id)
        try runtime.delete(id: id)
        XCTAssertEqual(runtime.list().map(\.id), [])
    }
}

struct NicTestError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
