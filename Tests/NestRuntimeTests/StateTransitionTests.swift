import Foundation
import Glibc
import XCTest
@testable import NestRuntime

/// Operations in the wrong state, as the runtime-spec says they must fail.
final class StateTransitionTests: RootTestCase {
    func testCreatedRunningStoppedAndTheOperationsEachAllows() throws {
        let bundle = try makeBundle(["sh", "-c", "echo started; sleep 100"])
        let id = uniqueID("states")
        let log = tmp + "/states.log"
        let created = try runtime.create(id: id, options: CreateOptions(bundle: bundle, stdio: .log(path: log)))
        XCTAssertEqual(created.status, "created")
        XCTAssertEqual(created.bundle, bundle)

        // The same id again: exists, and the first is untouched.
        XCTAssertThrowsError(try runtime.create(id: id, options: CreateOptions(bundle: bundle, stdio: .null))) { error in
            guard case .exists(let got)? = error as? RuntimeError else { return XCTFail("not exists: \(error)") }
            XCTAssertEqual(got, id)
        }
        XCTAssertEqual(try runtime.state(id: id).status, "created")
        // Nothing runs before start.
        usleep(100_000)
        XCTAssertEqual(parseLog(log).stdout, [])

        try runtime.start(id: id)
        XCTAssertEqual(try runtime.state(id: id).status, "running")
        XCTAssertThrowsError(try runtime.start(id: id)) { error in
            guard case .invalidState(_, let state, _)? = error as? RuntimeError else { return XCTFail("not invalidState: \(error)") }
            XCTAssertEqual(state, "running")
        }
        XCTAssertEqual(runtime.list().map(\.id), [id])

        var waited = 0
        while parseLog(log).stdout.isEmpty && waited < 200 { usleep(10_000); waited += 1 }
        try runtime.kill(id: id, signal: SIGKILL, all: true)
        let stopped = try runtime.waitForExit(id: id)
        XCTAssertEqual(stopped.status, "stopped")
        XCTAssertEqual(stopped.pid, 0)
        XCTAssertEqual(stopped.exitCode, 137)
        XCTAssertNotNil(stopped.finishedAt)
        XCTAssertEqual(parseLog(log).stdout, ["started"])

        XCTAssertThrowsError(try runtime.kill(id: id, signal: SIGTERM)) { error in
            guard case .invalidState(_, let state, _)? = error as? RuntimeError else { return XCTFail("not invalidState: \(error)") }
            XCTAssertEqual(state, "stopped")
        }
        XCTAssertThrowsError(try runtime.start(id: id))
        try runtime.delete(id: id)
        XCTAssertThrowsError(try runtime.state(id: id)) { error in
            guard case .notFound? = error as? RuntimeError else { return XCTFail("not notFound: \(error)") }
        }
        XCTAssertThrowsError(try runtime.delete(id: id))
    }

    func testKillOfACreatedContainerStopsIt() throws {
        let bundle = try makeBundle(["sh", "-c", "echo SHOULD-NOT-RUN"])
        let id = uniqueID("killcreated")
        let log = tmp + "/kc.log"
        _ = try runtime.create(id: id, options: CreateOptions(bundle: bundle, stdio: .log(path: log)))
        try runtime.kill(id: id, signal: SIGKILL)
        let final = try runtime.waitForExit(id: id)
        XCTAssertEqual(final.status, "stopped")
        XCTAssertThrowsError(try runtime.start(id: id))
        try runtime.delete(id: id)
        XCTAssertFalse(parseLog(log).stdout.contains("SHOULD-NOT-RUN"))
    }

    func testForceDeleteOfACreatedContainer() throws {
        let bundle = try makeBundle(["sh", "-c", "echo SHOULD-NOT-RUN"])
        let id = uniqueID("forcecreated")
        let created = try runtime.create(id: id, options: CreateOptions(bundle: bundle, stdio: .null))
        try runtime.delete(id: id, force: true)
        XCTAssertFalse(Sys.isAlive(created.pid) && Sys.startTime(created.pid) != nil && childPids().contains(created.pid))
        XCTAssertThrowsError(try runtime.state(id: id))
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateRoot + "/" + id))
        XCTAssertEqual(childPids(zombiesOnly: true), [])
    }

    func testBadIdsAreRefused() throws {
        let bundle = try makeBundle(["true"])
        for id in ["", "../escape", ".hidden", "a/b", "spa ce"] {
            XCTAssertThrowsError(try runtime.create(id: id, options: CreateOptions(bundle: bundle, stdio: .null)), "id \(id)") { error in
                guard case .invalidArgument(_, let field)? = error as? RuntimeError else { return XCTFail("not invalidArgument: \(error)") }
                XCTAssertEqual(field, "id")
            }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp).filter { $0 == "escape" }, [])
    }

    func testSignalNames() throws {
        XCTAssertEqual(try Signals.parse("KILL"), SIGKILL)
        XCTAssertEqual(try Signals.parse("SIGTERM"), SIGTERM)
        XCTAssertEqual(try Signals.parse("9"), 9)
        XCTAssertEqual(try Signals.parse("RTMIN+2"), 36)
        XCTAssertThrowsError(try Signals.parse("NOPE"))
        XCTAssertThrowsError(try Signals.parse("65"))
    }

    /// Issue 9 item 6: offsets that overflowed Int32 arithmetic (a trap in
    /// nestd) are errors naming the signal; the range ends stay valid.
    func testSignalOffsetsCannotOverflow() throws {
        XCTAssertEqual(try Signals.parse("RTMIN+30"), 64)
        XCTAssertEqual(try Signals.parse("RTMAX-30"), 34)
        XCTAssertEqual(try Signals.parse("sigrtmax-0"), 64)
        for bad in ["RTMIN+2147483647", "RTMAX-2147483647", "RTMIN+-2147483648", "RTMAX--2147483648", "RTMIN+-1",
                    "RTMIN+31", "RTMAX-31", "RTMIN+", "RTMIN+4294967296", "2147483648", "-9", "0", "+9", "9 "] {
            XCTAssertThrowsError(try Signals.parse(bad), bad) { error in
                guard case RuntimeError.invalidArgument(_, let field) = error else { return XCTFail("\(bad): \(error)") }
                XCTAssertEqual(field, "signal")
            }
        }
    }
}
