import Foundation
import Glibc
import XCTest
@testable import NestRuntime

/// Fields Preflight lets through are applied as the container sees them;
/// a field it refuses leaves nothing behind.
final class SpecCoverageTests: RootTestCase {
    /// The per-mount options of DEST in a container's /proc/self/mountinfo.
    func mountOptions(_ lines: [String], _ dest: String) -> Set<String> {
        guard let line = lines.first(where: { $0.split(separator: " ").count > 5 && $0.split(separator: " ")[4] == dest }) else { return [] }
        return Set(line.split(separator: " ")[5].split(separator: ",").map(String.init))
    }

    func testNosymfollowAndRroReachTheKernel() throws {
        let source = tmp + "/vol"
        try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
        let bundle = try makeBundle(["cat", "/proc/self/mountinfo"]) { c in
            var mounts = c["mounts"] as? [[String: Any]] ?? []
            mounts.append(["destination": "/nsf", "type": "tmpfs", "source": "tmpfs", "options": ["nosymfollow", "mode=755"]])
            mounts.append(["destination": "/bnsf", "type": "bind", "source": source, "options": ["bind", "nosymfollow"]])
            mounts.append(["destination": "/rro", "type": "bind", "source": source, "options": ["rbind", "rro"]])
            mounts.append(["destination": "/plain", "type": "bind", "source": source, "options": ["rbind"]])
            c["mounts"] = mounts
        }
        let r = try runContainer(bundle)
        XCTAssertEqual(r.exitCode, 0, "stderr: \(r.stderr)")
        XCTAssertTrue(mountOptions(r.stdout, "/nsf").contains("nosymfollow"), "\(mountOptions(r.stdout, "/nsf"))")
        XCTAssertTrue(mountOptions(r.stdout, "/bnsf").contains("nosymfollow"), "\(mountOptions(r.stdout, "/bnsf"))")
        XCTAssertTrue(mountOptions(r.stdout, "/rro").contains("ro"), "\(mountOptions(r.stdout, "/rro"))")
        // The control: the same bind without the options.
        XCTAssertEqual(mountOptions(r.stdout, "/plain").intersection(["ro", "nosymfollow"]), [], "\(r.stdout)")
    }

    func testARefusedFieldMakesNothing() throws {
        let bundle = try makeBundle(["true"]) { c in
            c.linux { $0["personality"] = ["domain": "LINUX32"] }
        }
        let id = uniqueID("pf")
        XCTAssertThrowsError(try runtime.create(id: id, options: CreateOptions(bundle: bundle, stdio: .null))) { error in
            guard case .invalidArgument(_, let field)? = error as? RuntimeError else { return XCTFail("\(error)") }
            XCTAssertEqual(field, "linux.personality")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: stateRoot + "/" + id))
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/sys/fs/cgroup/memory/nest/" + id))
        XCTAssertEqual(runtime.list().map(\.id), [])
    }
}
