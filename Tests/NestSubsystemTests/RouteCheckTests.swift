import NestOCI
import NestSubsystem
import XCTest

final class RouteCheckTests: XCTestCase {
    /// The translation of a small spec as XML, edited by text so that each
    /// test reads like the hand-written config a user would check.
    func xml() -> String {
        let spec = Spec(ociVersion: "1.2.0", root: Spec.Root(path: "rootfs"), process: Spec.Process(args: ["sh"], cwd: "/"),
                        hostname: "h", linux: Spec.Linux(namespaces: [Spec.Linux.Namespace(type: "pid"), Spec.Linux.Namespace(type: "uts")]))
        return Translator.translate(spec, options: TranslateOptions(id: "c", bundlePath: "/b", rootfsPath: "/b/rootfs",
                                                                   logFile: "/var/log/c.log")).xml()
    }

    func problems(_ text: String) throws -> [SpecError] { try Subsystem.read(xml: text).check() }

    func testTranslatedConfigIsClean() throws {
        XCTAssertEqual(try problems(xml()), [])
    }

    func testSessionWithoutRouteIsAnError() throws {
        let text = xml().replacingOccurrences(of: "      <service name=\"PD\">\n        <parent/>\n      </service>\n", with: "")
        XCTAssertEqual(try problems(text), [SpecError(path: "subsystem/start[init]/route", message: "session PD has no route to a provider")])
    }

    func testServerNobodyUsesIsAnError() throws {
        let text = xml().replacingOccurrences(of: "      <service name=\"ROM\">\n        <child name=\"rom\"/>\n      </service>\n", with: "")
        XCTAssertEqual(try problems(text), [SpecError(path: "subsystem/start[rom]", message: "server rom is used by no route")])
    }

    func testRouteToAChildThatDoesNotProvideTheService() throws {
        let text = xml().replacingOccurrences(of: "<service name=\"LOG\">\n        <child name=\"log\"/>",
                                              with: "<service name=\"LOG\">\n        <child name=\"rom\"/>")
        XCTAssertEqual(try problems(text), [SpecError(path: "subsystem/start[init]/route",
                                                      message: "session LOG is routed to rom, which does not provide it"),
                                            SpecError(path: "subsystem/start[log]", message: "server log is used by no route")])
    }

    func testRouteToAMissingChild() throws {
        let text = xml().replacingOccurrences(of: "<child name=\"vfs\"/>", with: "<child name=\"fs\"/>")
        XCTAssertEqual(try problems(text), [SpecError(path: "subsystem/start[init]/route",
                                                      message: "session File_system is routed to fs, which is not a start node"),
                                            SpecError(path: "subsystem/start[vfs]", message: "server vfs is used by no route")])
    }

    func testRouteToParentThatDoesNotProvide() throws {
        let text = xml().replacingOccurrences(of: "    <service name=\"PD\"/>\n", with: "")
        XCTAssertEqual(try problems(text), [SpecError(path: "subsystem/start[init]/route",
                                                      message: "session PD is routed to the parent, which does not provide it")])
    }

    func testDuplicateStartNamesAndMissingInit() throws {
        let text = xml().replacingOccurrences(of: "<start name=\"rom\">", with: "<start name=\"log\">")
            .replacingOccurrences(of: "<child name=\"rom\"/>", with: "<child name=\"log\"/>")
        let found = try problems(text)
        XCTAssertTrue(found.contains(SpecError(path: "subsystem/start[log]", message: "start name given twice")), "\(found)")
    }

    func testShapeErrorsNameTheAttribute() throws {
        let text = xml().replacingOccurrences(of: "<process cwd=\"/\"", with: "<process cwd=\"relative\"")
            .replacingOccurrences(of: "<namespace type=\"uts\"/>", with: "<namespace type=\"pid\"/>")
        let found = try problems(text)
        XCTAssertTrue(found.contains(SpecError(path: "subsystem/start[init]/config/process@cwd", message: "must be an absolute path")))
        XCTAssertTrue(found.contains(SpecError(path: "subsystem/start[init]/config/namespace[1]@type", message: "namespace pid given twice")))
    }

    func testUnknownAttributeAndElementAreRefused() {
        let typo = xml().replacingOccurrences(of: "<process cwd=\"/\"", with: "<process cwdir=\"/\" cwd=\"/\"")
        XCTAssertThrowsError(try Subsystem.read(xml: typo)) { error in
            XCTAssertEqual(error as? SpecError, SpecError(path: "subsystem/start[init]/config/process@cwdir", message: "unknown attribute"))
        }
        let element = xml().replacingOccurrences(of: "<binary name=\"rom\"/>", with: "<binary name=\"rom\"/>\n<bogus/>")
        XCTAssertThrowsError(try Subsystem.read(xml: element)) { error in
            XCTAssertEqual((error as? SpecError)?.path, "subsystem/start[rom]/bogus")
        }
    }

    func testBadNumberNamesItsAttribute() {
        let text = xml().replacingOccurrences(of: "<user uid=\"0\"", with: "<user uid=\"-1\"")
        XCTAssertThrowsError(try Subsystem.read(xml: text)) { error in
            XCTAssertEqual(error as? SpecError, SpecError(path: "subsystem/start[init]/config/process/user@uid",
                                                          message: "'-1' is not a valid UInt32"))
        }
    }
}
