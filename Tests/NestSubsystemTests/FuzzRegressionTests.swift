import NestOCI
import NestSubsystem
import XCTest

/// Inputs the fuzzers of Tests/fuzz found; each is also replayed by
/// Tests/fuzz/run.sh from Tests/fuzz/regressions.
final class FuzzRegressionTests: XCTestCase {
    /// xml-fuzzer: a raw NUL in an attribute value was read, but the writer
    /// cannot write it back (it writes &#x0;, which the reader refuses): a
    /// subsystem read from such a file could not be stored again.
    func testRawControlCharacterInAttributeIsRefused() {
        for byte in [0x00, 0x01, 0x0c, 0x1f] as [UInt8] {
            let doc = Array("<a x=\"no".utf8) + [byte] + Array("xec\"/>".utf8)
            XCTAssertThrowsError(try XMLReader.parse(String(decoding: doc, as: UTF8.self)), "byte \(byte)") { e in
                XCTAssertEqual((e as? XMLSyntaxError)?.message, "control character 0x\(String(byte, radix: 16)) in an attribute value")
            }
        }
        // whitespace is still normalized, not refused
        XCTAssertEqual(try XMLReader.parse("<a x=\"a\tb\nc\"/>").attributes.first?.1, "a b c")
    }
}
