import Foundation
import Glibc
import Synchronization

/// Networks (DATA/networks/NAME/conflist.json), the subsystems attached to
/// them (DATA/networks/attachments/SUBID.json) and their namespace files
/// (RUN/.nestd/netns/SUBID). One lock orders every operation: an attach and
/// a network's removal cannot cross.
public final class NetworkStore: Sendable {
    public let root: String
    public let runDir: String
    let runner: PluginRunner
    let monitor: String?
    private let lock = Mutex(())

    /// `monitor` is nest-monitor (it makes and removes namespace files); nil
    /// finds it as the runtime does ($NEST_LIBEXEC, beside this program,
    /// /usr/local/libexec/nest).
    public init(root: String, runDir: String, pluginDirs: [String] = ["/usr/lib/cni", "/opt/cni/bin"], monitor: String? = nil) {
        self.root = root
        self.runDir = runDir
        self.runner = PluginRunner(pluginDirs: pluginDirs)
        self.monitor = monitor
    }

    var ipamDir: String { root + "/ipam" }
    var attachmentsDir: String { root + "/attachments" }
    func conflistPath(_ name: String) -> String { root + "/" + name + "/conflist.json" }
    func attachmentPath(_ sub: String) -> String { attachmentsDir + "/" + Self.fileName(sub) + ".json" }
    public func netnsPath(_ sub: String) -> String { runDir + "/" + Self.fileName(sub) }

    /// A subsystem id as one file name (a pod's process ids hold '/').
    static func fileName(_ sub: String) -> String { sub.replacingOccurrences(of: "/", with: "+") }

    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 64 else { return false }
        func ok(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) }
        return ok(first) && name.utf8.allSatisfy { ok($0) || $0 == 0x2d || $0 == 0x5f || $0 == 0x2e }
    }

    /// `nest-NAME` when that fits an interface name (15 bytes), else
    /// `nest-` and a hash of the name.
    public static func bridgeName(_ name: String) -> String {
        if name.utf8.count <= 10 { return "nest-" + name }
        var h: UInt64 = 0xcbf29ce484222325
        for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        let hex = String(h, radix: 16)
        return "nest-" + String(String(repeating: "0", count: max(0, 10 - hex.count)) + hex).prefix(10)
    }

    private func ensureDirs() throws(NetworkError) {
        for d in [root, ipamDir, attachmentsDir, runDir] where mkdir(d, 0o700) != 0 && errno != EEXIST {
            // a parent missing: make the chain
            do { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) } catch {
                throw NetworkError(.system, "\(d): \(error.localizedDescription)")
            }
        }
    }

    // MARK: networks

    func conflist(_ name: String) throws(NetworkError) -> Conflist {
        guard Self.isValidName(name) else { throw NetworkError(.invalid, "network name must match [A-Za-z0-9][A-Za-z0-9_.-]* (at most 64)", field: "name") }
        guard let bytes = AtomicFile.read(conflistPath(name)) else { throw NetworkError(.notFound, "no such network: \(name)") }
        return try Conflist.read(bytes, ipamDir: ipamDir)
    }

    func allConflists() -> [Conflist] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.sorted().filter { $0 != "ipam" && $0 != "attachments" }.compactMap { try? conflist($0) }
    }

    func records() -> [AttachmentRecord] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: attachmentsDir)) ?? []
        return files.sorted().filter { $0.hasSuffix(".json") }.compactMap { f in
            AtomicFile.read(attachmentsDir + "/" + f).flatMap { try? JSONDecoder().decode(AttachmentRecord.self, from: Data($0)) }
        }
    }

    func info(_ c: Conflist, _ records: [AttachmentRecord]) -> NetworkStatus {
        NetworkStatus(name: c.name, subnet: c.subnet.description, gateway: c.subnet.gateway, bridge: c.bridge,
                    users: records.filter { $0.networks.contains { $0.network == c.name } }.map(\.subsystem).sorted())
    }

    /// Makes a network: its host rules (HostRules) and its conflist. Without `subnet`, the first
    /// 10.89.N.0/24 no other network has.
    public func create(name: String, subnet text: String?) throws(NetworkError) -> NetworkStatus {
        try lock.withLock { _ throws(NetworkError) -> NetworkStatus in
            guard Self.isValidName(name) else {
                throw NetworkError(.invalid, "network name must match [A-Za-z0-9][A-Za-z0-9_.-]* (at most 64)", field: "name")
            }
            try ensureDirs()
            if access(conflistPath(name), F_OK) == 0 { throw NetworkError(.inUse, "network \(name) exists already", field: "name") }
            let others = allConflists()
            let subnet: Subnet
            if let text {
                switch Subnet.parse(text) {
                case .success(let s): subnet = s
                case .failure(let e): throw e
                }
                if let other = others.first(where: { $0.subnet.overlaps(subnet) }) {
                    throw NetworkError(.inUse, "subnet \(subnet) overlaps network \(other.name)'s \(other.subnet)", field: "subnet")
                }
            } else {
                guard let free = (0...255).lazy.map({ Subnet(address: 0x0a59_0000 | UInt32($0) << 8, prefix: 24) })
                    .first(where: { s in !others.contains { $0.subnet.overlaps(s) } }) else {
                    throw NetworkError(.inUse, "no free 10.89.N.0/24 subnet left: give one", field: "subnet")
                }
                subnet = free
            }
            let bridge = Self.bridgeName(name)
            if let other = others.first(where: { $0.bridge == bridge }) {
                throw NetworkError(.inUse, "network \(other.name) has the bridge \(bridge) already", field: "name")
            }
            let c = Conflist(name: name, bridge: bridge, subnet: subnet, ipamDir: ipamDir)
            let dir = root + "/" + name
            guard mkdir(dir, 0o700) == 0 else { throw NetworkError(.system, "\(dir): \(String(cString: strerror(errno)))") }
            do throws(NetworkError) {
                try HostRules.add(c)
                try AtomicFile.write(conflistPath(name), c.json())
            } catch {
                HostRules.remove(c)
                unlink(conflistPath(name))
                rmdir(dir)
                throw error
            }
            return info(c, [])
        }
    }

    public func list() -> [NetworkStatus] {
        lock.withLock { _ in
            let recs = records()
            return allConflists().map { info($0, recs) }
        }
    }

    public func inspect(_ name: String) throws(NetworkError) -> NetworkStatus {
        try lock.withLock { _ throws(NetworkError) -> NetworkStatus in info(try conflist(name), records()) }
    }

    /// Removes a network no subsystem is attached to (else inUse naming
    /// them), its host rules, and the bridge the plugins left.
    public func remove(_ name: String) throws(NetworkError) {
        try lock.withLock { _ throws(NetworkError) in
            let c = try conflist(name)
            let users = info(c, records()).users
            if !users.isEmpty { throw NetworkError(.inUse, "network \(name) is in use by \(users.joined(separator: ", "))") }
            HostRules.remove(c)
            // the bridge plugin makes the bridge and never removes it
            _ = try? Spawn.run(Tools.find("ip"), args: ["link", "delete", c.bridge, "type", "bridge"], env: Tools.env, stdin: [])
            // host-local's leases and lock of this network
            try? FileManager.default.removeItem(atPath: ipamDir + "/" + name)
            unlink(conflistPath(name))
            rmdir(root + "/" + name)
        }
    }

    // MARK: attachments

    func save(_ r: AttachmentRecord) throws(NetworkError) {
        let bytes: Data
        do { bytes = try JSONEncoder().encode(r) } catch { throw NetworkError(.system, "attachment record: \(error)") }
        try AtomicFile.write(attachmentPath(r.subsystem), Array(bytes))
    }

    func record(_ sub: String) -> AttachmentRecord? {
        AtomicFile.read(attachmentPath(sub)).flatMap { try? JSONDecoder().decode(AttachmentRecord.self, from: Data($0)) }
    }

    func call(_ r: AttachmentRecord, _ a: NetworkAttach) throws(NetworkError) -> PluginRunner.Call {
        guard let conf = AtomicFile.read(conflistPath(a.network)) else { throw NetworkError(.notFound, "no such network: \(a.network)") }
        return PluginRunner.Call(containerID: Self.fileName(r.subsystem), netns: r.netns, ifname: a.ifname, conflist: conf,
                                 portMappings: a.ports.map { ["hostPort": String($0.host), "containerPort": String($0.container), "protocol": $0.proto] })
    }

    /// Attaches `subsystem` to `network`: the namespace file on the first
    /// network (lo up), the intent on disk, the plugins' ADD, the result on
    /// disk. A failure undoes its own part (DEL, and the namespace when it
    /// made it).
    public func attach(network: String, subsystem: String, names: [String], ports: [PortMapping]) throws(NetworkError) -> Attachment {
        try lock.withLock { _ throws(NetworkError) -> Attachment in
            _ = try conflist(network)
            let taken = records().flatMap { r in r.networks.flatMap { a in a.ports.map { (r.subsystem, $0) } } }
            for (i, p) in ports.enumerated() {
                if let problem = p.problem { throw NetworkError(.invalid, problem, field: "ports[\(i)]") }
                if ports[..<i].contains(where: { $0.host == p.host && $0.proto == p.proto }) {
                    throw NetworkError(.invalid, "host port \(p.host)/\(p.proto) given twice", field: "ports[\(i)]")
                }
                if let (owner, _) = taken.first(where: { $0.1.host == p.host && $0.1.proto == p.proto }) {
                    throw NetworkError(.inUse, "host port \(p.host)/\(p.proto) is published by \(owner) already", field: "ports[\(i)]")
                }
            }
            try ensureDirs()
            var r = record(subsystem) ?? AttachmentRecord(subsystem: subsystem, netns: netnsPath(subsystem), networks: [])
            if r.networks.contains(where: { $0.network == network }) {
                throw NetworkError(.inUse, "\(subsystem) is attached to network \(network) already", field: "network")
            }
            let fresh = r.networks.isEmpty
            let a = NetworkAttach(network: network, ifname: "eth\(r.networks.count)", names: names, ports: ports, state: "adding")
            r.networks.append(a)
            try save(r)
            if fresh {
                do throws(NetworkError) { try Netns.make(r.netns, monitor: monitor) } catch {
                    unlink(attachmentPath(subsystem))
                    throw error
                }
            }
            let raw: [UInt8]
            do throws(NetworkError) {
                raw = try runner.add(try call(r, a))
            } catch {
                _ = try? runner.del(call(r, a), result: nil)
                r.networks.removeLast()
                if fresh {
                    try? Netns.remove(r.netns, monitor: monitor)
                    unlink(attachmentPath(subsystem))
                } else {
                    try? save(r)
                }
                throw error
            }
            r.networks[r.networks.count - 1].result = String(decoding: raw, as: UTF8.self)
            r.networks[r.networks.count - 1].state = "added"
            try save(r)
            let result = try CNIResult.parse(raw)
            return Attachment(netnsPath: r.netns, address: result.address, gateway: result.gateway,
                              hostsEntries: hostsEntries(of: subsystem, records()))
        }
    }

    /// DEL for every network of `subsystem` (last attached first), then the
    /// namespace file and the record. Every step runs even when one fails;
    /// the failures. Nothing attached: nothing to do.
    @discardableResult
    public func detach(subsystem: String) -> [NetworkError] {
        // most containers have no network: no wait for another's plugins
        guard isAttached(subsystem) else { return [] }
        return lock.withLock { _ in detachLocked(subsystem) }
    }

    /// Whether `subsystem` has an attachment record (its own create or
    /// delete is the only writer of it, so no lock is needed to ask).
    public func isAttached(_ subsystem: String) -> Bool { access(attachmentPath(subsystem), F_OK) == 0 }

    private func detachLocked(_ subsystem: String) -> [NetworkError] {
        guard let r = record(subsystem) else { return [] }
        var errors: [NetworkError] = []
        for a in r.networks.reversed() {
            do throws(NetworkError) { errors += runner.del(try call(r, a), result: a.result.map { Array($0.utf8) }) } catch { errors.append(error) }
        }
        do throws(NetworkError) { try Netns.remove(r.netns, monitor: monitor) } catch { errors.append(error) }
        unlink(attachmentPath(subsystem))
        return errors
    }

    /// At the daemon's start: CHECK the attachments of the `live`
    /// subsystems (DEL and ADD again where the check fails or the ADD never
    /// finished), and detach every other one (its container was removed
    /// or died while the daemon was down). What it did, a line each.
    public func recover(live: Set<String>) -> [String] {
        lock.withLock { _ in
            var report: [String] = []
            for var r in records() {
                guard live.contains(r.subsystem) else {
                    let errors = detachLocked(r.subsystem)
                    report.append("detached \(r.subsystem), which is gone" + (errors.isEmpty ? "" : ": " + errors.map(\.message).joined(separator: "; ")))
                    continue
                }
                for i in r.networks.indices {
                    let a = r.networks[i]
                    do throws(NetworkError) {
                        var c = try call(r, a)
                        let old = a.result.map { Array($0.utf8) }
                        var from = 0
                        if a.state == "added", let old {
                            guard let failed = runner.check(c, result: old) else { continue }
                            report.append("\(r.subsystem) on \(a.network): CHECK failed (\(failed.error.message)); attaching again from plugin \(failed.index)")
                            from = failed.index
                        } else {
                            report.append("\(r.subsystem) on \(a.network): the ADD did not finish; attaching again")
                        }
                        // Plugins after the first are redone on the first's result
                        // (the interface stays); the whole chain keeps the address.
                        if from == 0, let ip = a.parsed?.ip { c.args = "IgnoreUnknown=1;IP=\(ip)" }
                        _ = runner.del(c, result: old, from: from)
                        let raw = try runner.add(c, from: from, prev: from == 0 ? nil : old)
                        r.networks[i].result = String(decoding: raw, as: UTF8.self)
                        r.networks[i].state = "added"
                        try save(r)
                    } catch {
                        report.append("\(r.subsystem) on \(a.network): \(error.message)")
                    }
                }
            }
            return report
        }
    }

    // MARK: names

    func hostsEntries(of subsystem: String, _ recs: [AttachmentRecord]) -> [HostsEntry] {
        guard let mine = recs.first(where: { $0.subsystem == subsystem }) else { return [] }
        var out: [HostsEntry] = []
        for a in mine.networks { if let ip = a.parsed?.ip { out.append(HostsEntry(ip: ip, names: a.names)) } }
        let nets = Set(mine.networks.map(\.network))
        for r in recs where r.subsystem != subsystem {
            for a in r.networks where nets.contains(a.network) && a.state == "added" {
                if let ip = a.parsed?.ip, !a.names.isEmpty { out.append(HostsEntry(ip: ip, names: a.names)) }
            }
        }
        return out
    }

    /// The hosts entries of `subsystem`: its own addresses first, then every
    /// other member of its networks.
    public func hostsEntries(of subsystem: String) -> [HostsEntry] {
        lock.withLock { _ in hostsEntries(of: subsystem, records()) }
    }

    /// The subsystems that share a network with `subsystem` (whose hosts
    /// files change when it joins or leaves).
    public func neighbours(of subsystem: String) -> [String] {
        guard isAttached(subsystem) else { return [] }
        return lock.withLock { _ in
            let recs = records()
            guard let mine = recs.first(where: { $0.subsystem == subsystem }) else { return [] }
            let nets = Set(mine.networks.map(\.network))
            return recs.filter { $0.subsystem != subsystem && $0.networks.contains { nets.contains($0.network) } }.map(\.subsystem)
        }
    }

    /// The subsystems attached to any network.
    public func attached() -> [String] { lock.withLock { _ in records().map(\.subsystem) } }
}

/// /etc/hosts of a container on networks.
public enum HostsFile {
    public static func text(_ entries: [HostsEntry]) -> String {
        var s = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        for e in entries where !e.names.isEmpty { s += e.ip + "\t" + e.names.joined(separator: " ") + "\n" }
        return s
    }
}
