import NestOCI
import NestSubsystem

/// The capabilities this host can give a process: those of the bounding set
/// of the process that writes the plan (nest, nestd: the monitor it spawns,
/// or its zygote's fork, inherits that set and cannot widen it) that this
/// kernel knows (up to /proc/sys/kernel/cap_last_cap).
///
/// The runtime-spec (1.1+): a capability the runtime cannot give SHOULD NOT
/// fail the create and MUST be warned about. It is dropped from every set,
/// with one warning per capability, and the process runs with the rest.
struct HostCapabilities: Equatable {
    var bounding: UInt64
    var lastCap: Int

    /// Nil when /proc cannot tell (then nothing is dropped, and the
    /// monitor's capability step reports what the kernel refuses).
    static func current() -> HostCapabilities? { ofThisProcess }

    /// Read once: a process's bounding set only shrinks by its own prctl,
    /// which the runtime never makes, and cap_last_cap is the kernel's.
    private static let ofThisProcess: HostCapabilities? = read()

    private static func read() -> HostCapabilities? {
        guard let status = Sys.readFile("/proc/self/status"),
              let last = Sys.readFile("/proc/sys/kernel/cap_last_cap")
                .flatMap({ Int(String(decoding: $0, as: UTF8.self).split(separator: "\n").first ?? "") })
        else { return nil }
        for line in String(decoding: status, as: UTF8.self).split(separator: "\n") where line.hasPrefix("CapBnd:") {
            guard let bits = UInt64(line.dropFirst(7).trimmingCharacters(in: " \t"), radix: 16) else { return nil }
            return HostCapabilities(bounding: bits, lastCap: last)
        }
        return nil
    }

    /// Why capability NUMBER cannot be given, nil when it can. In a user
    /// namespace (new or joined) the bounding set is the full one again,
    /// relative to that namespace: only the kernel's last one then counts.
    func missing(_ number: Int, userNamespace: Bool) -> String? {
        if number > lastCap { return "is not known to this kernel (cap_last_cap is \(lastCap))" }
        if !userNamespace && bounding & (1 << UInt64(number)) == 0 { return "is not in this host's bounding set" }
        return nil
    }

    /// Drops from every set of CAPS what this host cannot give and returns
    /// the warnings, one per capability, naming the first set that lists
    /// it. Unknown names are left to validation.
    func drop(from caps: inout Spec.Process.Capabilities, userNamespace: Bool) -> [String] {
        var warned: Set<String> = []
        var warnings: [String] = []
        func keep(_ set: String, _ names: [String]?) -> [String]? {
            names?.filter { name in
                guard let n = OCINames.capabilityNumber(name), let why = missing(n, userNamespace: userNamespace) else { return true }
                if warned.insert(name).inserted {
                    warnings.append("process.capabilities.\(set): \(name) \(why); dropped")
                }
                return false
            }
        }
        caps.bounding = keep("bounding", caps.bounding)
        caps.effective = keep("effective", caps.effective)
        caps.inheritable = keep("inheritable", caps.inheritable)
        caps.permitted = keep("permitted", caps.permitted)
        caps.ambient = keep("ambient", caps.ambient)
        return warnings
    }

    /// The process with what the host cannot give dropped, and the warnings.
    static func fit(_ process: inout Spec.Process, namespaces: [Spec.Linux.Namespace],
                    host: HostCapabilities? = .current()) -> [String] {
        guard let host, var caps = process.capabilities else { return [] }
        let warnings = host.drop(from: &caps, userNamespace: namespaces.contains { $0.type == "user" })
        process.capabilities = caps
        return warnings
    }
}
