import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import NestOCI

struct SpecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "spec", abstract: "Write a default config.json (a shell in a busybox-like rootfs).")
    @Option(name: [.short, .long], help: "The bundle directory to write config.json into.")
    var bundle: String = "."

    func run() throws {
        let path = absolute(bundle) + "/config.json"
        if access(path, F_OK) == 0 {
            writeStderr("nest: \(path) already exists\n")
            throw ExitCode.failure
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            writeStderr("nest: \(path): \(String(cString: strerror(errno)))\n")
            throw ExitCode.failure
        }
        _ = defaultSpec.withCString { write(fd, $0, strlen($0)) }
        close(fd)
    }
}

/// The config `nest spec` writes: the runtime-spec's usual default (a
/// terminal shell, the default mounts, masked and read-only paths).
let defaultSpec = #"""
{
  "ociVersion": "1.2.0",
  "process": {
    "terminal": true,
    "user": {
      "uid": 0,
      "gid": 0
    },
    "args": [
      "sh"
    ],
    "env": [
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "TERM=xterm"
    ],
    "cwd": "/",
    "capabilities": {
      "bounding": [
        "CAP_AUDIT_WRITE",
        "CAP_KILL",
        "CAP_NET_BIND_SERVICE"
      ],
      "effective": [
        "CAP_AUDIT_WRITE",
        "CAP_KILL",
        "CAP_NET_BIND_SERVICE"
      ],
      "permitted": [
        "CAP_AUDIT_WRITE",
        "CAP_KILL",
        "CAP_NET_BIND_SERVICE"
      ],
      "ambient": [
        "CAP_AUDIT_WRITE",
        "CAP_KILL",
        "CAP_NET_BIND_SERVICE"
      ]
    },
    "rlimits": [
      {
        "type": "RLIMIT_NOFILE",
        "hard": 1024,
        "soft": 1024
      }
    ],
    "noNewPrivileges": true
  },
  "root": {
    "path": "rootfs",
    "readonly": true
  },
  "hostname": "runc",
  "mounts": [
    {
      "destination": "/proc",
      "type": "proc",
      "source": "proc"
    },
    {
      "destination": "/dev",
      "type": "tmpfs",
      "source": "tmpfs",
      "options": [
        "nosuid",
        "strictatime",
        "mode=755",
        "size=65536k"
      ]
    },
    {
      "destination": "/dev/pts",
      "type": "devpts",
      "source": "devpts",
      "options": [
        "nosuid",
        "noexec",
        "newinstance",
        "ptmxmode=0666",
        "mode=0620",
        "gid=5"
      ]
    },
    {
      "destination": "/dev/shm",
      "type": "tmpfs",
      "source": "shm",
      "options": [
        "nosuid",
        "noexec",
        "nodev",
        "mode=1777",
        "size=65536k"
      ]
    },
    {
      "destination": "/dev/mqueue",
      "type": "mqueue",
      "source": "mqueue",
      "options": [
        "nosuid",
        "noexec",
        "nodev"
      ]
    },
    {
      "destination": "/sys",
      "type": "sysfs",
      "source": "sysfs",
      "options": [
        "nosuid",
        "noexec",
        "nodev",
        "ro"
      ]
    },
    {
      "destination": "/sys/fs/cgroup",
      "type": "cgroup",
      "source": "cgroup",
      "options": [
        "nosuid",
        "noexec",
        "nodev",
        "relatime",
        "ro"
      ]
    }
  ],
  "linux": {
    "resources": {
      "devices": [
        {
          "allow": false,
          "access": "rwm"
        }
      ]
    },
    "namespaces": [
      {
        "type": "pid"
      },
      {
        "type": "network"
      },
      {
        "type": "ipc"
      },
      {
        "type": "uts"
      },
      {
        "type": "mount"
      }
    ],
    "maskedPaths": [
      "/proc/acpi",
      "/proc/asound",
      "/proc/kcore",
      "/proc/keys",
      "/proc/latency_stats",
      "/proc/timer_list",
      "/proc/timer_stats",
      "/proc/sched_debug",
      "/sys/firmware",
      "/proc/scsi"
    ],
    "readonlyPaths": [
      "/proc/bus",
      "/proc/fs",
      "/proc/irq",
      "/proc/sys",
      "/proc/sysrq-trigger"
    ]
  }
}
"""# + "\n"

struct Features: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print what this runtime supports (the runtime-spec features document).")

    struct Document: Encodable {
        var ociVersionMin = "1.0.0"
        var ociVersionMax = "1.3.0"
        var hooks = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]
        var mountOptions = ["async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "iversion", "lazytime",
                            "loud", "mand", "noatime", "nodev", "nodiratime", "noexec", "noiversion", "nolazytime", "nomand",
                            "norelatime", "nostrictatime", "nosuid", "nosymfollow", "private", "rbind", "relatime", "remount",
                            "rnoatime", "rnodev", "rnodiratime", "rnoexec", "rnosuid", "ro", "rprivate", "rrelatime", "rro",
                            "rshared", "rslave", "rstrictatime", "runbindable", "rw", "shared", "silent", "slave",
                            "strictatime", "suid", "symfollow", "sync", "unbindable"]
        var linux = LinuxFeatures()
        var annotations = ["org.opencontainers.runtime-spec.features.name": "nest",
                           "org.nest.commands": Features.commands.joined(separator: ",")]
    }
    /// The commands of this `nest`: the features document has no field for
    /// them, so an annotation lists them (as runc's says it can checkpoint).
    static let commands = ["create", "delete", "exec", "features", "kill", "list", "pause", "ps", "resume", "run", "spec",
                           "start", "state", "update"]

    struct LinuxFeatures: Encodable {
        var namespaces = OCINames.namespaceTypes
        var capabilities = OCINames.capabilities
        var cgroup = ["v1": true, "v2": true, "systemd": false, "systemdUser": false, "rdma": false]
        var seccomp = Seccomp()
        // Supported (applied where the host has the module enabled).
        var apparmor = ["enabled": true]
        var selinux = ["enabled": true]
        var intelRdt = ["enabled": false]
        var mountExtensions = ["idmap": ["enabled": false]]
    }
    struct Seccomp: Encodable {
        var enabled = true
        var actions = OCINames.seccompActions.filter { $0 != "SCMP_ACT_NOTIFY" }
        var operators = OCINames.seccompOperators
        var archs = OCINames.seccompArchitectures
        var knownFlags = OCINames.seccompFlags
        var supportedFlags = ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"]
    }

    func run() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(Document()), as: UTF8.self))
    }
}
