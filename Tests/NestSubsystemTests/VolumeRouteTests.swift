import NestOCI
import NestSubsystem
import XCTest

/// What a runner adds for `-v` and `--tmpfs`: a named volume is a vfs
/// server of its own that the process routes to at the mount point (so the
/// config shows the sharing), binds and tmpfs mounts join the root server's.
final class VolumeRouteTests: XCTestCase {
    func bundleLike() -> Subsystem {
        Subsystem(name: "c1", ociVersion: "1.2.0", starts: [
            Start(name: "vfs", binary: Binary.vfs, provides: [Service.fileSystem], vfs: VFSConfig(root: "/b/rootfs"),
                  routes: [Route(service: Service.hostFS)]),
            Start(name: "init", binary: Binary.initProcess, container: ContainerConfig(),
                  routes: [Route(service: Service.fileSystem, label: "/", child: "vfs"), Route(service: Service.pd),
                           Route(service: Service.cgroup)]),
        ])
    }

    func testAVolumeIsAServerRoutedAtTheMountPoint() throws {
        var sub = bundleLike()
        XCTAssertEqual(sub.attachVolume("data", root: "/v/data/_data", at: "/data", readonly: false), "volume-data")
        XCTAssertEqual(sub.attachVolume("data", root: "/v/data/_data", at: "/again", readonly: false), "volume-data")
        XCTAssertEqual(sub.attachVolume("data", root: "/v/data/_data", at: "/ro", readonly: true), "volume-data-ro")
        XCTAssertEqual(sub.check(), [])
        XCTAssertEqual(sub.starts.map(\.name), ["vfs", "volume-data", "volume-data-ro", "init"])
        XCTAssertEqual(sub.start("volume-data")?.vfs, VFSConfig(root: "/v/data/_data"))
        XCTAssertEqual(sub.start("volume-data-ro")?.vfs?.readonly, true)
        XCTAssertEqual(sub.start("init")?.routes.filter { $0.service == Service.fileSystem }.map { "\($0.label!)=\($0.child!)" },
                       ["/=vfs", "/data=volume-data", "/again=volume-data", "/ro=volume-data-ro"])

        // the launcher's view: each label a bind of the volume, ro where the server is
        let layout = try sub.layout(of: "init")
        XCTAssertEqual(layout.mounts.map { "\($0.destination) \($0.source) \($0.options.joined(separator: ","))" },
                       ["/data /v/data/_data rbind,rw", "/again /v/data/_data rbind,rw", "/ro /v/data/_data rbind,ro"])
        // and it round-trips through the XML nestctl subsystem prints
        XCTAssertEqual(try Subsystem.read(xml: sub.xml()), sub)
    }

    func testBindsAndTmpfsJoinTheRootServer() throws {
        var sub = bundleLike()
        sub.addRootMount(VFSMount(destination: "/h", type: "bind", source: "/srv/h", options: ["rbind", "ro"]))
        sub.addRootMount(VFSMount(destination: "/t", type: "tmpfs", source: "tmpfs", options: ["nosuid", "nodev", "size=1m"]))
        XCTAssertEqual(sub.start("vfs")?.vfs?.mounts.map(\.destination), ["/h", "/t"])
        XCTAssertEqual(sub.rootDirectory(), "/b/rootfs")
        XCTAssertEqual(sub.check(), [])
    }
}
