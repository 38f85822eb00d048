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

/// The host's iptables rules of a network, made at its create and removed
/// with it (none per container: a container's ADD and DEL run no iptables
/// but portmap's). Tagged `nest network NAME`, in two chains of Nest's own
/// that exist while some network does:
/// - filter NEST-FORWARD (jumped to first from FORWARD): routed traffic from
///   one Nest network's bridge to another's is dropped (those rules first,
///   each after its own bridge-to-itself accept), then accepted in and out
///   of the bridge (established or port-mapped connections only, inwards),
///   for a host whose FORWARD policy drops;
/// - nat NEST-POSTROUTING: the subnet's traffic to elsewhere masqueraded.
enum HostRules {
    static let filterChain = "NEST-FORWARD"
    static let natChain = "NEST-POSTROUTING"

    struct Rule {
        var table: String
        var chain: String
        /// At the top of the chain (isolation) or at its end (accepts).
        var first: Bool
        var spec: [String]
    }

    static func rules(_ c: Conflist) -> [Rule] {
        let tag = ["-m", "comment", "--comment", "nest network \(c.name)"]
        let br = c.bridge, net = c.subnet.description
        // inserted in this order at the top: the accept ends up above the drop
        return [
            Rule(table: "filter", chain: filterChain, first: true, spec: ["-i", br, "-o", "nest-+", "-j", "DROP"] + tag),
            Rule(table: "filter", chain: filterChain, first: true, spec: ["-i", br, "-o", br, "-j", "ACCEPT"] + tag),
            Rule(table: "filter", chain: filterChain, first: false, spec: ["-i", br, "-j", "ACCEPT"] + tag),
            Rule(table: "filter", chain: filterChain, first: false,
                 spec: ["-o", br, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED,DNAT", "-j", "ACCEPT"] + tag),
            Rule(table: "nat", chain: natChain, first: false, spec: ["-s", net, "!", "-d", net, "-j", "MASQUERADE"] + tag),
        ]
    }

    static func ipt(_ args: [String]) throws(NetworkError) -> Int32 {
        let (status, _, _) = try Spawn.run(Tools.find("iptables"), args: ["-w"] + args, env: Tools.env, stdin: [])
        return status
    }

    static func must(_ args: [String]) throws(NetworkError) {
        let (status, _, err) = try Spawn.run(Tools.find("iptables"), args: ["-w"] + args, env: Tools.env, stdin: [])
        if status != 0 {
            throw NetworkError(.system, "iptables \(args.joined(separator: " ")): \(String(decoding: err, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }

    static func add(_ c: Conflist) throws(NetworkError) {
        for (table, chain, hook, top) in [("filter", filterChain, "FORWARD", true), ("nat", natChain, "POSTROUTING", false)] {
            if try ipt(["-t", table, "-n", "-L", chain]) != 0 { try must(["-t", table, "-N", chain]) }
            if try ipt(["-t", table, "-C", hook, "-j", chain]) != 0 {
                try must(["-t", table] + (top ? ["-I", hook, "1"] : ["-A", hook]) + ["-j", chain])
            }
        }
        for r in rules(c) {
            if try ipt(["-t", r.table, "-C", r.chain] + r.spec) == 0 { continue }
            try must(["-t", r.table] + (r.first ? ["-I", r.chain, "1"] : ["-A", r.chain]) + r.spec)
        }
    }

    /// Removes the network's rules (every copy: a create killed between its
    /// rules and its conflist may have left one), and the chains and their
    /// jumps once no network has a rule in them.
    static func remove(_ c: Conflist) {
        for r in rules(c) {
            while (try? ipt(["-t", r.table, "-D", r.chain] + r.spec)) == 0 {}
        }
        for (table, chain, hook) in [("filter", filterChain, "FORWARD"), ("nat", natChain, "POSTROUTING")] {
            let (status, out, _) = (try? Spawn.run(Tools.find("iptables"), args: ["-w", "-t", table, "-S", chain], env: Tools.env, stdin: []))
                ?? (1, [], [])
            // `-N CHAIN` alone: empty
            guard status == 0, String(decoding: out, as: UTF8.self).split(separator: "\n").count == 1 else { continue }
            while (try? ipt(["-t", table, "-D", hook, "-j", chain])) == 0 {}
            _ = try? ipt(["-t", table, "-X", chain])
        }
    }
}
