import NestSubsystem
import NestOCI
import XCTest

final class XMLReaderTests: XCTestCase {
    func syntaxError(_ text: String) -> XMLSyntaxError? {
        do {
            _ = try XMLReader.parse(text)
            return nil
        } catch {
            return error
        }
    }

    func testMalformedDocumentsGiveLineAndColumn() {
        XCTAssertEqual(syntaxError("<a>\n  <b>\n</a>"), XMLSyntaxError(line: 3, column: 1, message: "</a> closes <b>"))
        XCTAssertEqual(syntaxError("<a x=\"1\" x=\"2\"/>")?.message, "attribute x given twice")
        XCTAssertEqual(syntaxError("<a>text</a>")?.message, "text content is not allowed in <a>")
        XCTAssertEqual(syntaxError("<a/><b/>")?.message, "content after the root element")
        XCTAssertEqual(syntaxError("<a x=\"&bogus;\"/>")?.message, "unknown reference &bogus;")
        XCTAssertEqual(syntaxError("")?.message, "no root element")
    }

    func testTruncationsNeverCrash() throws {
        let sub = try Subsystem.read(xml: try String(contentsOf: GoldenTests.goldenDir.appendingPathComponent("hooks.xml"), encoding: .utf8))
        let text = sub.xml()
        var offsets = Array(stride(from: 0, to: text.utf8.count - 2, by: 7))
        offsets.append(text.utf8.count - 2)
        for cut in offsets {
            let prefix = String(decoding: Array(text.utf8)[0..<cut], as: UTF8.self)
            XCTAssertThrowsError(try Subsystem.read(xml: prefix), "a document cut at \(cut) must be refused")
        }
    }

    func testDeepNestingIsRefused() {
        let deep = String(repeating: "<a>", count: 100_000) + String(repeating: "</a>", count: 100_000)
        XCTAssertEqual(syntaxError(deep)?.message, "elements nested deeper than 64")
    }

    func testCharacterReferencesAndComments() throws {
        let e = try XMLReader.parse("<?xml version=\"1.0\"?>\n<!-- c -->\n<a v='x&#10;y&#x9;z&amp;&quot;'><!-- inside --><b/></a>\n")
        XCTAssertEqual(e["v"], "x\ny\tz&\"")
        XCTAssertEqual(e.children.map(\.name), ["b"])
    }

    func testWrongRootAndVersion() {
        XCTAssertThrowsError(try Subsystem.read(xml: "<config/>")) { XCTAssertEqual(($0 as? SpecError)?.message, "the root element is <config>, expected <subsystem>") }
    }
}

extension XMLReaderTests {
    func testUnsupportedVersion() {
        XCTAssertThrowsError(try Subsystem.read(xml: "<subsystem name=\"x\" version=\"2\" oci-version=\"1.0.0\"/>")) {
            XCTAssertEqual(($0 as? SpecError)?.path, "subsystem@version")
        }
    }
}
