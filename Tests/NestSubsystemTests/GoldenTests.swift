import Foundation
import NestOCI
import NestSubsystem
import XCTest

/// Each Golden/NAME.json is a bundle's config.json; Golden/NAME.xml is the
/// subsystem it must translate to. NEST_UPDATE_GOLDEN=1 rewrites the XML
/// files in the source tree (review the diff before committing).
final class GoldenTests: XCTestCase {
    static var goldenDir: URL { Foundation.Bundle.module.url(forResource: "Golden", withExtension: nil)! }
    static var sourceGoldenDir: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden") }

    static func names() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: goldenDir.path)
            .filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
    }

    static func translate(_ name: String) throws -> Subsystem {
        let data = try Data(contentsOf: goldenDir.appendingPathComponent("\(name).json"))
        let spec = try Spec.decode(Array(data))
        let problems = spec.validate()
        XCTAssertEqual(problems, [], "\(name).json does not validate")
        return Translator.translate(spec, options: TranslateOptions(
            id: name, bundlePath: "/bundles/\(name)", rootfsPath: "/bundles/\(name)/rootfs"))
    }

    func testThereAreAtLeastTenGoldenBundles() throws {
        XCTAssertGreaterThanOrEqual(try Self.names().count, 10)
    }

    func testTranslationsMatchGoldenXML() throws {
        for name in try Self.names() {
            let xml = try Self.translate(name).xml()
            if ProcessInfo.processInfo.environment["NEST_UPDATE_GOLDEN"] == "1" {
                try xml.write(to: Self.sourceGoldenDir.appendingPathComponent("\(name).xml"), atomically: true, encoding: .utf8)
                continue
            }
            let expected = try String(contentsOf: Self.goldenDir.appendingPathComponent("\(name).xml"), encoding: .utf8)
            XCTAssertEqual(xml, expected, "\(name): translation differs from Golden/\(name).xml")
        }
    }

    func testXMLRoundTripsExactly() throws {
        for name in try Self.names() {
            let text = try String(contentsOf: Self.goldenDir.appendingPathComponent("\(name).xml"), encoding: .utf8)
            let model = try Subsystem.read(xml: text)
            XCTAssertEqual(model.xml(), text, "\(name): XML → model → XML changed the document")
            XCTAssertEqual(model, try Self.translate(name), "\(name): the XML reads back to a different model")
        }
    }

    func testJSONRoundTripsExactly() throws {
        for name in try Self.names() {
            let model = try Self.translate(name)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let json = try encoder.encode(model)
            let back = try JSONDecoder().decode(Subsystem.self, from: json)
            XCTAssertEqual(back, model, "\(name): spec → subsystem → JSON → model differs")
            XCTAssertEqual(try encoder.encode(back), json)
        }
    }

    func testGoldenSubsystemsPassTheRouteCheck() throws {
        for name in try Self.names() {
            XCTAssertEqual(try Self.translate(name).check(), [], name)
        }
    }

    func testTranslationIsDeterministic() throws {
        for name in try Self.names() {
            XCTAssertEqual(try Self.translate(name).xml(), try Self.translate(name).xml())
        }
    }
}
