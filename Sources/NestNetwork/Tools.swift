import Glibc

/// The host tools the store runs (ip, iptables) and nest-monitor.
enum Tools {
    static let path = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
    static let env = ["PATH=" + path.joined(separator: ":")]

    static func find(_ name: String) -> String {
        path.map { $0 + "/" + name }.first { access($0, X_OK) == 0 } ?? "/usr/sbin/" + name
    }

    static func monitor(_ given: String?) throws(NetworkError) -> String {
        var candidates: [String] = []
        if let given { candidates.append(given) }
        if let env = getenv("NEST_LIBEXEC") { candidates.append(String(cString: env) + "/nest-monitor") }
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        if n > 0 {
            let exe = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if let slash = exe.lastIndex(of: "/") { candidates.append(String(exe[..<slash]) + "/nest-monitor") }
        }
        candidates.append("/usr/local/libexec/nest/nest-monitor")
        guard let found = candidates.first(where: { access($0, X_OK) == 0 }) else {
            throw NetworkError(.system, "nest-monitor not found in \(candidates.joined(separator: ", ")) (set NEST_LIBEXEC)")
        }
        return found
    }
}

/// Network namespace files, made and removed by nest-monitor's
/// single-threaded `-n` mode.
enum Netns {
    static func make(_ path: String, monitor: String?) throws(NetworkError) {
        try run("make", path, monitor)
    }

    static func remove(_ path: String, monitor: String?) throws(NetworkError) {
        try run("remove", path, monitor)
    }

    private static func run(_ action: String, _ path: String, _ monitor: String?) throws(NetworkError) {
        let (status, _, err) = try Spawn.run(try Tools.monitor(monitor), args: ["-n", action, path], env: Tools.env, stdin: [])
        guard status == 0 else {
            throw NetworkError(.system, String(decoding: err, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }
}

/// Containers of one network reach each other over its bridge; traffic
/// routed from one Nest network's bridge to another's is dropped. The rules
/// (two per network, tagged with its name) are in NEST-ADMIN, the admin
/// chain the firewall plugin's CNI-FORWARD jumps to before it accepts a
/// container's traffic. The chain stays once made (CNI-FORWARD's jump to it
/// does: the firewall plugin keeps its chains, as portmap does).
enum Isolation {
    static let chain = "NEST-ADMIN"

    static func rules(_ bridge: String, _ network: String) -> [[String]] {
        let tag = ["-m", "comment", "--comment", "nest network \(network)"]
        return [["-i", bridge, "-o", bridge, "-j", "ACCEPT"] + tag, ["-i", bridge, "-o", "nest-+", "-j", "DROP"] + tag]
    }

    static func add(bridge: String, network: String) throws(NetworkError) {
        let ipt = Tools.find("iptables")
        let (listed, _, _) = try Spawn.run(ipt, args: ["-w", "-n", "-L", chain], env: Tools.env, stdin: [])
        if listed != 0 {
            let (status, _, err) = try Spawn.run(ipt, args: ["-w", "-N", chain], env: Tools.env, stdin: [])
            if status != 0 {
                throw NetworkError(.system, "iptables -N \(chain): \(String(decoding: err, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))")
            }
        }
        for rule in rules(bridge, network) {
            let (exists, _, _) = try Spawn.run(ipt, args: ["-w", "-C", chain] + rule, env: Tools.env, stdin: [])
            if exists == 0 { continue }
            let (status, _, err) = try Spawn.run(ipt, args: ["-w", "-A", chain] + rule, env: Tools.env, stdin: [])
            if status != 0 {
                throw NetworkError(.system, "iptables: \(String(decoding: err, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))")
            }
        }
    }

    static func remove(bridge: String, network: String) {
        let ipt = Tools.find("iptables")
        for rule in rules(bridge, network) {
            // every copy (a create killed between its add and its conflist may have left one)
            while case let (status, _, _)? = try? Spawn.run(ipt, args: ["-w", "-D", chain] + rule, env: Tools.env, stdin: []),
                  status == 0 {}
        }
    }
}
