import Foundation
import NestOCI
import XCTest
@testable import NestRuntime

/// The device program in the kernel: a cgroup of the v2 hierarchy (the
/// unified mount of a hybrid host, which needs no controller for it) made
/// as a pure v2 host's container cgroup is, and a shell inside it trying
/// devices.
final class DeviceProgramKernelTests: XCTestCase {
    typealias Rule = Spec.Linux.Resources.DeviceRule

    func v2Root() throws -> String {
        guard getuid() == 0 else { throw XCTSkip("needs root: creates a cgroup and loads a BPF program") }
        switch try CgroupManager.detect() {
        case .unified(let root): return root
        case .hybrid(_, let unified?): return unified
        default: throw XCTSkip("needs a cgroup v2 hierarchy")
        }
    }

    /// Runs each (name, command) in sh, moved first into `cgroup` if given;
    /// "ok" or the command's error text for each name.
    func tryDevices(_ steps: [(String, String)], in cgroup: String?) throws -> [String: String] {
        var script = cgroup.map { "echo $$ > '\($0)/cgroup.procs' || exit 99\n" } ?? ""
        for (name, command) in steps {
            script += "if out=$( { \(command); } 2>&1 ); then echo '\(name)=ok'; else echo \"\(name)=$out\"; fi\n"
        }
        let sh = Process()
        sh.executableURL = URL(fileURLWithPath: "/bin/sh")
        sh.arguments = ["-c", script]
        let pipe = Pipe()
        sh.standardOutput = pipe
        try sh.run()
        let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        sh.waitUntilExit()
        XCTAssertEqual(sh.terminationStatus, 0, out)
        var results: [String: String] = [:]
        for line in out.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            results[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        return results
    }

    func testTheProgramOfAV2CgroupAllowsTheRuledDevicesAndDeniesTheRest() throws {
        let root = try v2Root()
        let manager = CgroupManager(layout: .unified(root: root))
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("nest-devices-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let steps = [
            ("read-null", "cat /dev/null"),
            ("write-null", ": > /dev/null"),
            ("mknod-null", "mknod '\(tmp)/null' c 1 3"),
            ("read-zero", "head -c 1 /dev/zero > /dev/null"),
            ("write-zero", ": > /dev/zero"),
            ("mknod-zero", "mknod '\(tmp)/zero' c 1 5"),
            ("mknod-mem", "mknod '\(tmp)/mem' c 1 1"),
            ("read-full", "head -c 1 /dev/full > /dev/null"),
        ]
        // Outside the cgroup everything works: what fails below fails
        // because of the program.
        let outside = try tryDevices(steps, in: nil)
        for (name, _) in steps { XCTAssertEqual(outside[name], "ok", "\(name) outside the cgroup") }
        for node in ["null", "zero", "mem"] { unlink(tmp + "/" + node) }

        let path = "/nest-test-devices-\(UUID().uuidString)"
        let made = try manager.createOwned(path: path, limits: CgroupLimits())
        defer { try? manager.destroy(manager.owned(made.paths, made: made.made), killRemaining: true) }
        let rules = [Rule(allow: false, access: "rwm"),
                     Rule(allow: true, type: "c", major: 1, minor: 3, access: "rwm"),
                     Rule(allow: true, type: "c", major: 1, minor: 5, access: "r"),
                     Rule(allow: true, type: "c", major: 136, access: "rwm")]
        XCTAssertNil(try DeviceRules.apply(rules, to: made.paths, in: manager, unprivileged: false))
        let dir = try XCTUnwrap(made.paths.unifiedDir)
        let inside = try tryDevices(steps, in: dir)
        XCTAssertEqual(inside["read-null"], "ok")
        XCTAssertEqual(inside["write-null"], "ok")
        XCTAssertEqual(inside["mknod-null"], "ok")
        XCTAssertEqual(inside["read-zero"], "ok")
        for denied in ["write-zero", "mknod-zero", "mknod-mem", "read-full"] {
            XCTAssertTrue(inside[denied]?.contains("Operation not permitted") == true, "\(denied): \(inside[denied] ?? "no result")")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: tmp + "/mem"))
    }

    /// -1 is "any" on v1 too, as the v2 program reads it (the kernel
    /// refuses "-1" in devices.allow).
    func testAMajorOfMinusOneIsAnyInTheV1DevicesCgroup() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root: creates cgroups") }
        let layout = try CgroupManager.detect()
        let manager = CgroupManager(layout: layout)
        guard manager.hierarchies.contains(where: { $0.controllers.contains("devices") }) else {
            throw XCTSkip("needs the v1 devices controller")
        }
        let made = try manager.createOwned(path: "/nest-test-devices-\(UUID().uuidString)", limits: CgroupLimits())
        defer { try? manager.destroy(manager.owned(made.paths, made: made.made), killRemaining: true) }
        XCTAssertNil(try DeviceRules.apply([Rule(allow: false), Rule(allow: true, type: "c", major: -1, minor: 3, access: "rw")],
                                           to: made.paths, in: manager, unprivileged: false))
        let dir = try XCTUnwrap(zip(manager.hierarchies, made.paths.dirs).first { $0.0.controllers.contains("devices") }?.1)
        let list = try String(contentsOfFile: dir + "/devices.list", encoding: .utf8)
        XCTAssertEqual(list, "c *:3 rw\n")
    }

    /// Nothing to enforce the rules in is an error, not a quiet skip.
    func testRulesWithNoDeviceCgroupAreAnErrorNamingTheField() {
        let manager = CgroupManager(layout: .legacy(v1: [:]))
        XCTAssertThrowsError(try DeviceRules.apply([Rule(allow: false)], to: CgroupPaths(dirs: [], joinDirs: []),
                                                   in: manager, unprivileged: false)) { e in
            XCTAssertTrue("\(e)".hasPrefix("linux.resources.devices: "), "\(e)")
        }
    }
}
