import NestOCI
import NestSubsystem
import XCTest

/// The routes are the wiring: the hand-written examples of
/// docs/subsystem.md check clean, every mount a process gets comes from its
/// File_system routes, and each kind of bad route is an error naming it.
final class RoutesTests: XCTestCase {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../docs/examples").standardized

    func example(_ name: String) throws -> String {
        try String(contentsOf: Self.examples.appendingPathComponent(name), encoding: .utf8)
            .replacingOccurrences(of: "@ROOTFS@", with: "/srv/rootfs")
            .replacingOccurrences(of: "@VOLUME@", with: "/srv/vol1")
            .replacingOccurrences(of: "@LOG@", with: "/var/log/pod.log")
    }

    func problems(_ text: String) throws -> [SpecError] { try Subsystem.read(xml: text).check() }

    func testExamplesCheckClean() throws {
        XCTAssertEqual(try problems(example("one-container.xml")), [])
        XCTAssertEqual(try problems(example("two-processes.xml")), [])
        XCTAssertEqual(try problems(example("pod.xml")), [])
        let pod = try Subsystem.read(xml: example("two-processes.xml"))
        XCTAssertEqual(pod.processes.map(\.name), ["writer", "reader"])
        XCTAssertEqual(pod.shared, ["network", "uts"])
        XCTAssertFalse(pod.isSingleProcess)
        XCTAssertTrue(try Subsystem.read(xml: example("one-container.xml")).isSingleProcess)
    }

    func testExamplesRoundTripThroughXML() throws {
        for name in ["one-container.xml", "two-processes.xml", "pod.xml"] {
            let model = try Subsystem.read(xml: example(name))
            XCTAssertEqual(try Subsystem.read(xml: model.xml()), model, name)
        }
    }

    func testVolumeRouteGraftsTheServerAtItsLabel() throws {
        let pod = try Subsystem.read(xml: example("two-processes.xml"))
        for process in ["writer", "reader"] {
            let layout = try pod.layout(of: process)
            XCTAssertEqual(layout.root, "/srv/rootfs")
            XCTAssertTrue(layout.readonly)
            XCTAssertEqual(layout.mounts.map(\.destination), ["/proc", "/dev", "/data"])
            XCTAssertEqual(layout.mounts.last, VFSMount(destination: "/data", type: "bind", source: "/srv/vol1", options: ["rbind", "rw"]))
            XCTAssertEqual(layout.devices.map(\.path), ["/dev/null"])
            XCTAssertEqual(layout.log?.file, "/var/log/pod.log")
            XCTAssertEqual(layout.rom?.module("hostname"), "pod")
        }
    }

    func testChangingARouteChangesTheLayout() throws {
        let moved = try example("one-container.xml").replacingOccurrences(of: "label=\"/data\"", with: "label=\"/srv/shared\"")
        let layout = try Subsystem.read(xml: moved).layout(of: "app")
        XCTAssertEqual(layout.mounts.map(\.destination), ["/proc", "/dev", "/srv/shared"])
        // Routed to the rootfs server instead: its whole tree, /proc and /dev
        // included, appears below the label.
        let other = try example("one-container.xml").replacingOccurrences(
            of: "label=\"/data\">\n        <child name=\"vol\"/>", with: "label=\"/data\">\n        <child name=\"rootfs\"/>")
        let sub = try Subsystem.read(xml: other)
        XCTAssertEqual(sub.check(), [SpecError(path: "subsystem/start[vol]", message: "server vol is used by no route")])
        XCTAssertEqual(try sub.layout(of: "app").mounts.map(\.destination), ["/proc", "/dev", "/data", "/data/proc", "/data/dev"])
        XCTAssertEqual(try sub.layout(of: "app").devices.map(\.path), ["/dev/null", "/data/dev/null"])
    }

    func testDeeperLabelsAreMountedAfterShallowerOnes() throws {
        var sub = try Subsystem.read(xml: example("one-container.xml"))
        sub.starts.append(Start(name: "inner", binary: Binary.vfs, provides: [Service.fileSystem],
                                vfs: VFSConfig(root: "/srv/inner", readonly: true), routes: [Route(service: Service.hostFS)]))
        let app = sub.starts.firstIndex { $0.name == "app" }!
        sub.starts[app].routes.insert(Route(service: Service.fileSystem, label: "/data/inner", child: "inner"), at: 0)
        XCTAssertEqual(sub.check(), [])
        let mounts = try sub.layout(of: "app").mounts
        XCTAssertEqual(mounts.map(\.destination), ["/proc", "/dev", "/data", "/data/inner"])
        XCTAssertEqual(mounts.last?.options, ["rbind", "ro"])
    }

    func testBadLabelsAreErrorsNamingTheRoute() throws {
        let cases: [(String, String)] = [
            ("/data/../../etc", "label /data/../../etc escapes the root (..)"),
            ("data", "label data must be an absolute path"),
            ("/data//x", "label /data//x has an empty component"),
            ("/data/./x", "label /data/./x has a '.' component"),
        ]
        for (label, message) in cases {
            let text = try example("one-container.xml").replacingOccurrences(of: "label=\"/data\"", with: "label=\"\(label)\"")
            XCTAssertEqual(try problems(text), [SpecError(path: "subsystem/start[app]/route", message: message)], label)
        }
    }

    func testTwoRoutesForOneLabel() throws {
        let text = try example("one-container.xml").replacingOccurrences(of: "label=\"/data\"", with: "label=\"/\"")
        XCTAssertEqual(try problems(text), [SpecError(path: "subsystem/start[app]/route",
                                                      message: "session File_system with label / routed twice")])
    }

    func testFileSystemRouteNeedsALabelAndARoot() throws {
        let unlabeled = try example("one-container.xml").replacingOccurrences(of: " label=\"/data\"", with: "")
        XCTAssertEqual(try problems(unlabeled), [SpecError(path: "subsystem/start[app]/route",
            message: "session File_system needs a label: where the server appears (\"/\" for the root)")])
        let rootless = try example("one-container.xml").replacingOccurrences(of: "label=\"/\"", with: "label=\"/x\"")
        XCTAssertEqual(try problems(rootless), [SpecError(path: "subsystem/start[app]/route",
            message: "no File_system session with label \"/\" (the process's root)")])
    }

    func testRouteToAServerThatIsNotAVFS() throws {
        let text = try example("one-container.xml").replacingOccurrences(
            of: "label=\"/data\">\n        <child name=\"vol\"/>", with: "label=\"/data\">\n        <child name=\"rom\"/>")
        let found = try problems(text)
        XCTAssertTrue(found.contains(SpecError(path: "subsystem/start[app]/route",
                                               message: "session File_system is routed to rom, which does not provide it")), "\(found)")
        XCTAssertTrue(found.contains(SpecError(path: "subsystem/start[vol]", message: "server vol is used by no route")), "\(found)")
    }

    func testLogAndROMCannotComeFromTheParent() throws {
        let text = try example("one-container.xml").replacingOccurrences(
            of: "<service name=\"ROM\">\n        <child name=\"rom\"/>", with: "<service name=\"ROM\">\n        <parent/>")
        let found = try problems(text)
        XCTAssertTrue(found.contains(SpecError(path: "subsystem/start[app]/route",
                                               message: "session ROM is routed to the parent, which does not provide it")), "\(found)")
    }

    func testSharedNamespaceIsNotTheProcesss() throws {
        let text = try example("two-processes.xml").replacingOccurrences(
            of: "<namespace type=\"ipc\"/>\n      <process cwd=\"/\">\n        <user uid=\"0\" gid=\"0\"/>\n        <arg value=\"sh\"/>\n        <arg value=\"-c\"/>\n        <arg value=\"while",
            with: "<namespace type=\"network\"/>\n      <process cwd=\"/\">\n        <user uid=\"0\" gid=\"0\"/>\n        <arg value=\"sh\"/>\n        <arg value=\"-c\"/>\n        <arg value=\"while")
        XCTAssertEqual(try problems(text), [SpecError(path: "subsystem/start[reader]/config/namespace[2]@type",
                                                      message: "namespace network is the subsystem's (<share>); the process joins it")])
        let pid = try example("two-processes.xml").replacingOccurrences(of: "<share namespace=\"uts\"/>", with: "<share namespace=\"pid\"/>")
        XCTAssertTrue(try problems(pid).contains(SpecError(path: "subsystem/share[1]@namespace",
                                                           message: "a subsystem can share network, ipc, uts, not 'pid'")))
    }

    func testQuotaTreeChildAskingMoreThanItsParentNamesBoth() throws {
        let text = try example("two-processes.xml").replacingOccurrences(
            of: "<cgroup path=\"/nest/pod/reader\"/>\n    <resource name=\"RAM\" limit=\"134217728\"/>",
            with: "<cgroup path=\"/nest/pod/reader\"/>\n    <resource name=\"RAM\" limit=\"536870912\"/>")
        XCTAssertEqual(try problems(text), [SpecError(path: "subsystem/start[reader]/resource[RAM]",
                                                      message: "asks 536870912, more than the subsystem's RAM limit 268435456")])
        let unlimited = try example("two-processes.xml").replacingOccurrences(
            of: "<cgroup path=\"/nest/pod/writer\"/>\n    <resource name=\"RAM\" limit=\"134217728\"/>\n    <resource name=\"PIDS\" limit=\"64\"/>",
            with: "<cgroup path=\"/nest/pod/writer\"/>\n    <resource name=\"RAM\" limit=\"134217728\"/>")
        XCTAssertEqual(try problems(unlimited), [SpecError(path: "subsystem/start[writer]/resource[PIDS]",
                                                           message: "asks no limit, more than the subsystem's PIDS limit 128")])
        let outside = try example("two-processes.xml").replacingOccurrences(of: "/nest/pod/writer", with: "/elsewhere/writer")
        XCTAssertEqual(try problems(outside), [SpecError(path: "subsystem/start[writer]/cgroup@path",
                                                         message: "/elsewhere/writer is not below the subsystem's cgroup /nest/pod")])
    }

    func testASubsystemNeedsAProcess() throws {
        let sub = Subsystem(name: "empty", ociVersion: "1.2.0")
        XCTAssertEqual(sub.check(), [SpecError(path: "subsystem", message: "has no process (a start node running nest-init)")])
    }
}

extension RoutesTests {
    func testAGraftedServerCannotClimbOutOfItsLabel() throws {
        var sub = try Subsystem.read(xml: example("one-container.xml"))
        let vol = sub.starts.firstIndex { $0.name == "vol" }!
        sub.starts[vol].vfs?.mounts = [VFSMount(destination: "/../etc", type: "tmpfs", source: "tmpfs")]
        XCTAssertEqual(sub.check(), [SpecError(path: "subsystem/start[app]/route",
                                               message: "server vol is grafted at /data but has a path with '..', which would leave it")])
    }
}
