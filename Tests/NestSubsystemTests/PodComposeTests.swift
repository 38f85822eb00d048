import NestOCI
import NestSubsystem
import XCTest

/// A pod grows one container at a time: each translated container's servers
/// are renamed after it, it routes to the pod's ROM, joins the pod's shared
/// namespaces, and its cgroup is a child of the pod's quota node.
final class PodComposeTests: XCTestCase {
    /// The one-container example: a subsystem of one process, as a
    /// translated bundle is (with its own network, UTS and IPC namespaces).
    func single() throws -> Subsystem {
        let text = try String(contentsOf: RoutesTests.examples.appendingPathComponent("one-container.xml"), encoding: .utf8)
            .replacingOccurrences(of: "@ROOTFS@", with: "/srv/rootfs")
            .replacingOccurrences(of: "@VOLUME@", with: "/srv/vol1")
        return try Subsystem.read(xml: text)
    }

    func pod(memory: Int64? = 64 << 20) -> Subsystem {
        Subsystem.pod(name: "p1", hostname: "podhost",
                      quota: Subsystem.quota(cgroupsPath: "/nest/p1", memory: memory, cpus: 0.5, pids: 100))
    }

    func testContainersAreAddedUnderThePodsNamesROMAndQuota() throws {
        var p = pod()
        var first = try single()
        first.starts[first.starts.firstIndex { $0.name == "app" }!].container?.resources.memory = nil
        try p.addContainer(first, as: "a", logFile: "/logs/a")
        var second = try single()
        second.starts[second.starts.firstIndex { $0.name == "app" }!].container?.resources.memory?.limit = 32 << 20
        try p.addContainer(second, as: "b", logFile: "/logs/b")
        XCTAssertEqual(p.check(), [])
        XCTAssertEqual(p.processes.map(\.name), ["a", "b"])
        XCTAssertEqual(p.starts.map(\.name), ["rom", "a.rootfs", "a.vol", "a", "b.rootfs", "b.vol", "b"])
        let a = try XCTUnwrap(p.start("a")?.container)
        XCTAssertEqual(a.namespaces.map(\.type), ["pid", "mount"], "network, UTS and IPC are the pod's")
        XCTAssertEqual(a.resources.cgroupsPath, "/nest/p1/a")
        XCTAssertEqual(a.resources.memory?.limit, 64 << 20, "no limit of its own: the pod's")
        XCTAssertEqual(p.start("b")?.container?.resources.memory?.limit, 32 << 20)
        XCTAssertEqual(a.resources.pids?.limit, 100, "a limit the container does not give is the pod's")
        XCTAssertEqual(a.resources.cpu?.quota, 50_000)
        XCTAssertEqual(try p.layout(of: "b").rom?.module("hostname"), "podhost")
        XCTAssertEqual(try p.layout(of: "a").root, "/srv/rootfs")
        // a name taken is an error naming it; nothing changes
        let before = p
        XCTAssertThrowsError(try p.addContainer(first, as: "a", logFile: nil)) { e in
            XCTAssertEqual((e as? SpecError)?.path, "subsystem/start[a]")
        }
        XCTAssertEqual(p, before)
        XCTAssertEqual(try Subsystem.read(xml: p.xml()), p, "round-trips")
    }

    func testAChildAboveItsParentIsAnErrorNamingBoth() throws {
        var p = pod()
        var big = try single()
        let i = big.starts.firstIndex { $0.name == "app" }!
        big.starts[i].container?.resources.memory?.limit = 128 << 20
        try p.addContainer(big, as: "big", logFile: nil)
        let errors = p.check()
        XCTAssertEqual(errors.map(\.path), ["subsystem/start[big]/resource[RAM]"])
        XCTAssertTrue(errors.first?.message.contains("134217728") == true && errors.first?.message.contains("67108864") == true,
                      "\(errors)")
    }

    func testRemovingAProcessDropsWhatOnlyItUsedButThePodsROM() throws {
        var p = pod(memory: nil)
        try p.addContainer(try single(), as: "a", logFile: nil)
        try p.addContainer(try single(), as: "b", logFile: nil)
        p.removeProcess("a")
        XCTAssertEqual(p.starts.map(\.name), ["rom", "b.rootfs", "b.vol", "b"])
        XCTAssertEqual(p.check(), [])
        p.removeProcess("b")
        XCTAssertEqual(p.starts.map(\.name), ["rom"])
    }
}
