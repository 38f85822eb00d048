import Foundation
import Glibc
import XCTest
@testable import NestRuntime

/// Capabilities, no_new_privs and seccomp as /proc/self/status and the
/// process's own syscalls show them.
final class SecurityTests: RootTestCase {
    /// CAP_CHOWN = 0, CAP_KILL = 5, CAP_NET_BIND_SERVICE = 10.
    func testCapabilitiesNoNewPrivsAndSeccompAsConfigured() throws {
        let script = """
        grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status
        mkdir /tmp/denied && echo MKDIR-SUCCEEDED
        mkdir -p /tmp/ok/a && rmdir /tmp/ok/a && echo RMDIR-SUCCEEDED
        echo end
        """
        let bundle = try makeBundle(["sh", "-c", script]) { c in
            c.process { p in
                p["noNewPrivileges"] = true
                p["capabilities"] = [
                    "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
                    "effective": ["CAP_CHOWN", "CAP_KILL"],
                    "permitted": ["CAP_CHOWN", "CAP_KILL"],
                ]
            }
            c.linux { l in
                l["seccomp"] = [
                    "defaultAction": "SCMP_ACT_ALLOW",
                    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
                    "syscalls": [
                        ["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1] as [String: Any],
                        ["names": ["rmdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 28] as [String: Any],
                    ],
                ] as [String: Any]
            }
        }
        let r = try runContainer(bundle)
        let fields = Dictionary(r.stdout.compactMap { line -> (String, String)? in
            let kv = line.split(separator: ":", maxSplits: 1)
            guard kv.count == 2 else { return nil }
            return (String(kv[0]), kv[1].trimmingCharacters(in: .whitespaces))
        }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(fields["CapEff"], "0000000000000021", "stdout: \(r.stdout) stderr: \(r.stderr)")
        XCTAssertEqual(fields["CapPrm"], "0000000000000021")
        XCTAssertEqual(fields["CapBnd"], "0000000000000421")
        XCTAssertEqual(fields["CapInh"], "0000000000000000")
        XCTAssertEqual(fields["CapAmb"], "0000000000000000")
        XCTAssertEqual(fields["NoNewPrivs"], "1")
        XCTAssertEqual(fields["Seccomp"], "2")
        XCTAssertFalse(r.stdout.contains("MKDIR-SUCCEEDED"))
        XCTAssertTrue(r.stderr.contains { $0.contains("mkdir") && $0.contains("Operation not permitted") }, "stderr: \(r.stderr)")
        XCTAssertFalse(r.stdout.contains("RMDIR-SUCCEEDED"))
        // mkdir -p of /tmp/ok fails first (EPERM); rmdir is never reached or
        // fails with ENOSPC — either way, no directory was made.
        XCTAssertEqual(r.stdout.last, "end")
    }

    func testSeccompErrnoIsTheConfiguredOne() throws {
        // Without no_new_privs the filter is loaded before the user switch.
        let script = "mkdir /tmp/d && echo made; rmdir /tmp/d 2>&1 | head -1; rmdir /tmp 2>&1 | head -1; echo end"
        let bundle = try makeBundle(["sh", "-c", script]) { c in
            c.process { p in p["noNewPrivileges"] = false }
            c["mounts"] = (c["mounts"] as? [[String: Any]] ?? []) + [["destination": "/tmp", "type": "tmpfs", "source": "tmpfs"]]
            c.linux { l in
                l["seccomp"] = [
                    "defaultAction": "SCMP_ACT_ALLOW",
                    "syscalls": [["names": ["rmdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 28] as [String: Any]],
                ] as [String: Any]
            }
        }
        let r = try runContainer(bundle)
        XCTAssertEqual(r.stdout.first, "made", "stderr: \(r.stderr)")
        XCTAssertTrue(r.stdout.contains { $0.contains("No space left on device") }, "stdout: \(r.stdout)")
        XCTAssertEqual(r.stdout.last, "end")
    }

    func testNoSeccompWithoutProfile() throws {
        let bundle = try makeBundle(["sh", "-c", "grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status"])
        let r = try runContainer(bundle)
        XCTAssertEqual(r.stdout.map { $0.replacingOccurrences(of: "\t", with: " ") }, ["NoNewPrivs: 1", "Seccomp: 0"])
    }

    /// The unmodified default config of `runc spec`: ambient capabilities
    /// without inheritable ones must still run (runc ignores the ambient
    /// ones it cannot raise).
    func testDefaultConfigWithAmbientCapabilities() throws {
        let bundle = try makeBundle(["sh", "-c", "echo hello; grep -E '^Cap(Eff|Bnd):' /proc/self/status"], keepAmbient: true)
        let config = try readConfig(bundle)
        let caps = (config["process"] as? [String: Any])?["capabilities"] as? [String: Any]
        XCTAssertNotNil(caps?["ambient"], "the default config lists ambient capabilities")
        let r = try runContainer(bundle)
        XCTAssertEqual(r.exitCode, 0, "stderr: \(r.stderr)")
        // CAP_AUDIT_WRITE = 29, CAP_KILL = 5, CAP_NET_BIND_SERVICE = 10
        XCTAssertEqual(r.stdout.map { $0.replacingOccurrences(of: "\t", with: " ") },
                       ["hello", "CapEff: 0000000020000420", "CapBnd: 0000000020000420"])
    }
}
