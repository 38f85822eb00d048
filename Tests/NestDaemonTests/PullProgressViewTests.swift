import NestAPI
import NestCtlFormat
import XCTest

/// What `nestctl pull` prints, on a terminal and off one.
final class PullProgressViewTests: XCTestCase {
    let a = "sha256:" + String(repeating: "a", count: 64)
    let b = "sha256:" + String(repeating: "b", count: 64)

    func testPlainLinesOnlyWhenALayerIsComplete() {
        var v = PullProgressView(terminal: false)
        XCTAssertEqual(v.update(PullLine(layer: a, done: 0, total: 1_200_000, rate: 0)), "")
        XCTAssertEqual(v.update(PullLine(layer: b, done: 300, total: 300, rate: 0, cached: true)), "layer sha256:bbbbbbbbbbbb 300 B already present\n")
        XCTAssertEqual(v.update(PullLine(layer: a, done: 600_000, total: 1_200_000, rate: 1e6)), "")
        XCTAssertEqual(v.update(PullLine(layer: a, done: 1_200_000, total: 1_200_000, rate: 1e6)), "layer sha256:aaaaaaaaaaaa 1.2 MB done\n")
        XCTAssertEqual(v.update(PullLine(layer: a, done: 1_200_000, total: 1_200_000, rate: 1e6)), "", "a layer is reported once")
    }

    func testTerminalRedrawsEveryLayerInPlace() {
        var v = PullProgressView(terminal: true)
        let first = v.update(PullLine(layer: a, done: 0, total: 2_500_000, rate: 0))
        XCTAssertEqual(first, "\r\u{1b}[Ksha256:aaaaaaaaaaaa  0 B / 2.5 MB  0 B/s\n")
        _ = v.update(PullLine(layer: b, done: 10, total: 10, rate: 0))
        let third = v.update(PullLine(layer: a, done: 1_000_000, total: 2_500_000, rate: 3_400_000))
        XCTAssertEqual(third, "\u{1b}[2A" + "\r\u{1b}[Ksha256:aaaaaaaaaaaa  1.0 MB / 2.5 MB  3.4 MB/s\n"
                       + "\r\u{1b}[Ksha256:bbbbbbbbbbbb  10 B done\n")
    }

    func testSizes() {
        XCTAssertEqual(PullProgressView.bytes(999), "999 B")
        XCTAssertEqual(PullProgressView.bytes(1000), "1.0 kB")
        XCTAssertEqual(PullProgressView.bytes(1_250_000_000), "1.3 GB")
    }
}
