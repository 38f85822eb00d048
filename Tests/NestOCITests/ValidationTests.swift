import Testing
@testable import NestOCI

@Suite struct ValidationTests {
    struct Case: Sendable, CustomStringConvertible {
        var description: String
        var json: String
        var path: String
        var message: String
    }

    static let process = #""user": {"uid": 0, "gid": 0}, "cwd": "/""#

    static let cases: [Case] = [
        .init(description: "malformed version", json: config(#""ociVersion": "1.0""#), path: "ociVersion",
              message: #""1.0" is not a semantic version (MAJOR.MINOR.PATCH)"#),
        .init(description: "leading zero version", json: config(#""ociVersion": "1.01.0""#), path: "ociVersion",
              message: #""1.01.0" is not a semantic version (MAJOR.MINOR.PATCH)"#),
        .init(description: "major 2", json: config(#""ociVersion": "2.0.0""#), path: "ociVersion",
              message: "version 2.0.0 is not supported (Nest reads 1.x)"),
        .init(description: "no root", json: #"{"ociVersion": "1.0.0"}"#, path: "root", message: "is required on Linux"),
        .init(description: "empty root path", json: config(#""root": {"path": ""}"#), path: "root.path", message: "must not be empty"),
        // found by the fuzz stage: read, but its subsystem could not be read back
        .init(description: "NUL in a mount option",
              json: config(#""mounts": [{"destination": "/a", "type": "tmpfs", "options": ["nosuid", "noex\u0000ec"]}]"#),
              path: "mounts[0].options[1]", message: "must not contain a NUL character"),
        .init(description: "NUL in an annotation key", json: config(#""annotations": {"a\u0000b": "c"}"#),
              path: #"annotations["a\u{0}b"]"#, message: "must not contain a NUL character"),
        .init(description: "empty args", json: config(#""process": {\#(process), "args": []}"#), path: "process.args",
              message: "must not be empty when process is given"),
        .init(description: "missing args", json: config(#""process": {\#(process)}"#), path: "process.args",
              message: "must not be empty when process is given"),
        .init(description: "relative cwd", json: config(#""process": {"user": {"uid": 0, "gid": 0}, "args": ["sh"], "cwd": "tmp"}"#),
              path: "process.cwd", message: #"must be an absolute path, got "tmp""#),
        .init(description: "relative mount destination",
              json: config(#""mounts": [{"destination": "/proc", "type": "proc"}, {"destination": "/a"}, {"destination": "/b"}, {"destination": "data"}]"#),
              path: "mounts[3].destination", message: #"must be an absolute path, got "data""#),
        .init(description: "namespace twice",
              json: config(#""linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}, {"type": "pid"}]}"#),
              path: "linux.namespaces[2].type", message: #"namespace "pid" is already listed as linux.namespaces[0]"#),
        .init(description: "unknown namespace", json: config(#""linux": {"namespaces": [{"type": "pid"}, {"type": "net"}]}"#),
              path: "linux.namespaces[1].type", message: #"unknown namespace type "net""#),
        .init(description: "relative namespace path",
              json: config(#""linux": {"namespaces": [{"type": "network", "path": "run/netns/a"}]}"#),
              path: "linux.namespaces[0].path", message: #"must be an absolute path, got "run/netns/a""#),
        .init(description: "uid mapping without user namespace",
              json: config(#""linux": {"namespaces": [{"type": "pid"}], "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}"#),
              path: "linux.uidMappings", message: "requires a user namespace in linux.namespaces"),
        .init(description: "empty mapping",
              json: config(#""linux": {"namespaces": [{"type": "user"}], "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 0}]}"#),
              path: "linux.gidMappings[0].size", message: "must be greater than zero"),
        .init(description: "unknown capability",
              json: config(#""process": {\#(process), "args": ["sh"], "capabilities": {"bounding": ["CAP_CHOWN"], "ambient": ["CAP_KILL", "CAP_FLY"]}}"#),
              path: "process.capabilities.ambient[1]", message: #"unknown capability "CAP_FLY""#),
        .init(description: "unknown rlimit",
              json: config(#""process": {\#(process), "args": ["sh"], "rlimits": [{"type": "RLIMIT_FILES", "soft": 1, "hard": 1}]}"#),
              path: "process.rlimits[0].type", message: #"unknown rlimit "RLIMIT_FILES""#),
        .init(description: "duplicate rlimit",
              json: config(#""process": {\#(process), "args": ["sh"], "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1, "hard": 1}, {"type": "RLIMIT_NOFILE", "soft": 2, "hard": 2}]}"#),
              path: "process.rlimits[1].type", message: "RLIMIT_NOFILE is already set by process.rlimits[0]"),
        .init(description: "soft above hard",
              json: config(#""process": {\#(process), "args": ["sh"], "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 4096, "hard": 1024}]}"#),
              path: "process.rlimits[0].soft", message: "soft limit 4096 exceeds hard limit 1024"),
        .init(description: "oomScoreAdj range", json: config(#""process": {\#(process), "args": ["sh"], "oomScoreAdj": 1001}"#),
              path: "process.oomScoreAdj", message: "must be between -1000 and 1000, got 1001"),
        .init(description: "consoleSize without terminal",
              json: config(#""process": {\#(process), "args": ["sh"], "consoleSize": {"height": 24, "width": 80}}"#),
              path: "process.consoleSize", message: "requires process.terminal to be true"),
        .init(description: "env without =", json: config(#""process": {\#(process), "args": ["sh"], "env": ["PATH=/bin", "TERM"]}"#),
              path: "process.env[1]", message: #"must have the form NAME=value, got "TERM""#),
        .init(description: "unknown seccomp default action", json: config(#""linux": {"seccomp": {"defaultAction": "SCMP_ACT_DENY"}}"#),
              path: "linux.seccomp.defaultAction", message: #"unknown seccomp action "SCMP_ACT_DENY""#),
        .init(description: "unknown seccomp rule action",
              json: config(#""linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mount"], "action": "SCMP_ACT_KILL_ALL"}]}}"#),
              path: "linux.seccomp.syscalls[0].action", message: #"unknown seccomp action "SCMP_ACT_KILL_ALL""#),
        .init(description: "unknown seccomp operator",
              json: config(#""linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["clone"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_MASKED_NE"}]}]}}"#),
              path: "linux.seccomp.syscalls[0].args[0].op", message: #"unknown seccomp operator "SCMP_CMP_MASKED_NE""#),
        .init(description: "seccomp arg index",
              json: config(#""linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["clone"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}}"#),
              path: "linux.seccomp.syscalls[0].args[0].index", message: "must be between 0 and 5, got 6"),
        .init(description: "unknown arch", json: config(#""linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_AMD64"]}}"#),
              path: "linux.seccomp.architectures[1]", message: #"unknown seccomp architecture "SCMP_ARCH_AMD64""#),
        .init(description: "unknown seccomp flag", json: config(#""linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_FAST"]}}"#),
              path: "linux.seccomp.flags[0]", message: #"unknown seccomp flag "SECCOMP_FILTER_FLAG_FAST""#),
        .init(description: "errnoRet with allow",
              json: config(#""linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mount"], "action": "SCMP_ACT_KILL", "errnoRet": 1}]}}"#),
              path: "linux.seccomp.syscalls[0].errnoRet", message: "is only allowed with SCMP_ACT_ERRNO or SCMP_ACT_TRACE, not SCMP_ACT_KILL"),
        .init(description: "notify without listener",
              json: config(#""linux": {"seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mount"], "action": "SCMP_ACT_NOTIFY"}]}}"#),
              path: "linux.seccomp.listenerPath", message: "is required when a rule uses SCMP_ACT_NOTIFY"),
        .init(description: "device type", json: config(#""linux": {"devices": [{"type": "x", "path": "/dev/x", "major": 1, "minor": 1}]}"#),
              path: "linux.devices[0].type", message: #"unknown device type (c, b, u or p) "x""#),
        .init(description: "device without major", json: config(#""linux": {"devices": [{"type": "c", "path": "/dev/x", "minor": 1}]}"#),
              path: "linux.devices[0].major", message: #"is required for device type "c""#),
        .init(description: "relative hook", json: config(#""hooks": {"poststop": [{"path": "/bin/a"}, {"path": "cleanup.sh"}]}"#),
              path: "hooks.poststop[1].path", message: #"must be an absolute path, got "cleanup.sh""#),
        .init(description: "hook timeout zero", json: config(#""hooks": {"createRuntime": [{"path": "/bin/a", "timeout": 0}]}"#),
              path: "hooks.createRuntime[0].timeout", message: "must be greater than zero, got 0"),
        .init(description: "hostname without uts", json: config(#""hostname": "box""#), path: "hostname",
              message: "requires a uts namespace in linux.namespaces"),
        .init(description: "timeOffsets without time namespace",
              json: config(#""linux": {"timeOffsets": {"monotonic": {"secs": 1}}}"#),
              path: "linux.timeOffsets", message: "requires a time namespace in linux.namespaces"),
        .init(description: "host sysctl", json: config(#""linux": {"sysctl": {"vm.swappiness": "10"}}"#),
              path: #"linux.sysctl["vm.swappiness"]"#, message: "vm.swappiness is not namespaced: setting it would change the host"),
        .init(description: "net sysctl without network namespace", json: config(#""linux": {"sysctl": {"net.ipv4.ip_forward": "1"}}"#),
              path: #"linux.sysctl["net.ipv4.ip_forward"]"#, message: "requires a network namespace in linux.namespaces"),
        .init(description: "malformed sysctl", json: config(#""linux": {"namespaces": [{"type": "network"}], "sysctl": {"net..x": "1"}}"#),
              path: #"linux.sysctl["net..x"]"#, message: #""net..x" is not a valid sysctl name"#),
        .init(description: "swap below limit",
              json: config(#""linux": {"resources": {"memory": {"limit": 1073741824, "swap": 536870912}}}"#),
              path: "linux.resources.memory.swap", message: "memory+swap limit 536870912 is below memory.limit 1073741824"),
        .init(description: "negative memory limit", json: config(#""linux": {"resources": {"memory": {"limit": -2}}}"#),
              path: "linux.resources.memory.limit", message: "must be a number of bytes or -1 (unlimited), got -2"),
        .init(description: "cpu period", json: config(#""linux": {"resources": {"cpu": {"period": 10}}}"#),
              path: "linux.resources.cpu.period", message: "must be between 1000 and 1000000 microseconds, got 10"),
        .init(description: "cpuset syntax", json: config(#""linux": {"resources": {"cpu": {"cpus": "3-1"}}}"#),
              path: "linux.resources.cpu.cpus", message: #""3-1" is not a list such as 0-3,7"#),
        .init(description: "cgroupsPath escape", json: config(#""linux": {"cgroupsPath": "/nest/../../etc"}"#),
              path: "linux.cgroupsPath", message: #"must not contain ".." components, got "/nest/../../etc""#),
        .init(description: "rootfsPropagation", json: config(#""linux": {"rootfsPropagation": "sharing"}"#),
              path: "linux.rootfsPropagation", message: #"unknown propagation "sharing""#),
        .init(description: "masked path", json: config(#""linux": {"maskedPaths": ["/proc/kcore", "proc/keys"]}"#),
              path: "linux.maskedPaths[1]", message: #"must be an absolute path, got "proc/keys""#),
        .init(description: "personality domain", json: config(#""linux": {"personality": {"domain": "LINUX64"}}"#),
              path: "linux.personality.domain", message: #"unknown personality domain "LINUX64""#),
        .init(description: "hugepage size", json: config(#""linux": {"resources": {"hugepageLimits": [{"pageSize": "2M", "limit": 1}]}}"#),
              path: "linux.resources.hugepageLimits[0].pageSize", message: #""2M" is not a page size such as 2MB or 1GB"#),
        .init(description: "device rule access", json: config(#""linux": {"resources": {"devices": [{"allow": false, "access": "rwx"}]}}"#),
              path: "linux.resources.devices[0].access", message: #"must be letters of "rwm", got "rwx""#),
        .init(description: "ioPriority class", json: config(#""process": {\#(process), "args": ["sh"], "ioPriority": {"class": "IOPRIO_CLASS_FAST", "priority": 1}}"#),
              path: "process.ioPriority.class", message: #"unknown I/O priority class "IOPRIO_CLASS_FAST""#),
        .init(description: "scheduler policy", json: config(#""process": {\#(process), "args": ["sh"], "scheduler": {"policy": "SCHED_FAIR"}}"#),
              path: "process.scheduler.policy", message: #"unknown scheduler policy "SCHED_FAIR""#),
        .init(description: "memory policy nodes", json: config(#""linux": {"memoryPolicy": {"mode": "MPOL_BIND"}}"#),
              path: "linux.memoryPolicy.nodes", message: "is required for MPOL_BIND"),
        .init(description: "netDevices without network namespace", json: config(#""linux": {"netDevices": {"eth1": {}}}"#),
              path: "linux.netDevices", message: "requires a network namespace in linux.namespaces"),
        .init(description: "NUL in mount source", json: config(#""mounts": [{"destination": "/a", "source": "/srv\u0000/etc"}]"#),
              path: "mounts[0].source", message: "must not contain a NUL character"),
        .init(description: "NUL in argument", json: config(#""process": {\#(process), "args": ["sh", "-c\u0000x"]}"#),
              path: "process.args[1]", message: "must not contain a NUL character"),
        .init(description: "unified key", json: config(#""linux": {"resources": {"unified": {"../memory.max": "1"}}}"#),
              path: #"linux.resources.unified["../memory.max"]"#, message: "must be a cgroup file name"),
    ]

    @Test(arguments: cases)
    func invalidConfigNamesPathAndReason(_ c: Case) {
        #expect(problems(c.json) == [SpecError(path: c.path, message: c.message)])
    }

    @Test func everyProblemIsReportedAtOnce() {
        let json = """
            {"ociVersion": "one", "root": {"path": "rootfs"}, "hostname": "h",
             "process": {"user": {"uid": 0, "gid": 0}, "args": [], "cwd": "work"},
             "mounts": [{"destination": "/proc"}, {"destination": "sys"}],
             "linux": {"namespaces": [{"type": "pid"}, {"type": "pid"}],
                       "uidMappings": [{"containerID": 0, "hostID": 1, "size": 1}],
                       "seccomp": {"defaultAction": "SCMP_ACT_NOPE"}}}
            """
        #expect(problems(json).map(\.description) == [
            #"ociVersion: "one" is not a semantic version (MAJOR.MINOR.PATCH)"#,
            #"mounts[1].destination: must be an absolute path, got "sys""#,
            "process.args: must not be empty when process is given",
            #"process.cwd: must be an absolute path, got "work""#,
            #"linux.namespaces[1].type: namespace "pid" is already listed as linux.namespaces[0]"#,
            "hostname: requires a uts namespace in linux.namespaces",
            "linux.uidMappings: requires a user namespace in linux.namespaces",
            #"linux.seccomp.defaultAction: unknown seccomp action "SCMP_ACT_NOPE""#,
        ])
        #expect(throws: SpecErrors.self) { try Spec.decode(json).validated() }
    }

    /// runtime-spec: hostname and domainname with a joined UTS namespace
    /// are set in it (as runc and crun do), not refused.
    @Test func hostnameInAJoinedUTSNamespaceIsValid() {
        #expect(problems(config(#""hostname": "box", "domainname": "dom", "linux": {"namespaces": [{"type": "uts", "path": "/proc/1/ns/uts"}]}"#)) == [])
    }

    @Test func acceptedVersions() throws {
        for version in ["1.0.0", "1.0.2-dev", "1.1.0", "1.2.1", "1.3.0", "1.4.0+build.5", "1.0.0-rc.1"] {
            #expect(problems(config(#""ociVersion": "\#(version)""#)) == [], "\(version)")
        }
    }

    @Test func namespacedSysctlsAndFullSeccompAreAccepted() {
        let json = config(#"""
            "linux": {"namespaces": [{"type": "network"}, {"type": "ipc"}, {"type": "uts"}],
              "sysctl": {"net.ipv4.ip_forward": "1", "net/ipv4/conf/eth0.100/forwarding": "1", "kernel.shmmax": "1", "fs.mqueue.msg_max": "10", "kernel.domainname": "x"},
              "seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "listenerPath": "/run/l.sock",
                "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", "SCMP_ARCH_RISCV64"],
                "flags": ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
                "syscalls": [
                  {"names": ["a"], "action": "SCMP_ACT_KILL"}, {"names": ["b"], "action": "SCMP_ACT_KILL_PROCESS"},
                  {"names": ["c"], "action": "SCMP_ACT_KILL_THREAD"}, {"names": ["d"], "action": "SCMP_ACT_TRAP"},
                  {"names": ["e"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}, {"names": ["f"], "action": "SCMP_ACT_TRACE", "errnoRet": 1},
                  {"names": ["g"], "action": "SCMP_ACT_ALLOW", "args": [
                    {"index": 0, "value": 1, "op": "SCMP_CMP_NE"}, {"index": 1, "value": 1, "op": "SCMP_CMP_LT"},
                    {"index": 2, "value": 1, "op": "SCMP_CMP_LE"}, {"index": 3, "value": 1, "op": "SCMP_CMP_EQ"},
                    {"index": 4, "value": 1, "op": "SCMP_CMP_GE"}, {"index": 5, "value": 18446744073709551615, "valueTwo": 1, "op": "SCMP_CMP_MASKED_EQ"}]},
                  {"names": ["h"], "action": "SCMP_ACT_LOG"}, {"names": ["i"], "action": "SCMP_ACT_NOTIFY"}]}}
            """#)
        #expect(problems(json) == [])
    }

    @Test func publicNameLists() {
        #expect(OCINames.capabilities.count == 41)
        #expect(OCINames.capabilityNumber("CAP_SYS_ADMIN") == 21)
        #expect(OCINames.capabilityNumber("CAP_CHECKPOINT_RESTORE") == 40)
        #expect(OCINames.rlimitNumber("RLIMIT_NOFILE") == 7)
        #expect(OCINames.rlimitNumber("RLIMIT_RTTIME") == 15)
        #expect(Set(OCINames.namespaceTypes) == ["pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time"])
    }
}
