import Foundation
import Glibc
import NestAPI
import NestNetwork
import NestSubsystem

/// Networks: the store (NestNetwork), what a create attaches, and the
/// /etc/hosts of every container on a network, rewritten in place when
/// one joins or leaves (the bind mount pins the file's inode).
extension Daemon {
    private func networkInfo(_ s: NetworkStatus) -> NetworkInfo {
        // a user is a container, or a pod (its attachment is the pod's own)
        let podNames = pods.withLock { p in p.mapValues(\.name) }
        let names = known.withLock { k in s.users.map { k[$0]?.name ?? podNames[$0] ?? $0 } }.sorted()
        return NetworkInfo(name: s.name, subnet: s.subnet, gateway: s.gateway, bridge: s.bridge,
                           conflist: networks.root + "/" + s.name + "/conflist.json", containers: names)
    }

    func createNetwork(_ req: NetworkCreateRequest) throws(APIError) -> NetworkInfo {
        do throws(NetworkError) {
            let s = try networks.create(name: req.name, subnet: req.subnet)
            logger.info("network created", metadata: ["name": "\(s.name)", "subnet": "\(s.subnet)", "bridge": "\(s.bridge)"])
            return networkInfo(s)
        } catch { throw APIError(error) }
    }

    func listNetworks() -> [NetworkInfo] { networks.list().map(networkInfo) }

    func inspectNetwork(_ name: String) throws(APIError) -> NetworkInfo {
        do throws(NetworkError) { return networkInfo(try networks.inspect(name)) } catch { throw APIError(error) }
    }

    func removeNetwork(_ name: String) throws(APIError) {
        do throws(NetworkError) {
            try networks.remove(name)
        } catch {
            if error.kind == .inUse, let s = try? networks.inspect(name) {
                throw APIError(409, "network \(name) is in use by \(networkInfo(s).containers.map { "container \($0)" }.joined(separator: ", "))")
            }
            throw APIError(error)
        }
        logger.info("network removed", metadata: ["name": "\(name)"])
    }

    /// Attaches the container `id` to the request's networks (ADD, before
    /// the runtime creates it: the address goes into its /etc/hosts) and
    /// wires its config: a `net-NAME` server per network, the process's
    /// Nic route, the hosts and resolv.conf ROM modules. Undone by
    /// `detachNetworks` when the create fails later.
    func attachNetworks(_ req: CreateRequest, id: String, name: String, into sub: inout Subsystem) throws(APIError) {
        let nets = req.networks ?? []
        if nets.isEmpty {
            if let ports = req.ports, !ports.isEmpty { throw APIError(400, "-p publishes a port of a network: give --network", field: "ports") }
            return
        }
        for (i, n) in nets.enumerated() where nets[..<i].contains(n) {
            throw APIError(400, "network \(n) given twice", field: "networks[\(i)]")
        }
        var ports: [PortMapping] = []
        for (i, p) in (req.ports ?? []).enumerated() {
            let m = PortMapping(host: p.host, container: p.container, proto: p.proto ?? "tcp")
            if let problem = m.problem { throw APIError(400, problem, field: "ports[\(i)]") }
            ports.append(m)
        }
        let names = [name, id]
        var last: Attachment?
        do throws(NetworkError) {
            for (i, n) in nets.enumerated() {
                do throws(NetworkError) {
                    let a = try networks.attach(network: n, subsystem: id, names: names, ports: i == 0 ? ports : [])
                    sub.attachNetwork(n, netns: a.netnsPath, address: a.address)
                    last = a
                } catch {
                    var e = error
                    if e.field == nil || e.field == "network" || e.field == "name" { e.field = "networks[\(i)]" }
                    throw e
                }
            }
        } catch {
            networks.detach(subsystem: id)
            throw APIError(error)
        }
        let entries = last.map { _ in networks.hostsEntries(of: id) } ?? []
        sub.setROM("hosts", content: HostsFile.text(entries), path: "/etc/hosts")
        sub.setROM("resolv.conf", content: Self.hostResolvConf(), path: "/etc/resolv.conf")
    }

    /// Detaches `id` (DEL, namespace file) and rewrites the hosts files of
    /// the containers that shared a network with it.
    func detachNetworks(_ id: String) {
        let around = networks.neighbours(of: id)
        let errors = networks.detach(subsystem: id)
        for e in errors { logger.warning("network detach", metadata: ["id": "\(id)", "error": "\(e.message)"]) }
        refreshHosts(around)
    }

    /// Rewrites, in place, /etc/hosts of `ids`: the ROM file in the state
    /// dir, ROOT/ID/rom/hosts for a container, ROOT/SUB/rom/SERVER/hosts for
    /// each ROM server of a subsystem of several processes (a pod).
    func refreshHosts(_ ids: [String]) {
        for id in ids {
            let dir = root + "/" + id + "/rom"
            var paths = [dir + "/hosts"]
            if access(paths[0], F_OK) != 0 {
                paths = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).map { dir + "/" + $0 + "/hosts" }
            }
            let bytes = Array(HostsFile.text(networks.hostsEntries(of: id)).utf8)
            for path in paths { rewrite(path, bytes) }
        }
    }

    /// Truncate and write, never replace: the container's read-only bind
    /// holds this inode.
    private func rewrite(_ path: String, _ bytes: [UInt8]) {
        let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return }
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            off += n
        }
        close(fd)
    }

    /// At start: CHECK (and repair) the attachments of the containers the
    /// daemon knows, DEL those of containers gone while it was down, and
    /// bring every hosts file up to date.
    func recoverNetworks() {
        // a pod's attachment is its own (the pod's id), made before its holder
        let live = Set(known.withLock { Array($0.keys) }).union(pods.withLock { Array($0.keys) })
        for line in networks.recover(live: live) { logger.info("network recovery", metadata: ["what": "\(line)"]) }
        refreshHosts(networks.attached())
    }

    /// The host's resolv.conf without loopback resolvers (a container's
    /// loopback is its own), as a container on a network gets it.
    static func hostResolvConf() -> String {
        guard let text = try? String(contentsOfFile: "/etc/resolv.conf", encoding: .utf8) else { return "" }
        return text.split(separator: "\n", omittingEmptySubsequences: false).filter { line in
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard f.count >= 2, f[0] == "nameserver" else { return true }
            return !(f[1].hasPrefix("127.") || f[1] == "::1")
        }.joined(separator: "\n")
    }
}

extension APIError {
    init(_ e: NetworkError) {
        switch e.kind {
        case .invalid: self.init(400, e.message, field: e.field)
        case .notFound: self.init(404, e.message, field: e.field)
        case .inUse: self.init(409, e.message, field: e.field)
        case .plugin, .system: self.init(500, e.message)
        }
    }
}
