#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import NestAPI
import NestOCI
import NestRuntime
import NestSubsystem

/// A pod's containers started, stopped and removed together, in <start>
/// order and its reverse; what `pod inspect` shows (Pods.swift).
extension Daemon {
    // MARK: lifecycle

    /// Starts the created containers in <start> order.
    func startPod(_ idOrName: String) throws(APIError) -> PodInfo {
        listCache.begin(); defer { listCache.end() }
        let p = try podRecord(idOrName)
        for m in members(p) where (try? runtime.state(id: m.id).status) == "created" { try start(m.id) }
        return podInfo(p)
    }

    /// Stops the containers in reverse <start> order; the pod (its
    /// namespaces, its quota node) stays for containers added later.
    func stopPod(_ idOrName: String, timeout: Double) throws(APIError) -> PodInfo {
        listCache.begin(); defer { listCache.end() }
        let p = try podRecord(idOrName)
        for m in members(p).reversed() { _ = try stop(m.id, timeout: timeout) }
        return podInfo(p)
    }

    /// Removes the containers in reverse <start> order, then the holder and
    /// the pod's record. Without force, a running container is a 409.
    func removePod(_ idOrName: String, force: Bool) throws(APIError) {
        listCache.begin(); defer { listCache.end() }
        try podLock.withLock { _ throws(APIError) in
            var p = try podRecord(idOrName)
            let ms = members(p)
            if !force {
                let live = ms.filter { ["running", "paused"].contains((try? runtime.state(id: $0.id).status) ?? "stopped") }
                if !live.isEmpty {
                    throw APIError(409, "pod \(p.name) has running containers: \(live.map(\.name).joined(separator: ", ")); stop it first or use force=true",
                                   field: "force")
                }
            }
            p.deleting = true
            try? podStore.save(p)
            pods.withLock { $0[p.id] = p }
            for m in ms.reversed() { try delete(m.id, force: true, inPod: true) }
            do { try runtime.delete(id: p.id, force: true) } catch {
                if case RuntimeError.notFound = error {} else { throw APIError(error) }
            }
            // after the holder: nothing is in the namespace any more
            if p.network != nil { detachNetworks(p.id) }
            podStore.remove(p.id)
            pods.withLock { _ = $0.removeValue(forKey: p.id) }
            logger.info("pod removed", metadata: ["id": "\(p.id)", "name": "\(p.name)"])
        }
    }

    /// After a pod's container is gone from the runtime: its config no
    /// longer names it.
    func forgetMember(_ r: ContainerRecord, lockHeld: Bool) {
        guard let pod = r.pod else { return }
        let name = String(r.id.dropFirst(pod.count + 1))
        let forget = { [runtime, logger] in
            do { try runtime.forgetProcess(subsystem: pod, name: name) } catch {
                logger.warning("pod config not rewritten", metadata: ["id": "\(r.id)", "error": "\(error)"])
            }
        }
        if lockHeld { forget() } else { podLock.withLock { _ in forget() } }
        removeDir(podStore.podDir(pod) + "/" + name)
        unlink(podStore.logPath(pod, name))
    }

    // MARK: inspect

    func listPods() -> [PodInfo] {
        pods.withLock { Array($0.values) }.filter { $0.deleting != true }.sorted { $0.created < $1.created }.map(podInfo)
    }

    func inspectPod(_ idOrName: String) throws(APIError) -> PodInfo { podInfo(try podRecord(idOrName)) }

    func podInfo(_ p: PodRecord) -> PodInfo {
        let containers = members(p).map { info($0, try? runtime.state(id: $0.id)) }
        let states = Set(containers.map(\.state))
        let state = states.contains("running") || states.contains("paused") ? "running"
            : containers.isEmpty || states == ["created"] ? "created" : states.contains("created") ? "created" : "stopped"
        var pod = PodInfo(id: p.id, name: p.name, state: state, created: Timestamp.string(p.created), hostname: p.hostname,
                          labels: p.labels, containers: containers, quota: quotaTree(p))
        (pod.network, pod.address) = (p.network, p.address)
        return pod
    }

    /// The pod's quota node and its containers' below it, with what each
    /// uses now.
    func quotaTree(_ p: PodRecord) -> QuotaNode {
        let sub = try? podSubsystem(p)
        let quota = sub?.quota ?? Self.podQuota(p)
        func node(_ name: String, _ q: Quota) -> QuotaNode {
            let usage = runtime.cgroupUsage(path: q.cgroupsPath)
            let cpus = q.cpu.flatMap { c -> Double? in
                guard let quota = c.quota, quota > 0, let period = c.period, period > 0 else { return nil }
                return Double(quota) / Double(period)
            }
            return QuotaNode(name: name, cgroup: q.cgroupsPath, memoryLimit: q.memory?.limit, memoryUsage: usage.memory,
                             cpus: cpus, pidsLimit: q.pids?.limit, pidsCurrent: usage.pids)
        }
        var root = node("", quota)
        let children = (sub?.processes ?? []).compactMap { s in s.container.map { node(s.name, $0.resources) } }
        root.children = children
        return root
    }
}
