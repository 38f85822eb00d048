import NestOCI
import NestSubsystem
import XCTest

final class TranslatorTests: XCTestCase {
    func spec(_ edit: (inout Spec) -> Void = { _ in }) -> Spec {
        var s = Spec(ociVersion: "1.2.0", root: Spec.Root(path: "rootfs"),
                     process: Spec.Process(args: ["sh"], cwd: "/"), hostname: "box",
                     linux: Spec.Linux(namespaces: [Spec.Linux.Namespace(type: "pid"), Spec.Linux.Namespace(type: "uts"),
                                                    Spec.Linux.Namespace(type: "mount")]))
        edit(&s)
        return s
    }

    func translate(_ s: Spec, id: String = "c1") -> Subsystem {
        Translator.translate(s, options: TranslateOptions(id: id, bundlePath: "/b", rootfsPath: "/b/rootfs"))
    }

    func testComponentsAndRoutes() {
        let sub = translate(spec())
        // Without a log file the process's stdio is its runner's: no log server.
        XCTAssertEqual(sub.starts.map(\.name), ["vfs", "rom", "init"])
        XCTAssertEqual(sub.start("rom")?.rom?.module("hostname"), "box")
        let initNode = sub.processes.first!
        XCTAssertEqual(initNode.routes.first { $0.service == Service.fileSystem }, Route(service: Service.fileSystem, label: "/", child: "vfs"))
        let logged = Translator.translate(spec(), options: TranslateOptions(id: "c", bundlePath: "/b", rootfsPath: "/b/rootfs", logFile: "/l"))
        XCTAssertEqual(logged.starts.map(\.name), ["vfs", "log", "rom", "init"])
        XCTAssertEqual(logged.start("log")?.log?.file, "/l")
        XCTAssertEqual(try logged.layout(of: "init").log?.file, "/l")
        XCTAssertEqual(logged.check(), [])
        XCTAssertEqual(initNode.container?.process?.args, ["sh"])
        XCTAssertEqual(sub.check(), [])
    }

    func testDefaultCgroupPathIsUnderNest() {
        XCTAssertEqual(translate(spec(), id: "abc").start("init")?.container?.resources.cgroupsPath, "/nest/abc")
        XCTAssertEqual(translate(spec { $0.linux?.cgroupsPath = "rel/x" }).start("init")?.container?.resources.cgroupsPath, "/rel/x")
        XCTAssertEqual(translate(spec { $0.linux?.cgroupsPath = "a.slice:p:n" }).start("init")?.container?.resources.cgroupsPath, "a.slice:p:n")
    }

    func testDefaultDevicesAndLinks() {
        let vfs = translate(spec()).start("vfs")!.vfs!
        XCTAssertEqual(vfs.devices.map(\.path), ["/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"])
        XCTAssertTrue(vfs.symlinks.contains(VFSSymlink(target: "/proc/self/fd", path: "/dev/fd")))
        XCTAssertFalse(vfs.symlinks.contains { $0.path == "/dev/ptmx" }, "no /dev/ptmx link without a devpts mount")
        let devices = translate(spec()).start("init")!.container!.resources.devices
        XCTAssertEqual(devices.first, Spec.Linux.Resources.DeviceRule(allow: false, access: "rwm"))
        XCTAssertTrue(devices.contains(Spec.Linux.Resources.DeviceRule(allow: true, type: "c", major: 1, minor: 3, access: "rwm")))
    }

    func testSpecDeviceReplacesTheDefaultOfTheSamePath() {
        let s = spec { $0.linux?.devices = [Spec.Linux.Device(type: "c", path: "/dev/null", major: 1, minor: 3, fileMode: 0o600)] }
        let devices = translate(s).start("vfs")!.vfs!.devices
        XCTAssertEqual(devices.filter { $0.path == "/dev/null" }.count, 1)
        XCTAssertEqual(devices.first { $0.path == "/dev/null" }?.mode, 0o600)
    }

    func testBindMountWithoutTypeIsABind() {
        let s = spec { $0.mounts = [Spec.Mount(destination: "/data", source: "/srv", options: ["rbind", "ro"])] }
        let m = translate(s).start("vfs")!.vfs!.mounts[0]
        XCTAssertEqual(m.type, "bind")
        XCTAssertTrue(m.isBind)
    }

    func testJoinedNamespaceAndHooksNeedHostRoutes() {
        let s = spec {
            $0.linux?.namespaces?.append(Spec.Linux.Namespace(type: "network", path: "/run/netns/x"))
            $0.hooks = Spec.Hooks(poststop: [Spec.Hook(path: "/bin/true")])
        }
        let initNode = translate(s).start("init")!
        XCTAssertTrue(initNode.routes.contains(Route(service: Service.namespace)))
        XCTAssertTrue(initNode.routes.contains(Route(service: Service.hook)))
        XCTAssertEqual(translate(s).check(), [])
    }

    func testEmptyListsBecomeAbsentSoXMLRoundTrips() throws {
        let s = spec { $0.process?.env = []; $0.process?.rlimits = [] }
        let sub = translate(s)
        XCTAssertNil(sub.start("init")?.container?.process?.env)
        XCTAssertEqual(try Subsystem.read(xml: sub.xml()), sub)
    }

    func testValuesWithNewlinesQuotesAndTabsRoundTrip() throws {
        let s = spec {
            $0.process?.env = ["A=line one\nline two", "B=\"quoted\" & <tagged>", "C=tab\there", "D=ünïcödé ✓"]
            $0.annotations = ["k": "v\r\n"]
        }
        let sub = translate(s)
        let back = try Subsystem.read(xml: sub.xml())
        XCTAssertEqual(back, sub)
        XCTAssertEqual(back.xml(), sub.xml())
    }
}
