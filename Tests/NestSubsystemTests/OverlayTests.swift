import Foundation
import NestOCI
import NestSubsystem
import XCTest

/// The vfs server's <overlay> (an image's rootfs): translation, the XML
/// written and read back exactly, and what check() and layout() refuse.
final class OverlayTests: XCTestCase {
    static let golden = "image-overlay.subsystem.xml"
    static let overlay = VFSOverlay(upper: "/var/lib/nest/containers/c1/bundle/upper", work: "/var/lib/nest/containers/c1/bundle/work",
                                    layers: [VFSLayer(chain: "sha256:" + String(repeating: "1", count: 64),
                                                      path: "/var/lib/nest/images/layers/sha256/" + String(repeating: "1", count: 64)),
                                             VFSLayer(chain: "sha256:" + String(repeating: "2", count: 64),
                                                      path: "/var/lib/nest/images/layers/sha256/" + String(repeating: "2", count: 64))])

    static func translated(_ overlay: VFSOverlay? = OverlayTests.overlay) -> Subsystem {
        var spec = Spec.default()
        spec.root = Spec.Root(path: "/var/lib/nest/containers/c1/bundle/rootfs", readonly: false)
        spec.process?.terminal = false
        return Translator.translate(spec, options: TranslateOptions(
            id: "c1", bundlePath: "/var/lib/nest/containers/c1/bundle", rootfsPath: "/var/lib/nest/containers/c1/bundle/rootfs",
            overlay: overlay))
    }

    func testTranslationMatchesGoldenXML() throws {
        let xml = Self.translated().xml()
        if ProcessInfo.processInfo.environment["NEST_UPDATE_GOLDEN"] == "1" {
            try xml.write(to: GoldenTests.sourceGoldenDir.appendingPathComponent(Self.golden), atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: GoldenTests.goldenDir.appendingPathComponent(Self.golden), encoding: .utf8)
        XCTAssertEqual(xml, expected)
        XCTAssertTrue(xml.contains("<layer chain=\"sha256:\(String(repeating: "1", count: 64))\""), xml)
    }

    func testXMLRoundTripsExactly() throws {
        let text = try String(contentsOf: GoldenTests.goldenDir.appendingPathComponent(Self.golden), encoding: .utf8)
        let model = try Subsystem.read(xml: text)
        XCTAssertEqual(model.xml(), text)
        XCTAssertEqual(model, Self.translated())
        XCTAssertEqual(model.start("vfs")?.vfs?.overlay, Self.overlay)
        XCTAssertEqual(model.check(), [])
        XCTAssertEqual(try model.layout(of: "init").overlay, Self.overlay, "the process's root is the overlay")
        XCTAssertNil(try GoldenTests.translate("runc-spec").layout(of: "init").overlay, "a bundle's root is bound, as before")
    }

    func testReaderIsStrict() throws {
        let text = Self.translated().xml()
        func error(_ replace: String, _ with: String) -> String {
            do {
                _ = try Subsystem.read(xml: text.replacingOccurrences(of: replace, with: with))
                return "accepted"
            } catch { return "\(error)" }
        }
        XCTAssertTrue(error("<overlay upper=", "<overlay up=").contains("overlay@up: unknown attribute"), error("<overlay upper=", "<overlay up="))
        XCTAssertTrue(error("<layer chain=", "<layer c=").contains("unknown attribute"))
        XCTAssertTrue(error("<layer chain=", "<lay chain=").contains("unknown element <lay>"))
    }

    func testCheckNamesTheOverlaysBadPaths() throws {
        var bad = Self.overlay
        bad.upper = "relative/upper"
        bad.layers[1].path = "/layers/a:b"
        bad.layers[0].chain = ""
        let problems = Self.translated(bad).check().map(\.description)
        XCTAssertTrue(problems.contains { $0.contains("vfs/overlay@upper") && $0.contains("absolute") }, "\(problems)")
        XCTAssertTrue(problems.contains { $0.contains("vfs/overlay/layer[1]@path") && $0.contains("':'") }, "\(problems)")
        XCTAssertTrue(problems.contains { $0.contains("vfs/overlay/layer[0]@chain") }, "\(problems)")
        let none = Self.translated(VFSOverlay(upper: "/u", work: "/w", layers: [])).check().map(\.description)
        XCTAssertTrue(none.contains { $0.contains("vfs/overlay/layer") && $0.contains("at least one layer") }, "\(none)")
    }

    func testOnlyTheRootMayBeAnOverlay() throws {
        var sub = Self.translated()
        var volume = Start(name: "vol", binary: Binary.vfs, provides: [Service.fileSystem],
                           vfs: VFSConfig(root: "/srv/vol", overlay: Self.overlay), routes: [Route(service: Service.hostFS)])
        volume.vfs?.readonly = false
        sub.starts.insert(volume, at: 1)
        let i = sub.starts.firstIndex { $0.name == "init" }!
        sub.starts[i].routes.append(Route(service: Service.fileSystem, label: "/data", child: "vol"))
        XCTAssertThrowsError(try sub.layout(of: "init")) { error in
            XCTAssertTrue("\(error)".contains("only the server routed at \"/\" may be an overlay"), "\(error)")
        }
    }
}
