import Foundation
import Glibc
import XCTest

/// net_cls / net_prio: written when their v1 hierarchy is mounted. The
/// hierarchy is mounted for the test alone, in a private mount namespace
/// of `unshare -m` where `nest` runs; the container's cgroup must be gone
/// after delete, or the hierarchy would outlive its unmount.
final class NetClassTests: RootTestCase {
    func testClassIDAndPrioritiesAreWrittenAndTheCgroupIsRemoved() throws {
        guard let nest = TestEnv.nestBinary else { throw XCTSkip("no nest binary (set NEST_BIN or run scripts/build.sh)") }
        guard access("/usr/bin/unshare", X_OK) == 0 else { throw XCTSkip("no unshare(1)") }
        let cgroups = (try? String(contentsOfFile: "/proc/cgroups", encoding: .utf8)) ?? ""
        let enabled = cgroups.split(separator: "\n").filter { line in
            let f = line.split(separator: "\t")
            return f.count >= 4 && (f[0] == "net_cls" || f[0] == "net_prio") && f[3] == "1"
        }
        let mountinfo = (try? String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)) ?? ""
        guard enabled.count == 2, !mountinfo.contains("net_cls"), !mountinfo.contains("net_prio") else {
            throw XCTSkip("net_cls and net_prio are not both enabled and unmounted here")
        }
        let bundle = try makeBundle(["true"]) { c in
            c.linux { l in l["resources"] = ["network": ["classID": 0x100001, "priorities": [["name": "lo", "priority": 5]]]] }
        }
        let id = uniqueID("netcls")
        let mnt = tmp + "/netcls"
        let cg = "\(mnt)/nest/\(id)"
        let nestCmd = "'\(nest)' --root '\(stateRoot)'"
        // Each step's output is on its own line, for the assertions below.
        let script = """
            set -u
            mkdir -p '\(mnt)'
            mount -t cgroup -o net_cls,net_prio nest-test '\(mnt)' || exit 99
            \(nestCmd) create --bundle '\(bundle)' \(id) </dev/null || { umount '\(mnt)'; exit 98; }
            echo "classid $(cat '\(cg)/net_cls.classid')"
            echo "prio $(grep '^lo ' '\(cg)/net_prio.ifpriomap')"
            \(nestCmd) delete --force \(id)
            [ -e '\(cg)' ] && echo "left \(cg)"
            rmdir '\(mnt)/nest'
            umount '\(mnt)'
            """
        let r = try runHost(["/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c", script],
                            env: ["NEST_LIBEXEC": TestEnv.libexec])
        // The hierarchy is let go at unmount only when no child cgroup is
        // left, not even a dying one: the container's init, orphaned to
        // this test (a child subreaper), pins its removed cgroup until
        // reaped. Then mount and unmount until the kernel has let it go.
        reapChildren()
        let cleanup = """
            i=0
            while [ $i -lt 100 ] && awk '$1 == "net_cls" && $2 != 0 { b = 1 } END { exit !b }' /proc/cgroups; do
                mount -t cgroup -o net_cls,net_prio nest-test '\(mnt)' && umount '\(mnt)'
                sleep 0.05
                i=$((i + 1))
            done
            """
        _ = try runHost(["/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c", cleanup])
        XCTAssertEqual(r.code, 0, "stdout: \(r.stdout) stderr: \(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.contains("classid \(0x100001)"), "\(lines) \(r.stderr)")
        XCTAssertTrue(lines.contains("prio lo 5"), "\(lines)")
        XCTAssertFalse(lines.contains { $0.hasPrefix("left") }, "\(lines)")
    }
}
