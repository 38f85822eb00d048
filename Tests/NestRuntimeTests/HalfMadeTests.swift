import Foundation
import Glibc
import XCTest
@testable import NestRuntime

/// Half-made containers (a maker killed between mkdir and state.json) and
/// state that cannot be read: issue 9 items 5, 11 and the state-read part of 9.
final class HalfMadeTests: RootTestCase {
    /// A state directory with nothing in it (the maker died right after the
    /// mkdir) is listed as creating, and `delete -f` removes it.
    func testABareStateDirIsListedAsCreatingAndDeletable() throws {
        let id = uniqueID("bare")
        try FileManager.default.createDirectory(atPath: stateRoot + "/" + id, withIntermediateDirectories: true)
        XCTAssertEqual(runtime.list().map(\.id), [id])
        XCTAssertEqual(try runtime.state(id: id).status, "creating")
        XCTAssertThrowsError(try runtime.delete(id: id))  // not without force
        try runtime.delete(id: id, force: true)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateRoot + "/" + id))
    }

    /// A creating record names the cgroup dirs the create was about to make:
    /// `delete -f` removes those and leaves a dir it did not make.
    func testDeleteForceOfACreatingRecordRemovesOnlyTheCgroupsItMade() throws {
        guard let cgroups = runtime.cgroups else { throw XCTSkip("no cgroups") }
        let id = uniqueID("creating")
        let paths = cgroups.paths(for: "/nest/" + id)
        XCTAssertGreaterThan(paths.dirs.count, 1)
        for dir in paths.dirs { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let foreign = paths.dirs[0]
        defer { for dir in paths.dirs { rmdir(dir) } }
        try FileManager.default.createDirectory(atPath: stateRoot + "/" + id, withIntermediateDirectories: true)
        try runtime.store.saveCreating(CreatingRecord(
            id: id, ociVersion: "1.2.0", bundle: "/b", created: "2026-01-01T00:00:00Z", cgroups: paths,
            cgroupsMade: Array(paths.dirs.dropFirst()), monitorPid: 0, monitorStartTime: 0))
        let listed = runtime.list()
        XCTAssertEqual(listed.map(\.id), [id])
        XCTAssertEqual(listed.first?.status, "creating")
        XCTAssertEqual(listed.first?.bundle, "/b")
        try runtime.delete(id: id, force: true)
        XCTAssertTrue(FileManager.default.fileExists(atPath: foreign), "a dir the create did not make was removed")
        for dir in paths.dirs.dropFirst() { XCTAssertFalse(FileManager.default.fileExists(atPath: dir), dir) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateRoot + "/" + id))
    }

    /// At the fd limit (EMFILE) the state of a running container is an
    /// error, never "stopped".
    func testAStateThatCannotBeReadIsAnErrorNotStopped() throws {
        let bundle = try makeBundle(["sleep", "100"])
        let id = uniqueID("emfile")
        _ = try runtime.create(id: id, options: CreateOptions(bundle: bundle, stdio: .null))
        try runtime.start(id: id)
        defer { try? runtime.delete(id: id, force: true) }
        let fresh = Runtime(options: runtime.options)
        var old = rlimit()
        getrlimit(__rlimit_resource_t(7), &old)  // RLIMIT_NOFILE
        let highest = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").compactMap { Int32($0) }.max() ?? 2
        var low = old
        low.rlim_cur = rlim_t(highest + 1)
        setrlimit(__rlimit_resource_t(7), &low)
        var filler: [Int32] = []
        while true {
            let fd = open("/dev/null", O_RDONLY | O_CLOEXEC)
            if fd < 0 { break }
            filler.append(fd)
        }
        let result = Result { try fresh.state(id: id) }
        let cached = Result { try runtime.state(id: id) }
        filler.forEach { close($0) }
        setrlimit(__rlimit_resource_t(7), &old)
        for r in [result, cached] {
            switch r {
            case .success(let s): XCTFail("state read at EMFILE gave \(s.status)")
            case .failure(let e):
                guard case .system(let message)? = e as? RuntimeError else { return XCTFail("not a system error: \(e)") }
                XCTAssertTrue(message.contains("Too many open files"), message)
            }
        }
        XCTAssertEqual(try runtime.state(id: id).status, "running")
    }
}
