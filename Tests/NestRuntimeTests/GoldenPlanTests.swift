import Foundation
import NestOCI
import NestSubsystem
import XCTest
@testable import NestRuntime

/// Golden plans beside the golden subsystems: each
/// Tests/NestSubsystemTests/Golden/NAME.json is translated as GoldenTests
/// does and its launch plan written with the fixed context below.
///   - NAME.plan is the plan PlanWriter writes;
///   - NAME.plan-error holds, one `path: message` a line, every field
///     Preflight refuses (create stops there) and PlanWriter's error if it
///     throws (then there is no NAME.plan).
/// A spec Preflight refuses still has its plan, so that what PlanWriter
/// makes of the fields it does carry is pinned for every golden spec. The
/// context has a console socket, so terminal specs get a plan. Preflight's
/// host checks (rlimits against this host) are left out: a golden file must
/// not depend on the machine.
///
/// NEST_UPDATE_GOLDEN=1 rewrites the files (and removes those no longer
/// due) instead of comparing: review the diff before committing.
final class GoldenPlanTests: XCTestCase {
    static let dir = TestEnv.repo + "/Tests/NestSubsystemTests/Golden"
    static var updating: Bool { ProcessInfo.processInfo.environment["NEST_UPDATE_GOLDEN"] == "1" }

    static func names() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir)
            .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    static func context(_ name: String) -> PlanContext {
        let state = "/run/nest/\(name)"
        return PlanContext(
            stateDir: state, execFifo: state + "/exec.fifo", syncFD: 3, stdio: .log(path: state + "/log.json"),
            pidFile: nil, consoleSocket: "/run/nest-test/console.sock",
            cgroupJoinDirs: ["/sys/fs/cgroup/memory/nest/\(name)", "/sys/fs/cgroup/pids/nest/\(name)", "/sys/fs/cgroup/unified/nest/\(name)"],
            oomFile: "/sys/fs/cgroup/memory/nest/\(name)/memory.oom_control", cgroupLayout: "v1")
    }

    /// The plan of NAME and the text of its error file, each nil when there is none.
    static func outputs(_ name: String) throws -> [String: String?] {
        let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/\(name).json"))
        let spec = try Spec.decode(Array(data))
        XCTAssertEqual(spec.validate(), [], "\(name).json does not validate")
        let sub = Translator.translate(spec, options: TranslateOptions(
            id: name, bundlePath: "/bundles/\(name)", rootfsPath: "/bundles/\(name)/rootfs"))
        var errors = ""
        if let c = sub.processes.first?.container {
            errors = Preflight.unsupported(container: c, vfs: sub.start("vfs")?.vfs)
                .map { $0.description + "\n" }.joined()
        }
        var plan: String?
        do {
            plan = try PlanWriter.plan(sub, context(name))
        } catch {
            errors += error.description + "\n"
        }
        return ["plan": plan, "plan-error": errors.isEmpty ? nil : errors]
    }

    func testEveryGoldenSpecHasAPlanOrAnError() throws {
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: Self.dir))
        let names = try Self.names()
        for name in names where !Self.updating {
            XCTAssertTrue(files.contains(name + ".plan") || files.contains(name + ".plan-error"), name)
        }
        for file in files {
            guard let suffix = [".plan", ".plan-error"].first(where: file.hasSuffix) else { continue }
            let name = String(file.dropLast(suffix.count))
            XCTAssertTrue(names.contains(name), "\(file) has no \(name).json")
        }
        XCTAssertGreaterThanOrEqual(names.count, 10)
    }

    func testPlansAndErrorsMatchTheGoldenFiles() throws {
        for name in try Self.names() {
            for (ext, text) in try Self.outputs(name).sorted(by: { $0.key < $1.key }) {
                let file = Self.dir + "/\(name).\(ext)"
                if Self.updating {
                    if let text {
                        try text.write(toFile: file, atomically: true, encoding: .utf8)
                    } else {
                        try? FileManager.default.removeItem(atPath: file)
                    }
                    continue
                }
                let expected = try? String(contentsOfFile: file, encoding: .utf8)
                XCTAssertEqual(text, expected, "\(name): differs from Golden/\(name).\(ext) (nil: no such file / none due)")
            }
        }
    }

    /// A golden plan must be a function of the spec and the context only.
    func testPlansAreDeterministic() throws {
        for name in try Self.names() {
            XCTAssertEqual(try Self.outputs(name), try Self.outputs(name), name)
        }
    }
}

/// The plans of the hand-written two-process example of docs/subsystem.md:
/// the holder's, and each process's as its routes give it (the volume at
/// /data, the shared log, the ROM file, the joined namespaces).
/// Golden/examples/two-processes.NAME.plan; NEST_UPDATE_GOLDEN=1 rewrites.
final class ExamplePlanTests: XCTestCase {
    func testTwoProcessExamplePlans() throws {
        let text = try String(contentsOfFile: TestEnv.repo + "/docs/examples/two-processes.xml", encoding: .utf8)
            .replacingOccurrences(of: "@ROOTFS@", with: "/srv/rootfs")
            .replacingOccurrences(of: "@VOLUME@", with: "/srv/vol1")
            .replacingOccurrences(of: "@LOG@", with: "/var/log/pod.log")
        let sub = try Subsystem.read(xml: text)
        XCTAssertEqual(sub.check(), [])
        func ctx(_ dir: String, _ cgroup: String) -> PlanContext {
            var c = PlanContext(stateDir: dir, execFifo: dir + "/exec.fifo", syncFD: 3, stdio: .null, pidFile: nil,
                                consoleSocket: nil, cgroupJoinDirs: ["/sys/fs/cgroup/memory" + cgroup], oomFile: nil, cgroupLayout: "v1")
            c.romDir = "/run/nest/pod/rom/rom"
            return c
        }
        var plans = ["holder": PlanWriter.holdPlan(sub, hostname: "pod", ctx("/run/nest/pod", "/nest/pod/.holder"))]
        for p in sub.processes {
            var layout = try sub.layout(of: p.name)
            layout.join(shared: sub.shared, holder: 4242)
            var c = ctx("/run/nest/pod/+\(p.name)", "/nest/pod/\(p.name)")
            c.stdio = .log(path: layout.log?.file ?? "")
            c.containerID = "pod/\(p.name)"
            plans[p.name] = try PlanWriter.plan(sub, layout, c)
        }
        let dir = GoldenPlanTests.dir + "/examples"
        for (name, plan) in plans {
            let file = dir + "/two-processes.\(name).plan"
            if GoldenPlanTests.updating {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                try plan.write(toFile: file, atomically: true, encoding: .utf8)
            } else {
                XCTAssertEqual(plan, try? String(contentsOfFile: file, encoding: .utf8), "differs from Golden/examples/two-processes.\(name).plan")
            }
        }
        // What the routes gave the reader, as the monitor will read it.
        let reader = try XCTUnwrap(plans["reader"])
        XCTAssertTrue(reader.contains("mount\t/data\tbind\t/srv/vol1\t"), reader)
        XCTAssertTrue(reader.contains("namespace\tnetwork\t/proc/4242/ns/net\n"), reader)
        XCTAssertTrue(reader.contains("mount\t/etc/hosts\tbind\t/run/nest/pod/rom/rom/hosts\t"), reader)
        XCTAssertFalse(reader.contains("hostname\t"), "the holder sets the shared hostname")
        XCTAssertTrue(try XCTUnwrap(plans["holder"]).contains("hold\n"))
    }
}
