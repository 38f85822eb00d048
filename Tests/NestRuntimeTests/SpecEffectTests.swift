import Foundation
import Glibc
import XCTest
@testable import NestRuntime

/// Fields whose plan records the C tests check one by one, seen here end to
/// end: from config.json through the translator, the plan and the monitor
/// to what the container's process reads about itself.
final class SpecEffectTests: RootTestCase {
    func testProcessAndKernelFieldsAreWhatTheProcessSees() throws {
        let script = """
            echo "domainname=$(cat /proc/sys/kernel/domainname)"
            echo "hostname=$(hostname)"
            echo "umask=$(umask)"
            echo "nofile=$(ulimit -n)/$(ulimit -Hn)"
            echo "oom=$(cat /proc/self/oom_score_adj)"
            echo "msgmax=$(cat /proc/sys/kernel/msgmax)"
            echo "timens=$(grep monotonic /proc/self/timens_offsets | tr -s ' ')"
            echo "shares=$(cat /sys/fs/cgroup/cpu/cpu.shares)"
            echo "quota=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us)/$(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"
            echo "cpus=$(cat /sys/fs/cgroup/cpuset/cpuset.cpus)/$(cat /sys/fs/cgroup/cpuset/cpuset.mems)"
            echo "memory=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)/$(cat /sys/fs/cgroup/memory/memory.soft_limit_in_bytes)"
            echo "memsw=$(cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes 2>/dev/null || echo none)"
            echo "pids=$(cat /sys/fs/cgroup/pids/pids.max)"
            """
        let bundle = try makeBundle(["sh", "-c", script]) { c in
            c["hostname"] = "effects"
            c["domainname"] = "nest.test"
            c.process { p in
                p.object("user") { $0["umask"] = 0o027 }
                p["rlimits"] = [["type": "RLIMIT_NOFILE", "soft": 321, "hard": 654]]
                p["oomScoreAdj"] = 432
            }
            c.linux { l in
                var ns = l["namespaces"] as? [[String: Any]] ?? []
                ns.append(["type": "time"])
                l["namespaces"] = ns
                l["timeOffsets"] = ["monotonic": ["secs": 86400, "nanosecs": 5]]
                l["sysctl"] = ["kernel.msgmax": "4321"]
                l.object("resources") { r in
                    r["cpu"] = ["shares": 512, "quota": 25000, "period": 50000, "cpus": "0", "mems": "0"] as [String: Any]
                    r["memory"] = ["limit": 64 << 20, "reservation": 32 << 20, "swap": 96 << 20] as [String: Any]
                    r["pids"] = ["limit": 77]
                }
            }
        }
        let r = try runContainer(bundle)
        XCTAssertEqual(r.exitCode, 0, "stderr: \(r.stderr)")
        let seen = Dictionary(r.stdout.compactMap { line -> (String, String)? in
            guard let eq = line.firstIndex(of: "=") else { return nil }
            return (String(line[..<eq]), String(line[line.index(after: eq)...]))
        }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(seen["domainname"], "nest.test")
        XCTAssertEqual(seen["hostname"], "effects")
        XCTAssertEqual(seen["umask"], "0027")
        XCTAssertEqual(seen["nofile"], "321/654")
        XCTAssertEqual(seen["oom"], "432")
        XCTAssertEqual(seen["msgmax"], "4321")
        XCTAssertEqual(seen["timens"], "monotonic 86400 5")
        XCTAssertEqual(seen["shares"], "512")
        XCTAssertEqual(seen["quota"], "25000/50000")
        XCTAssertEqual(seen["cpus"], "0/0")
        XCTAssertEqual(seen["memory"], "\(64 << 20)/\(32 << 20)")
        // memory+swap: absent where the kernel keeps no swap accounting.
        if seen["memsw"] != "none" { XCTAssertEqual(seen["memsw"], "\(96 << 20)") }
        XCTAssertEqual(seen["pids"], "77")
    }

    /// A device listed in `linux.devices` is made and allowed; the host's
    /// /dev/kmsg (1:11) bound in by a mount is not listed, so only a rule
    /// of `linux.resources.devices` lets the process write it (writing
    /// needs no capability: the device cgroup alone decides).
    func testDevicesAreMadeAsListedAndTheCgroupRulesDecideAccess() throws {
        let script = """
            echo "node=$(stat -c '%F %t:%T %a %u:%g' /dev/mynull)"
            echo "kmsg=$(stat -c '%t:%T' /kmsg)"
            echo "<7>nest device rule test" > /kmsg && echo "write=ok" || echo "write=denied"
            """
        func run(allowKmsg: Bool) throws -> RunResult {
            let bundle = try makeBundle(["sh", "-c", script]) { c in
                var mounts = c["mounts"] as? [[String: Any]] ?? []
                mounts.append(["destination": "/kmsg", "type": "bind", "source": "/dev/kmsg", "options": ["bind"]])
                c["mounts"] = mounts
                c.linux { l in
                    l["devices"] = [
                        ["path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 0o640, "uid": 1000, "gid": 1001] as [String: Any],
                    ]
                    if allowKmsg {
                        l.object("resources") { r in
                            var rules = r["devices"] as? [[String: Any]] ?? []
                            rules.append(["allow": true, "type": "c", "major": 1, "minor": 11, "access": "w"])
                            r["devices"] = rules
                        }
                    }
                }
            }
            return try runContainer(bundle)
        }
        let denied = try run(allowKmsg: false)
        XCTAssertEqual(denied.exitCode, 0, "stderr: \(denied.stderr)")
        XCTAssertTrue(denied.stdout.contains("node=character special file 1:3 640 1000:1001"), "\(denied.stdout)")
        XCTAssertTrue(denied.stdout.contains("kmsg=1:b"), "\(denied.stdout)")
        XCTAssertTrue(denied.stdout.contains("write=denied"), "no rule allows 1:11: \(denied.stdout)")
        let allowed = try run(allowKmsg: true)
        XCTAssertTrue(allowed.stdout.contains("write=ok"), "the rule allows writing 1:11: \(allowed.stdout) \(allowed.stderr)")
    }

    /// memory.checkBeforeUpdate asks update to refuse a limit below what
    /// the container uses, instead of letting the kernel reclaim or kill.
    func testCheckBeforeUpdateRefusesALimitBelowTheUsage() throws {
        let bundle = try makeBundle(["sleep", "30"]) { c in
            c.linux { l in l.object("resources") { r in r["memory"] = ["limit": 64 << 20] } }
        }
        let id = uniqueID("cbu")
        _ = try runtime.create(id: id, options: CreateOptions(bundle: bundle, stdio: .null))
        defer { try? runtime.delete(id: id, force: true) }
        try runtime.start(id: id)
        let memoryDir = try XCTUnwrap(try runtime.store.load(id).cgroups.memoryDir)
        XCTAssertThrowsError(try runtime.update(id: id, resources: .init(memory: .init(limit: 4096, checkBeforeUpdate: true)))) { e in
            guard case .invalidArgument(let message, let field)? = e as? RuntimeError else { return XCTFail("\(e)") }
            XCTAssertEqual(field, "memory.limit")
            XCTAssertTrue(message.contains("below the container's memory usage"), message)
        }
        XCTAssertEqual(readTrimmed(memoryDir + "/memory.limit_in_bytes"), "\(64 << 20)")
        XCTAssertEqual(try runtime.state(id: id).status, "running")
    }
}
