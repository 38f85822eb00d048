import Foundation
import Glibc
import NestAPI
import XCTest

/// GET /v1/containers is answered from memory while nothing changes: each
/// change must show in the next listing, whether a request made it or the
/// container's process did it alone.
final class ListCacheTests: DaemonTestCase {
    private func listed() throws -> [String: ContainerInfo] {
        Dictionary(uniqueKeysWithValues: try get("/v1/containers", as: [ContainerInfo].self).map { ($0.id, $0) })
    }

    func testListingFollowsEveryChange() throws {
        let sleeper = try makeBundle("sleep", ["sleep", "1000"])
        let exits = try makeBundle("exits", ["sh", "-c", "exit 7"])
        let a = try createContainer(sleeper)
        let b = try createContainer(exits, start: false)
        let c = try createContainer(sleeper)
        // twice: the second answer is the kept one
        for _ in 0..<2 {
            let l = try listed()
            XCTAssertEqual(l[a]?.state, "running")
            XCTAssertEqual(l[b]?.state, "created")
            XCTAssertEqual(l[c]?.state, "running")
        }

        XCTAssertEqual(curl("POST", "/v1/containers/\(a)/pause").0, 200)
        XCTAssertEqual(try listed()[a]?.state, "paused")
        XCTAssertEqual(curl("POST", "/v1/containers/\(a)/unpause").0, 200)
        XCTAssertEqual(try listed()[a]?.state, "running")

        // started by a request, exits by itself
        XCTAssertEqual(curl("POST", "/v1/containers/\(b)/start").0, 200)
        XCTAssertEqual(curl("POST", "/v1/containers/\(b)/wait").0, 200)
        var l = try listed()
        XCTAssertEqual(l[b]?.state, "stopped")
        XCTAssertEqual(l[b]?.exitCode, 7)
        XCTAssertNotNil(l[b]?.started)

        // killed through the API
        XCTAssertEqual(curl("POST", "/v1/containers/\(a)/kill?signal=KILL").0, 200)
        XCTAssertEqual(curl("POST", "/v1/containers/\(a)/wait").0, 200)
        l = try listed()
        XCTAssertEqual(l[a]?.state, "stopped")
        XCTAssertEqual(l[a]?.exitCode, 137)

        // killed behind the daemon's back: only its exit watcher sees it
        let pid = try XCTUnwrap(l[c]?.pid)
        XCTAssertGreaterThan(pid, 0)
        XCTAssertEqual(try listed()[c]?.state, "running")
        XCTAssertEqual(Glibc.kill(pid, SIGKILL), 0)
        XCTAssertTrue(eventually(10) { (try? self.listed()[c]?.state) == "stopped" }, "the exit shows in the listing")
        XCTAssertEqual(try listed()[c]?.exitCode, 137)

        XCTAssertEqual(curl("DELETE", "/v1/containers/\(b)").0, 204)
        l = try listed()
        XCTAssertNil(l[b])
        XCTAssertEqual(Set(l.keys), [a, c])
        // a filtered listing is kept apart from the whole one
        XCTAssertEqual(try get("/v1/containers?state=stopped", as: [ContainerInfo].self).count, 2)
        XCTAssertEqual(try get("/v1/containers?state=running", as: [ContainerInfo].self).count, 0)
    }
}
