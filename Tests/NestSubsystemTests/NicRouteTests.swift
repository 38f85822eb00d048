import NestOCI
import NestSubsystem
import XCTest

/// The Nic route: a process routed to a `net` server runs in the server's
/// network namespace file; the checks name the node at fault.
final class NicRouteTests: XCTestCase {
    func translated(network: Bool = true) -> Subsystem {
        var ns = [Spec.Linux.Namespace(type: "pid"), Spec.Linux.Namespace(type: "mount")]
        if network { ns.append(Spec.Linux.Namespace(type: "network")) }
        let spec = Spec(ociVersion: "1.2.0", root: Spec.Root(path: "rootfs"), process: Spec.Process(args: ["sh"], cwd: "/"),
                        linux: Spec.Linux(namespaces: ns))
        return Translator.translate(spec, options: TranslateOptions(id: "c", bundlePath: "/b", rootfsPath: "/b/rootfs"))
    }

    func testAttachedNetworkIsAServerAndANicRouteThatTheLayoutJoins() throws {
        var sub = translated()
        sub.attachNetwork("web", netns: "/run/nest/.nestd/netns/c", address: "10.201.7.5/24")
        XCTAssertEqual(sub.check(), [])
        let server = try XCTUnwrap(sub.start("net-web"))
        XCTAssertEqual(server.binary, "net")
        XCTAssertEqual(server.provides, ["Nic"])
        XCTAssertTrue(sub.parentProvides.contains("HOST_NET"))
        // the process lists no network namespace of its own any more
        XCTAssertFalse(sub.processes[0].container?.namespaces.contains { $0.type == "network" } ?? true)
        let layout = try sub.layout(of: "init")
        XCTAssertEqual(layout.container.namespaces.filter { $0.type == "network" },
                       [Spec.Linux.Namespace(type: "network", path: "/run/nest/.nestd/netns/c")])
        // the XML round-trips, the wiring visible
        let xml = sub.xml()
        XCTAssertTrue(xml.contains("<net network=\"web\" netns=\"/run/nest/.nestd/netns/c\" address=\"10.201.7.5/24\"/>"), xml)
        XCTAssertTrue(xml.contains("<service name=\"Nic\">\n        <child name=\"net-web\"/>"), xml)
        XCTAssertEqual(try Subsystem.read(xml: xml), sub)
    }

    func testProcessWithANicRouteListsNoNetworkNamespace() throws {
        var sub = translated()
        sub.attachNetwork("web", netns: "/run/n/c", address: nil)
        let i = try XCTUnwrap(sub.starts.firstIndex { $0.name == "init" })
        sub.starts[i].container?.namespaces.append(Spec.Linux.Namespace(type: "network"))
        let n = (sub.starts[i].container?.namespaces.count ?? 0) - 1
        XCTAssertEqual(sub.check(), [SpecError(path: "subsystem/start[init]/config/namespace[\(n)]@type",
                                               message: "the process has a Nic route: it runs in the net server's network namespace and lists none of its own")])
    }

    func testNicRouteToAServerThatIsNotANetServer() throws {
        var sub = translated(network: false)
        let i = try XCTUnwrap(sub.starts.firstIndex { $0.name == "init" })
        sub.starts[i].routes.append(Route(service: "Nic", child: "vfs"))
        XCTAssertEqual(sub.check(), [SpecError(path: "subsystem/start[init]/route", message: "session Nic is routed to vfs, which does not provide it")])
        sub.starts[i].routes.removeLast()
        sub.starts[i].routes.append(Route(service: "Nic"))
        XCTAssertTrue(sub.check().contains(SpecError(path: "subsystem/start[init]/route",
                                                     message: "session Nic is routed to a net server (<child name=...>), not the parent")))
    }

    func testNetServerShapeIsChecked() throws {
        var sub = translated(network: false)
        sub.attachNetwork("web", netns: "relative", address: nil)
        XCTAssertEqual(sub.check(), [SpecError(path: "subsystem/start[net-web]/config/net@netns", message: "must be an absolute path")])
        let text = sub.xml().replacingOccurrences(of: "<binary name=\"net\"/>", with: "<binary name=\"vfs\"/>")
        XCTAssertThrowsError(try Subsystem.read(xml: text))
    }

    func testTwoNetworksOfOneProcessShareItsNamespaceFile() throws {
        var sub = translated()
        sub.attachNetwork("a", netns: "/run/n/c", address: nil)
        sub.attachNetwork("b", netns: "/run/n/c", address: nil)
        XCTAssertEqual(sub.check(), [])
        XCTAssertEqual(sub.networks.sorted(), ["a", "b"])
        XCTAssertEqual(try Subsystem.read(xml: sub.xml()), sub)
        let i = try XCTUnwrap(sub.starts.firstIndex { $0.name == "net-b" })
        sub.starts[i].net?.netns = "/run/n/other"
        XCTAssertEqual(sub.check().map(\.path), ["subsystem/start[init]/route"])
    }

    func testSharedNetworkTakesTheNicOnShare() throws {
        var sub = translated(network: false)
        sub.shared = ["network"]
        sub.attachNetwork("web", netns: "/run/nest/.nestd/netns/pod", address: nil)
        XCTAssertEqual(sub.sharedNic, "net-web")
        XCTAssertFalse(sub.processes[0].routes.contains { $0.service == "Nic" }, "the holder joins it, not the process")
        XCTAssertEqual(sub.check(), [])
        let xml = sub.xml()
        XCTAssertTrue(xml.contains("<share namespace=\"network\" nic=\"net-web\"/>"), xml)
        XCTAssertEqual(try Subsystem.read(xml: xml), sub)

        // a Nic on a process of a shared network is an error naming it
        var routed = sub
        let i = try XCTUnwrap(routed.starts.firstIndex { $0.name == "init" })
        routed.starts[i].routes.append(Route(service: "Nic", child: "net-web"))
        XCTAssertEqual(routed.check().map(\.path), ["subsystem/start[init]/route"])
        var wrong = sub
        wrong.sharedNic = "vfs"
        XCTAssertEqual(wrong.check(), [
            SpecError(path: "subsystem/share[0]@nic", message: "vfs is not a net server providing Nic"),
            SpecError(path: "subsystem/start[net-web]", message: "server net-web is used by no route"),
        ])
        XCTAssertThrowsError(try Subsystem.read(xml: xml.replacingOccurrences(of: "<share namespace=\"network\" nic", with: "<share namespace=\"ipc\" nic")))
    }
}
