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

/// A restarted nestd finds its pods in their records and their
/// containers in the pods' configs (Pods.swift).
extension Daemon {
    // MARK: recovery

    /// Loads the pods and their containers from the configs on disk:
    /// finishes a removal a killed daemon left, drops from a config a
    /// process that was never made, and removes a process no config names.
    /// Returns the ids of the holders, which are the pods'.
    func recoverPods() -> Set<String> {
        var holders: Set<String> = []
        for id in podStore.unrecorded() where (try? runtime.state(id: id)) == nil { podStore.remove(id) }
        for var p in podStore.loadAll() {
            var holder = try? runtime.state(id: p.id)
            // made by a first `run --pod` the daemon did not finish: undone,
            // as a create that failed would have been
            if holder?.status == "creating" {
                try? runtime.delete(id: p.id, force: true)
                holder = try? runtime.state(id: p.id)
                logger.info("removed a half-made pod holder", metadata: ["id": "\(p.id)"])
            }
            if p.deleting == true || (holder == nil && p.handWritten == true) {
                if holder != nil { try? runtime.delete(id: p.id, force: true) }
                podStore.remove(p.id)
                logger.info("removed a pod", metadata: ["id": "\(p.id)", "name": "\(p.name)"])
                continue
            }
            p.deleting = nil
            pods.withLock { $0[p.id] = p }
            guard holder != nil else { continue }
            holders.insert(p.id)
            guard let sub = try? podSubsystem(p) else { continue }
            let live = Set(runtime.processes(of: p.id))
            for process in sub.processes {
                let id = p.id + "/" + process.name
                if live.contains(id), (try? runtime.state(id: id))?.status == "creating" {
                    try? runtime.delete(id: id, force: true)
                    try? runtime.forgetProcess(subsystem: p.id, name: process.name)
                    logger.info("removed a half-made pod container", metadata: ["id": "\(id)"])
                } else if live.contains(id) {
                    var m = memberRecord(p, sub, process.name)
                    if let st = try? runtime.state(id: id), st.status != "created" { m.started = Date() }
                    known.withLock { $0[id] = m }
                } else {
                    try? runtime.forgetProcess(subsystem: p.id, name: process.name)
                    logger.info("dropped a pod container that was never made", metadata: ["id": "\(id)"])
                }
            }
            for id in live where sub.start(String(id.dropFirst(p.id.count + 1))) == nil {
                try? runtime.delete(id: id, force: true)
                logger.info("removed a pod container no config names", metadata: ["id": "\(id)"])
            }
        }
        return holders
    }
}
