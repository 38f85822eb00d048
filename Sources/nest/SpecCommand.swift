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
        _ = Spec.defaultConfigJSON.withCString { write(fd, $0, strlen($0)) }
        close(fd)
    }
}

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
