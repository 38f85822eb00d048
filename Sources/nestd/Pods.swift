#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import NestAPI
import NestNetwork
import NestOCI
import NestRuntime
import NestSubsystem

/// Pods: subsystems of several containers. The pod is the subsystem's
/// holder (runtime container ID: the shared namespaces, the ROM files, the
/// quota node); each of its containers is the runtime's process `ID/NAME`,
/// known to clients as `POD/NAME` (the pod's name, the container's name in
/// the pod). The holder is made with the first container, so a pod without
/// containers is only its record. Every change of a pod's config is made
/// under `podLock`.
extension Daemon {
    // MARK: lookups

    func podRecord(_ idOrName: String) throws(APIError) -> PodRecord {
        let p = pods.withLock { p in p[idOrName] ?? p.values.first { $0.name == idOrName } }
        guard let p, p.deleting != true else { throw APIError(404, "no such pod: \(idOrName)") }
        return p
    }

    /// The pod's config: the runtime's once the holder exists, else the
    /// pod's own part alone.
    func podSubsystem(_ p: PodRecord) throws(APIError) -> Subsystem {
        guard let xml = try? runtime.subsystemXML(id: p.id) else {
            var sub = Subsystem.pod(name: p.id, hostname: p.hostname, quota: Self.podQuota(p))
            if let network = p.network, let netns = p.netns {
                // the holder joins the file; one /etc/hosts for the pod names the network's containers
                sub.attachNetwork(network, netns: netns, address: p.address)
                if let rom = sub.starts.firstIndex(where: { $0.name == Subsystem.podROM }) {
                    sub.starts[rom].rom?.modules.removeAll { $0.name == "hosts" || $0.name == "resolv.conf" }
                    sub.starts[rom].rom?.modules.append(ROMModule(name: "hosts", content: HostsFile.text(networks.hostsEntries(of: p.id)),
                                                                  path: "/etc/hosts"))
                    sub.starts[rom].rom?.modules.append(ROMModule(name: "resolv.conf", content: Self.hostResolvConf(),
                                                                  path: "/etc/resolv.conf"))
                }
            }
            return sub
        }
        do { return try Subsystem.read(xml: xml) } catch {
            throw APIError(500, "pod \(p.name): its config cannot be read: \(error.description)")
        }
    }

    /// A pod's `ports` (HOSTPORT:CTRPORT[/udp]), published through its network.
    static func podPorts(_ req: PodCreateRequest) throws(APIError) -> [PortMapping] {
        var ports: [PortMapping] = []
        for (i, text) in (req.ports ?? []).enumerated() {
            do throws(NetworkError) { ports.append(try PortMapping.parse(text, field: "ports[\(i)]")) } catch { throw APIError(error) }
        }
        if !ports.isEmpty, req.network == nil {
            throw APIError(400, "ports are published through the pod's network: give network", field: "ports")
        }
        return ports
    }

    /// An id no pod and no container has; under `podLock`.
    func newPodID() -> String {
        var id = ""
        repeat { id = Self.randomID() } while pods.withLock({ $0[id] != nil }) || known.withLock({ $0[id] != nil })
        return id
    }

    static func podQuota(_ p: PodRecord) -> Quota {
        Subsystem.quota(cgroupsPath: "/nest/" + p.id, memory: p.memory, cpus: p.cpus, pids: p.pids)
    }

    /// The record of the pod's container `name`, made from its config.
    func memberRecord(_ p: PodRecord, _ sub: Subsystem, _ name: String, created: Date? = nil) -> ContainerRecord {
        let process = sub.start(name)
        let log = (try? sub.layout(of: name))?.log?.file
        var r = ContainerRecord(id: p.id + "/" + name, name: p.name + "/" + name, bundle: sub.bundle, labels: p.labels,
                                command: process?.container?.process?.args ?? [], created: created ?? p.created,
                                started: nil, phase: .created)
        r.pod = p.id
        r.logFile = log
        return r
    }

    func members(_ p: PodRecord) -> [ContainerRecord] {
        let prefix = p.id + "/"
        let all = known.withLock { k in k.values.filter { $0.id.hasPrefix(prefix) } }
        let order = ((try? podSubsystem(p))?.processes ?? []).map { p.id + "/" + $0.name }
        return all.sorted { (order.firstIndex(of: $0.id) ?? .max, $0.created) < (order.firstIndex(of: $1.id) ?? .max, $1.created) }
    }

    func logPath(_ r: ContainerRecord) -> String { r.logFile ?? records.logPath(r.id) }

    // MARK: create

    func createPod(_ req: PodCreateRequest) throws(APIError) -> PodInfo {
        listCache.begin(); defer { listCache.end() }
        let name = req.name ?? ""
        try Self.checkName(name)
        if let h = req.hostname, h.isEmpty || h.utf8.count > 64 || !Self.isValidName(h) {
            throw APIError(400, "hostname must be 1-64 characters of [A-Za-z0-9_.-]", field: "hostname")
        }
        try Self.checkLimits(memory: req.memory, cpus: req.cpus, pids: req.pids)
        let ports = try Self.podPorts(req)
        return try podLock.withLock { _ throws(APIError) -> PodInfo in
            if !name.isEmpty, pods.withLock({ $0.values.contains { $0.name == name } }) {
                throw APIError(409, "pod name \(name) is already in use", field: "name")
            }
            let id = newPodID()
            let podName = name.isEmpty ? "pod-" + id.prefix(8) : name
            var r = PodRecord(id: id, name: podName, created: Date(), hostname: req.hostname ?? podName, labels: req.labels ?? [:],
                              memory: req.memory, cpus: req.cpus, pids: req.pids)
            // The pod's network namespace is a file attached now (its
            // attachment is recorded before the ADD): the holder, made with
            // the first container, joins it. A daemon killed before the
            // record below is saved leaves an attachment of no pod, which
            // its next start DELs.
            if let network = req.network {
                do throws(NetworkError) {
                    let a = try networks.attach(network: network, subsystem: id, names: [podName, id], ports: ports)
                    (r.network, r.netns, r.address) = (network, a.netnsPath, a.address)
                } catch {
                    networks.detach(subsystem: id)
                    var e = error
                    if e.field == nil || e.field == "name" { e.field = "network" }
                    throw APIError(e)
                }
            }
            do {
                try podStore.make(id)
                try podStore.save(r)
            } catch {
                podStore.remove(id)
                if r.network != nil { detachNetworks(id) }
                throw APIError(500, "pod \(podName): \(error)")
            }
            pods.withLock { $0[id] = r }
            logger.info("pod created", metadata: ["id": "\(id)", "name": "\(podName)"])
            return podInfo(r)
        }
    }

    static func checkLimits(memory: Int64?, cpus: Double?, pids: Int64?) throws(APIError) {
        if let memory, memory < 4 << 20 { throw APIError(400, "memory must be at least 4 MiB, got \(memory)", field: "memory") }
        if let cpus, !(cpus.isFinite && cpus >= 0.01 && cpus <= 1024) {
            throw APIError(400, "cpus must be a number from 0.01 to 1024", field: "cpus")
        }
        if let pids, pids < 1 { throw APIError(400, "pids must be at least 1, got \(pids)", field: "pids") }
    }

    /// Sets the limits a create request asks for on the process of `sub`.
    static func applyLimits(_ req: CreateRequest, _ sub: inout Subsystem) throws(APIError) {
        try checkLimits(memory: req.memory, cpus: req.cpus, pids: req.pids)
        guard req.memory != nil || req.cpus != nil || req.pids != nil,
              let i = sub.starts.firstIndex(where: { $0.binary == Binary.initProcess }) else { return }
        let q = Subsystem.quota(cgroupsPath: "", memory: req.memory, cpus: req.cpus, pids: req.pids)
        guard var c = sub.starts[i].container else { return }
        if let m = q.memory?.limit {
            var memory = c.resources.memory ?? Spec.Linux.Resources.Memory()
            memory.limit = m
            c.resources.memory = memory
        }
        if let given = q.cpu {
            var cpu = c.resources.cpu ?? Spec.Linux.Resources.CPU()
            cpu.quota = given.quota
            cpu.period = given.period
            c.resources.cpu = cpu
        }
        if let p = q.pids { c.resources.pids = p }
        sub.starts[i].container = c
    }

    /// `run --pod P`: the bundle or image becomes one more process of the
    /// pod's subsystem. Nothing is made when its config does not check
    /// (a quota above the pod's is a 400 naming both).
    func addToPod(_ podName: String, _ req: CreateRequest) throws(APIError) -> CreateResponse {
        listCache.begin(); defer { listCache.end() }
        if req.subsystem != nil { throw APIError(400, "a container added to a pod is a bundle or an image, not a subsystem", field: "pod") }
        if req.tty == true || req.openStdin == true {
            throw APIError(400, "a container of a pod has no terminal or stdin of the daemon's (its output goes to its log)",
                           field: req.tty == true ? "tty" : "openStdin")
        }
        try Self.checkImageFields(req)
        if req.image != nil, !req.bundle.isEmpty { throw APIError(400, "give one of image and bundle", field: "image") }
        if req.image == nil, !req.bundle.hasPrefix("/") { throw APIError(400, "bundle must be an absolute path", field: "bundle") }
        let name = req.name ?? ""
        try Self.checkName(name)
        let imageToken = UUID().uuidString
        let image = try req.image.map { ref throws(APIError) in (ref: ref, image: try claimImage(ref, token: imageToken)) }
        defer { if image != nil { releaseImage(imageToken) } }
        return try podLock.withLock { _ throws(APIError) -> CreateResponse in
            let p = try podRecord(podName)
            var pod = try podSubsystem(p)
            var member = name
            if member.isEmpty {
                var n = pod.processes.count + 1
                while pod.start("c\(n)") != nil { n += 1 }
                member = "c\(n)"
            }
            if pod.start(member) != nil || known.withLock({ $0[p.id + "/" + member] != nil }) {
                throw APIError(409, "pod \(p.name) has a container named \(member) already", field: "name")
            }
            let id = p.id + "/" + member
            let memberDir = podStore.podDir(p.id) + "/" + member
            let log = podStore.logPath(p.id, member)
            var opts = CreateOptions(bundle: req.bundle)
            opts.stdio = .log(path: log)
            var claim = VolumeClaim()
            defer { releaseVolumes(claim) }
            do {
                var single: Subsystem
                if let image {
                    if mkdir(memberDir, 0o755) != 0 && errno != EEXIST { throw APIError(500, "mkdir \(memberDir): \(String(cString: strerror(errno)))") }
                    let made = try ImageBundle.make(req, ref: image.ref, image: image.image, dataDir: memberDir, id: p.id)
                    opts.bundle = made.bundle
                    opts.overlay = made.overlay
                    single = try runtime.translate(id: p.id, options: opts)
                } else {
                    single = try runtime.translate(id: p.id, options: opts)
                    if let user = req.user { try single.setUser(user) }
                }
                // its output is its log: the daemon holds no terminal for it
                if let i = single.starts.firstIndex(where: { $0.binary == Binary.initProcess }) {
                    single.starts[i].container?.process?.terminal = false
                    single.starts[i].container?.process?.consoleSize = nil
                }
                try Self.applyLimits(req, &single)
                claim = try claimVolumes(req.mounts ?? [], into: &single)
                do throws(SpecError) { try pod.addContainer(single, as: member, logFile: log) } catch {
                    throw APIError(400, "pod \(p.name): \(error.description)", field: error.path)
                }
                let problems = pod.check()
                if let first = problems.first {
                    throw APIError(400, "pod \(p.name): " + problems.map(\.description).joined(separator: "; "), field: first.path,
                                   errors: problems.map { FieldError(field: $0.path, message: $0.message) })
                }
                if (try? runtime.state(id: p.id)) != nil {
                    _ = try runtime.addProcess(pod, name: member, options: opts)
                } else {
                    _ = try runtime.create(subsystem: pod, options: opts)
                }
                claim.succeeded = true
            } catch let error as APIError {
                removeDir(memberDir)
                throw error
            } catch {
                removeDir(memberDir)
                throw APIError(error)
            }
            var r = memberRecord(p, pod, member, created: Date())
            r.autoRemove = req.autoRemove == true ? true : nil
            if !(req.labels ?? [:]).isEmpty { r.labels.merge(req.labels ?? [:]) { $1 } }
            known.withLock { $0[id] = r }
            setSummary(id, SubsystemSummary.components(pod))
            events.emit("created", id: id, name: r.name)
            watcher.watch(id)
            return CreateResponse(id: id, name: r.name)
        }
    }

    /// `run --subsystem FILE` of several processes: the config is the pod.
    func createPod(from given: Subsystem, _ req: CreateRequest) throws(APIError) -> CreateResponse {
        listCache.begin(); defer { listCache.end() }
        if req.autoRemove == true {
            throw APIError(400, "a subsystem of several processes is a pod: remove it with `nestctl pod rm`", field: "autoRemove")
        }
        for (field, set) in [("tty", req.tty == true), ("openStdin", req.openStdin == true), ("user", req.user != nil),
                             ("mounts", !(req.mounts ?? []).isEmpty)] where set {
            throw APIError(400, "\(field) applies to a subsystem of one process; a pod's config says it", field: field)
        }
        let name = req.name ?? ""
        try Self.checkName(name)
        return try podLock.withLock { _ throws(APIError) -> CreateResponse in
            if !name.isEmpty, pods.withLock({ $0.values.contains { $0.name == name } }) {
                throw APIError(409, "pod name \(name) is already in use", field: "name")
            }
            let id = newPodID()
            var sub = given
            sub.name = id
            // a log server without a file gets one of its own in the pod's dir
            for i in sub.starts.indices where sub.starts[i].log != nil && sub.starts[i].log?.file == nil {
                let server = sub.starts[i].name
                sub.starts[i].log?.file = podStore.logPath(id, server)
            }
            let podName = name.isEmpty ? "pod-" + id.prefix(8) : name
            let hostname = sub.starts.lazy.compactMap { $0.rom?.module("hostname") }.first ?? podName
            var r = PodRecord(id: id, name: podName, created: Date(), hostname: hostname, labels: req.labels ?? [:],
                              handWritten: true)
            if let q = sub.quota {
                r.memory = q.memory?.limit
                r.pids = q.pids?.limit
                if let cq = q.cpu?.quota, let cp = q.cpu?.period, cp > 0 { r.cpus = Double(cq) / Double(cp) }
            }
            do {
                try podStore.make(id)
                var opts = CreateOptions(bundle: "")
                opts.stdio = .null
                _ = try runtime.create(subsystem: sub, options: opts)
            } catch let error as RuntimeError {
                podStore.remove(id)
                throw APIError(error)
            } catch {
                podStore.remove(id)
                throw APIError(500, "pod \(podName): \(error)")
            }
            // No record before the pod exists: recover() removes a holder
            // without one, as it does a container's.
            do { try podStore.save(r) } catch {
                try? runtime.delete(id: id, force: true)
                podStore.remove(id)
                throw APIError(500, "pod \(podName): \(error)")
            }
            pods.withLock { $0[id] = r }
            let components = SubsystemSummary.components(sub)
            for process in sub.processes {
                let m = memberRecord(r, sub, process.name)
                known.withLock { $0[m.id] = m }
                setSummary(m.id, components)
                events.emit("created", id: m.id, name: m.name)
                watcher.watch(m.id)
            }
            return CreateResponse(id: id, name: podName)
        }
    }
}

/// Removes a directory tree the daemon made, when it is there.
func removeDir(_ path: String) {
    if access(path, F_OK) == 0 { try? FileManager.default.removeItem(atPath: path) }
}
