import Foundation
import NestAPI
import XCTest

/// nestd runs a hand-written subsystem: `nestctl run --subsystem FILE`
/// sends the config, nestd checks it, gives its log server the container's
/// log, and the process sees what the routes give it.
final class SubsystemRunTests: DaemonTestCase {
    func example(_ name: String, rootfs: String, volume: String) throws -> String {
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: repo.appendingPathComponent("docs/examples/\(name)"), encoding: .utf8)
            .replacingOccurrences(of: "@ROOTFS@", with: rootfs)
            .replacingOccurrences(of: "@VOLUME@", with: volume)
    }

    func testRunASubsystemWithAVolumeRouteAndItsLog() throws {
        let bundle = try makeBundle("b", ["true"])
        let volume = tmp + "/vol"
        try FileManager.default.createDirectory(atPath: volume, withIntermediateDirectories: true)
        try "in-the-volume\n".write(toFile: volume + "/file", atomically: true, encoding: .utf8)
        // The one-container example, with a log server nestd fills in and a
        // cgroup of this test's own.
        let cgroup = "nestd-it-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        var text = try example("one-container.xml", rootfs: bundle + "/rootfs", volume: volume)
            .replacingOccurrences(of: "/nest/web", with: "/nest/\(cgroup)")
            .replacingOccurrences(of: "  <start name=\"app\">", with: """
                  <start name="log">
                    <binary name="log"/>
                    <provides>
                      <service name="LOG"/>
                    </provides>
                    <config>
                      <log format="rfc3339nano"/>
                    </config>
                    <route>
                      <service name="HOST_FS">
                        <parent/>
                      </service>
                    </route>
                  </start>
                  <start name="app">
                """)
            .replacingOccurrences(of: "      <service name=\"ROM\">\n        <child name=\"rom\"/>", with: "      <service name=\"LOG\">\n        <child name=\"log\"/>\n      </service>\n      <service name=\"ROM\">\n        <child name=\"rom\"/>")
        let file = tmp + "/sub.xml"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let r = nestctl(["run", "--rm", "--subsystem", file])
        XCTAssertEqual(r.code, 0, r.stderr)
        XCTAssertEqual(r.stdout, "hostname=web\nfile\n")

        // A bad route is a 400 naming the node; nothing is made.
        text = text.replacingOccurrences(of: "label=\"/data\"", with: "label=\"/data/../..\"")
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let bad = nestctl(["run", "--subsystem", file])
        XCTAssertNotEqual(bad.code, 0)
        XCTAssertTrue(bad.stderr.contains("subsystem/start[app]/route") && bad.stderr.contains("escapes the root"), bad.stderr)
        XCTAssertEqual(try get("/v1/containers", as: [ContainerInfo].self).count, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: root).filter { !$0.hasPrefix(".") }, [])
        XCTAssertEqual(nestctl(["run", bundle, "--subsystem", file]).code, 2, "a bundle and a subsystem is a usage error")
    }

    func testASubsystemOfSeveralProcessesIsAPodThatRemovesItselfOnlyByPodRm() throws {
        let text = try example("two-processes.xml", rootfs: "/nonexistent", volume: "/nonexistent")
            .replacingOccurrences(of: "@LOG@", with: "/nonexistent/log")
        let response = try request("POST", "/v1/containers", body: CreateRequest(bundle: "", autoRemove: true, subsystem: text))
        XCTAssertEqual(response.status, 400)
        XCTAssertTrue(response.text.contains("pod rm") && response.text.contains("autoRemove"), response.text)
        XCTAssertEqual(try get("/v1/pods", as: [PodInfo].self).count, 0)
    }
}
