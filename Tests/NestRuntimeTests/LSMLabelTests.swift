import Foundation
import Glibc
import NestOCI
import NestSubsystem
import XCTest
@testable import NestRuntime

/// AppArmor profiles and SELinux labels: applied where the host has the
/// module enabled, refused by their JSON path (saying it is the host) where
/// it has not. No root: Preflight and the plan are computed.
final class LSMLabelTests: XCTestCase {
    static let none = LSMHost(apparmor: false, selinux: false)
    static let both = LSMHost(apparmor: true, selinux: true)
    static let label = "system_u:object_r:container_file_t:s0:c1,c2"

    func process() -> Spec.Process {
        Spec.Process(args: ["sh"], apparmorProfile: "nest-test", selinuxLabel: "system_u:system_r:container_t:s0")
    }

    func testWithoutTheModulesTheLabelsAreRefusedNamingFieldAndHost() {
        let errors = LSMHost.unsupported(process(), host: Self.none)
        XCTAssertEqual(errors.map(\.path), ["process.apparmorProfile", "process.selinuxLabel"])
        XCTAssertTrue(errors[0].message.contains("AppArmor is not enabled on this host"), errors[0].message)
        XCTAssertTrue(errors[1].message.contains("SELinux is not enabled on this host"), errors[1].message)
        XCTAssertEqual(LSMHost.unsupported(mountLabel: Self.label, host: Self.none).map(\.path), ["linux.mountLabel"])
    }

    func testWithTheModulesTheLabelsPass() {
        XCTAssertEqual(LSMHost.unsupported(process(), host: Self.both), [])
        XCTAssertEqual(LSMHost.unsupported(mountLabel: Self.label, host: Self.both), [])
        XCTAssertEqual(LSMHost.unsupported(mountLabel: "", host: Self.none), [], "an empty label asks for nothing")
    }

    /// This host, whichever it is: Preflight refuses exactly what it lacks.
    func testPreflightAsksThisHost() throws {
        var spec = try PreflightFieldTests.fixture("runc-spec")
        spec.process!.apparmorProfile = "nest-test"
        spec.process!.selinuxLabel = "system_u:system_r:container_t:s0"
        spec.linux!.mountLabel = Self.label
        let host = LSMHost.current
        var expected: [String] = []
        if !host.apparmor { expected.append("process.apparmorProfile") }
        if !host.selinux { expected += ["process.selinuxLabel", "linux.mountLabel"] }
        XCTAssertEqual(Set(PreflightFieldTests.refusals(spec).map(\.path)), Set(expected))
        if !host.apparmor {
            print("LSMLabelTests: AppArmor is not enabled here: apparmorProfile is refused")
        }
    }

    func testTheLabelsArePlanRecordsOfTheProcess() {
        let out = PlanWriter.processRecords(process(), args: ["sh"], seccomp: nil)
        XCTAssertTrue(out.contains("apparmor-profile\tnest-test\n"), out)
        XCTAssertTrue(out.contains("selinux-label\tsystem_u:system_r:container_t:s0\n"), out)
        let none = PlanWriter.processRecords(Spec.Process(args: ["sh"], apparmorProfile: "", selinuxLabel: ""), args: ["sh"], seccomp: nil)
        XCTAssertFalse(none.contains("apparmor-profile") || none.contains("selinux-label"), none)
    }

    /// mountLabel: `context="LABEL"` on the mounts that take it, not on a
    /// bind mount, proc, sysfs, cgroup or mqueue.
    func testTheMountLabelGoesToTheDataOfTheMountsThatTakeIt() throws {
        var spec = try PreflightFieldTests.fixture("runc-spec")
        spec.linux!.mountLabel = Self.label
        spec.process!.terminal = false
        spec.mounts!.append(Spec.Mount(destination: "/data", type: "bind", source: "/srv", options: ["rbind"]))
        let sub = Translator.translate(spec, options: TranslateOptions(id: "lsm", bundlePath: "/b", rootfsPath: "/b/rootfs"))
        let plan = try PlanWriter.plan(sub, PlanContext(stateDir: "/run/x", syncFD: 3, stdio: .null, cgroupJoinDirs: [],
                                                        cgroupLayout: "none"))
        let mounts = plan.split(separator: "\n").filter { $0.hasPrefix("mount\t") }.map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
        let context = "context=\"\(Self.label)\""
        var seen: Set<String> = []
        for m in mounts {
            let (dest, type, data) = (String(m[1]), String(m[2]), String(m[6]))
            seen.insert(type)
            if ["tmpfs", "devpts"].contains(type) {
                XCTAssertTrue(data.hasSuffix(context), "\(dest): \(data)")
            } else {
                XCTAssertFalse(data.contains("context="), "\(dest) (\(type)): \(data)")
            }
        }
        XCTAssertTrue(seen.isSuperset(of: ["tmpfs", "devpts", "proc", "bind", "mqueue", "sysfs"]), "\(seen)")
    }
}

/// Where the host has AppArmor, the container's program runs in the
/// profile; where it has not, `nest run` and `nest exec --apparmor` fail
/// naming the field and saying it is the host.
final class LSMLabelRunTests: CLITestCase {
    /// A profile the host has loaded (the first listed), or nil.
    func loadedProfile() -> String? {
        guard let text = try? String(contentsOfFile: "/sys/kernel/security/apparmor/profiles", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first.map { String($0.split(separator: " ").first ?? "") }
    }

    func testRunWithAProfile() throws {
        let host = LSMHost.current
        let profile = host.apparmor ? (loadedProfile() ?? "unconfined") : "nest-test"
        let bundle = try makeBundle(["cat", "/proc/self/attr/current"]) { $0.process { $0["apparmorProfile"] = profile } }
        let r = try nest(["run", "--bundle", bundle, uniqueID("aa")])
        if host.apparmor {
            XCTAssertEqual(r.code, 0, r.stderr)
            XCTAssertTrue(r.stdout.hasPrefix(profile), "attr/current: \(r.stdout)")
        } else {
            print("LSMLabelRunTests: AppArmor is not enabled here: checking the refusal only")
            XCTAssertEqual(r.code, 1)
            XCTAssertTrue(r.stderr.contains("process.apparmorProfile: AppArmor is not enabled on this host"), r.stderr)
            XCTAssertEqual(r.stdout, "")
        }
    }

    func testExecApparmorFlag() throws {
        let host = LSMHost.current
        let id = uniqueID("aax")
        XCTAssertEqual(try nest(["run", "-d", "--bundle", try makeBundle(["sleep", "1000"]), id]).code, 0)
        let profile = host.apparmor ? (loadedProfile() ?? "unconfined") : "nest-test"
        let r = try nest(["exec", "--apparmor", profile, id, "cat", "/proc/self/attr/current"])
        if host.apparmor {
            XCTAssertEqual(r.code, 0, r.stderr)
            XCTAssertTrue(r.stdout.hasPrefix(profile), "attr/current: \(r.stdout)")
        } else {
            print("LSMLabelRunTests: AppArmor is not enabled here: checking the refusal only")
            XCTAssertEqual(r.code, 1)
            XCTAssertTrue(r.stderr.contains("--apparmor: AppArmor is not enabled on this host"), r.stderr)
        }
        _ = try nest(["delete", "--force", id])
    }
}
