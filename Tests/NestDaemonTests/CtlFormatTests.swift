import Foundation
import NestAPI
import NestCtlFormat
import XCTest

/// nestctl's display rules, without a daemon: times, statuses, templates,
/// error text.
final class CtlFormatTests: XCTestCase {
    func testDurations() {
        let cases: [(Double, String)] = [
            (0, "Less than a second"), (0.9, "Less than a second"), (1, "1 second"), (59.9, "59 seconds"),
            (60, "About a minute"), (119, "About a minute"), (120, "2 minutes"), (3599, "59 minutes"),
            (3600, "About an hour"), (5399, "About an hour"), (5400, "2 hours"), (47 * 3600, "47 hours"),
            (48 * 3600, "2 days"), (13 * 86400, "13 days"), (14 * 86400, "2 weeks"), (60 * 86400, "2 months"),
            (800 * 86400, "2 years"),
        ]
        for (seconds, text) in cases { XCTAssertEqual(HumanTime.duration(seconds), text, "\(seconds) s") }
    }

    func info(_ state: String, exit: Int32? = nil, command: [String] = ["sleep", "1"]) -> ContainerInfo {
        ContainerInfo(id: "0123456789ab", name: "n", state: state, pid: state == "running" ? 42 : 0, exitCode: exit,
                      oomKilled: nil, created: "2025-01-01T00:00:00.000Z", started: "2025-01-01T00:00:05.000Z",
                      finished: "2025-01-01T00:02:05.123456789Z", bundle: "/b", command: command, labels: ["b": "2", "a": "1"],
                      subsystem: [])
    }

    func testStatusAndTimes() throws {
        let now = try XCTUnwrap(HumanTime.parse("2025-01-01T00:02:10Z"))
        XCTAssertEqual(ContainerRow(info("running"), now: now, truncate: true).status, "Up 2 minutes")
        XCTAssertEqual(ContainerRow(info("stopped", exit: 0), now: now, truncate: true).status, "Exited (0) 4 seconds ago")
        XCTAssertEqual(ContainerRow(info("stopped"), now: now, truncate: true).status, "Exited 4 seconds ago")
        XCTAssertEqual(ContainerRow(info("created"), now: now, truncate: true).status, "Created")
        XCTAssertEqual(ContainerRow(info("created"), now: now, truncate: true).value("RunningFor"), "2 minutes ago")
        XCTAssertEqual(ContainerRow(info("created"), now: now, truncate: true).value("Labels"), "a=1,b=2")
    }

    func testCommandTruncation() {
        let now = Date()
        let exact = info("running", command: ["echo", "123456789012345"])   // 20 characters
        XCTAssertEqual(ContainerRow(exact, now: now, truncate: true).command, "\"echo 123456789012345\"")
        let long = info("running", command: ["echo", "1234567890123456"])
        XCTAssertEqual(ContainerRow(long, now: now, truncate: true).command, "\"echo 12345678901234…\"")
        XCTAssertEqual(ContainerRow(long, now: now, truncate: false).command, "\"echo 1234567890123456\"")
    }

    func testTemplates() throws {
        let row = ContainerRow(info("running"), now: Date(), truncate: true)
        XCTAssertEqual(try RowTemplate("{{.ID}}: {{.PID}}\\n").render(row), "0123456789ab: 42\n")
        XCTAssertEqual(try RowTemplate("table {{.Name}}\\t{{.PID}}").lines([row, row]), ["NAME   PID", "n      42", "n      42"])
        XCTAssertThrowsError(try RowTemplate("{{.Nope}}"))
        XCTAssertThrowsError(try RowTemplate("{{ID}}"))
        XCTAssertThrowsError(try RowTemplate("{{.ID"))
        XCTAssertEqual(try RowTemplate("plain text").render(row), "plain text")
    }

    func testErrorText() {
        XCTAssertEqual(ErrorText.lines(ErrorBody(error: "boom", field: ""), status: 500), ["boom"])
        XCTAssertEqual(ErrorText.lines(ErrorBody(error: "process.cwd: bad", field: "process.cwd"), status: 400), ["process.cwd: bad"])
        XCTAssertEqual(ErrorText.lines(ErrorBody(error: "must be absolute", field: "bundle"), status: 400), ["bundle: must be absolute"])
        XCTAssertEqual(ErrorText.lines(ErrorBody(error: "a: x; b: y", field: "a", errors: [
            FieldError(field: "a", message: "x"), FieldError(field: "b", message: "y")]), status: 400), ["a: x", "b: y"])
    }

    func testImageRows() {
        let sizes: [(Int64, String)] = [(0, "0B"), (812, "812B"), (999, "999B"), (1000, "1kB"), (4_259_000, "4.26MB"),
                                        (72_840_000, "72.8MB"), (124_400_000, "124MB"), (999_600, "1MB"), (1_050_000_000, "1.05GB")]
        for (bytes, text) in sizes { XCTAssertEqual(ImageRows.humanSize(bytes), text, "\(bytes) bytes") }
        XCTAssertTrue(ImageRows.split("localhost:5000/team/app:1") == ("localhost:5000/team/app", "1"))
        XCTAssertTrue(ImageRows.split("localhost:5000/app") == ("localhost:5000/app", "<none>"))
        let id = "sha256:" + String(repeating: "ab", count: 32)
        let now = HumanTime.parse("2024-01-02T05:04:05Z")!
        let lines = ImageRows.lines([
            ImageInfo(id: id, names: ["busybox:latest", "bb:1"], manifestDigest: "", chainIDs: [], size: 4_259_000, created: "2024-01-02T03:04:05Z"),
            ImageInfo(id: id, names: [], manifestDigest: "", chainIDs: [], size: 10, created: nil),
        ], now: now)
        XCTAssertEqual(lines, [
            "REPOSITORY   TAG      IMAGE ID       CREATED       SIZE",
            "busybox      latest   abababababab   2 hours ago   4.26MB",
            "bb           1        abababababab   2 hours ago   4.26MB",
            "<none>       <none>   abababababab   N/A           10B",
        ])
    }
}
