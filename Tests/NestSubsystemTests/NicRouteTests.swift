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
        let text = """
        <subsystem name="pod" version="1" oci-version="1.2.0">
          <parent-provides><service name="PD"/><service name="CGROUP"/><service name="HOST_FS"/><service name="HOST_NET"/></parent-provides>
          <share namespace="network" nic="net-web"/>
          <start name="net-web"><binary name="net"/><provides><service name="Nic"/></provides>
            <config><net network="web" netns="/run/nest/.nestd/netns/pod"/></config>
            <route><service name="HOST_NET"><parent/></service></route></start>
          <start name="fs"><binary name="vfs"/><provides><service name="File_system"/></provides>
            <config><vfs root="/r"/></config><route><service name="HOST_FS"><parent/></service></route></start>
          <start name="app"><binary name="nest-init"/><config><process cwd="/"><arg value="sh"/></process></config>
            <route><service name="File_system" label="/"><child name="fs"/></service>
              <service name="PD"><parent/></service><service name="CGROUP"><parent/></service></route></start>
        </subsystem>
        """
        let sub = try Subsystem.read(xml: text)
        XCTAssertEqual(sub.sharedNic, "net-web")
        XCTAssertEqual(sub.check(), [])
        XCTAssertEqual(try Subsystem.read(xml: sub.xml()), sub)
        // a Nic on a process of a shared network is an error naming it
        let routed = text.replacingOccurrences(of: "<service name=\"CGROUP\"><parent/></service></route></start>\n</subsystem>",
                                               with: "<service name=\"CGROUP\"><parent/></service><service name=\"Nic\"><child name=\"net-web\"/></service></route></start>\n</subsystem>")
        XCTAssertEqual(try Subsystem.read(xml: routed).check().map(\.path), ["subsystem/start[app]/route"])
        let wrong = text.replacingOccurrences(of: "nic=\"net-web\"", with: "nic=\"fs\"")
        XCTAssertEqual(try Subsystem.read(xml: wrong).check(), [
            SpecError(path: "subsystem/share[0]@nic", message: "fs is not a net server providing Nic"),
            SpecError(path: "subsystem/start[net-web]", message: "server net-web is used by no route"),
        ])
        XCTAssertThrowsError(try Subsystem.read(xml: text.replacingOccurrences(of: "<share namespace=\"network\" nic", with: "<share namespace=\"ipc\" nic")))
    }
}
