import Foundation
import Glibc
import NestAPI
import NestClient
import XCTest

/// Thread-safe collection of results from concurrentPerform.
final class Collected<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [T] = []
    func add(_ t: T) { lock.lock(); items.append(t); lock.unlock() }
    var all: [T] { lock.lock(); defer { lock.unlock() }; return items }
}

final class ConcurrencyTests: DaemonTestCase {
    func testTwentyContainersConcurrentlyAndNothingLeaks() throws {
        let bundle = try makeBundle("b", ["sleep", "1000"])
        let mountsBefore = Set(try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8).split(separator: "\n").map {
            $0.split(separator: " ").dropFirst(4).prefix(1).joined() })
        let client = self.client
        let ids = Collected<String>(), errors = Collected<String>()
        DispatchQueue.concurrentPerform(iterations: 20) { i in
            do {
                let body = Array(try JSONEncoder().encode(CreateRequest(name: "c\(i)", bundle: bundle, labels: ["batch": "1"])))
                let r = try client.request("POST", "/v1/containers", body: body)
                guard r.status == 201 else { errors.add("create c\(i): \(r.status) \(r.text)"); return }
                let id = try JSONDecoder().decode(CreateResponse.self, from: Data(r.body)).id
                ids.add(id)
                let s = try client.request("POST", "/v1/containers/\(id)/start")
                if s.status != 200 { errors.add("start \(id): \(s.status) \(s.text)") }
            } catch { errors.add("c\(i): \(error)") }
        }
        XCTAssertEqual(errors.all, [])
        XCTAssertEqual(ids.all.count, 20)
        XCTAssertEqual(Set(ids.all).count, 20, "distinct ids")

        let listed = try get("/v1/containers?label=batch=1", as: [ContainerInfo].self)
        XCTAssertEqual(Set(listed.map(\.id)), Set(ids.all))
        XCTAssertEqual(Set(listed.map(\.name)), Set((0..<20).map { "c\($0)" }))
        XCTAssertTrue(listed.allSatisfy { $0.state == "running" && $0.pid > 0 }, listed.map { "\($0.name) \($0.state)" }.joined(separator: ", "))
        let pids = listed.map(\.pid)
        XCTAssertEqual(processes(containing: root + "/").count, 20, "one monitor per container")

        DispatchQueue.concurrentPerform(iterations: 20) { i in
            let id = ids.all[i]
            do {
                let s = try client.request("POST", "/v1/containers/\(id)/stop?timeout=2")
                if s.status != 200 { errors.add("stop \(id): \(s.status) \(s.text)") }
                let d = try client.request("DELETE", "/v1/containers/\(id)")
                if d.status != 204 { errors.add("delete \(id): \(d.status) \(d.text)") }
            } catch { errors.add("\(id): \(error)") }
        }
        XCTAssertEqual(errors.all, [])
        XCTAssertEqual(try get("/v1/containers", as: [ContainerInfo].self).count, 0)

        // nothing leaked: state, records, cgroups, mounts, processes
        let state = try FileManager.default.contentsOfDirectory(atPath: root).filter { !$0.hasPrefix(".") }
        XCTAssertEqual(state, [], "state dirs left under --root")
        let records = (try? FileManager.default.contentsOfDirectory(atPath: data + "/containers")) ?? []
        XCTAssertEqual(records, [], "records left under --data")
        for id in ids.all { XCTAssertEqual(cgroupDirs(id), [], "cgroup of \(id)") }
        let mountsAfter = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8).split(separator: "\n").map {
            $0.split(separator: " ").dropFirst(4).prefix(1).joined() }
        let extra = mountsAfter.filter { !mountsBefore.contains($0) && ($0.hasPrefix(tmp) || ids.all.contains(where: $0.contains)) }
        XCTAssertEqual(extra, [], "mounts left")
        XCTAssertTrue(eventually(5) { processes(containing: self.root + "/").isEmpty }, "monitors left: \(processes(containing: root + "/"))")
        XCTAssertTrue(pids.allSatisfy { !isAlive($0) }, "container processes left")
    }
}
