import Foundation
import Glibc
import NestOCI
import XCTest
@testable import NestRuntime

/// A capability the host cannot give (not in its bounding set, or beyond
/// the kernel's last) is dropped with a warning naming the field, not a
/// failed create (runtime-spec 1.1+). No root: the sets are computed.
final class HostCapabilityDropTests: XCTestCase {
    static let all = ["CAP_NET_ADMIN", "CAP_SYS_RESOURCE", "CAP_KILL"]
    /// Every capability up to CAP_CHECKPOINT_RESTORE but CAP_SYS_RESOURCE (24).
    static let noSysResource = HostCapabilities(bounding: ((1 << 41) - 1) & ~(1 << 24), lastCap: 40)

    func capsInEverySet() -> Spec.Process.Capabilities {
        .init(bounding: Self.all, effective: Self.all, inheritable: Self.all, permitted: Self.all, ambient: Self.all)
    }

    func testACapabilityNotInTheBoundingSetIsDroppedFromEverySetWithOneWarning() {
        var caps = capsInEverySet()
        let warnings = Self.noSysResource.drop(from: &caps, userNamespace: false)
        XCTAssertEqual(warnings, ["process.capabilities.bounding: CAP_SYS_RESOURCE is not in this host's bounding set; dropped"])
        for (set, names) in caps.all { XCTAssertEqual(names, ["CAP_NET_ADMIN", "CAP_KILL"], set) }
    }

    func testTheWarningNamesTheFirstSetThatListsIt() {
        var caps = Spec.Process.Capabilities(effective: ["CAP_SYS_RESOURCE"], permitted: ["CAP_SYS_RESOURCE"])
        XCTAssertEqual(Self.noSysResource.drop(from: &caps, userNamespace: false),
                       ["process.capabilities.effective: CAP_SYS_RESOURCE is not in this host's bounding set; dropped"])
        XCTAssertEqual(caps.effective, [])
        XCTAssertNil(caps.bounding, "a set the config left out stays out")
    }

    func testACapabilityThisKernelDoesNotKnowIsDroppedEvenInAUserNamespace() {
        var caps = Spec.Process.Capabilities(bounding: ["CAP_BPF", "CAP_CHOWN"], permitted: ["CAP_BPF"])
        let old = HostCapabilities(bounding: (1 << 38) - 1, lastCap: 37)
        XCTAssertEqual(old.drop(from: &caps, userNamespace: true),
                       ["process.capabilities.bounding: CAP_BPF is not known to this kernel (cap_last_cap is 37); dropped"])
        XCTAssertEqual(caps.bounding, ["CAP_CHOWN"])
        XCTAssertEqual(caps.permitted, [])
    }

    /// Entering a user namespace gives the full bounding set, relative to it.
    func testInAUserNamespaceTheHostsBoundingSetDoesNotCount() {
        var process = Spec.Process(user: .init(uid: 0, gid: 0), cwd: "/", capabilities: capsInEverySet())
        let warnings = HostCapabilities.fit(&process, namespaces: [.init(type: "user")], host: Self.noSysResource)
        XCTAssertEqual(warnings, [])
        XCTAssertEqual(process.capabilities, capsInEverySet())
    }

    func testAnUnknownNameStaysAValidationError() {
        var process = Spec.Process(user: .init(uid: 0, gid: 0), args: ["sh"], cwd: "/",
                                   capabilities: .init(bounding: ["CAP_NOT_ONE"]))
        XCTAssertEqual(Self.noSysResource.drop(from: &process.capabilities!, userNamespace: false), [])
        XCTAssertEqual(process.validate().map(\.path), ["process.capabilities.bounding[0]"])
    }

    func testThisHostIsRead() throws {
        let host = try XCTUnwrap(HostCapabilities.current())
        let last = try String(contentsOfFile: "/proc/sys/kernel/cap_last_cap", encoding: .utf8)
        XCTAssertEqual(String(host.lastCap), last.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertNotEqual(host.bounding, 0)
    }
}
