#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import NestAPI
import NestSubsystem
import NestVolume

/// Named volumes: the store, who uses each (read from the containers'
/// subsystem configs whenever it matters, never kept in memory), and the
/// mounts a create request adds. `volumeUse` serializes every volume
/// operation and counts, per volume, the creates in progress that will
/// route to it (their configs are not on disk yet).
extension Daemon {
    /// Volume name → ids of the containers whose configs use it.
    func volumeUsers() -> [String: [String]] {
        VolumeUsers.users(containerConfigs(), store: volumes)
    }

    private func volumeInfo(_ r: VolumeRecord, users: [String: [String]]) -> VolumeInfo {
        VolumeInfo(name: r.name, driver: r.driver, mountpoint: volumes.dataDirectory(r.name), created: r.created,
                   labels: r.labels, usedBy: users[r.name] ?? [])
    }

    func listVolumes() -> [VolumeInfo] {
        let users = volumeUsers()
        return volumes.list().map { volumeInfo($0, users: users) }
    }

    func inspectVolume(_ name: String) throws(APIError) -> VolumeInfo {
        do throws(VolumeError) { return volumeInfo(try volumes.record(name), users: volumeUsers()) } catch { throw APIError(error) }
    }

    func createVolume(_ req: VolumeCreateRequest) throws(APIError) -> (VolumeInfo, Bool) {
        try volumeUse.withLock { _ in
            Result { () throws(APIError) -> (VolumeInfo, Bool) in
                let r: VolumeRecord, made: Bool
                do throws(VolumeError) { (r, made) = try volumes.create(req.name, labels: req.labels ?? [:], created: Timestamp.string(Date())) }
                catch { throw APIError(error) }
                if made { logger.info("volume created", metadata: ["name": "\(r.name)"]) }
                return (volumeInfo(r, users: volumeUsers()), made)
            }
        }.get()
    }

    /// A volume in use (by a container's config, or by a create in
    /// progress) is a 409 naming the containers; force does not change that
    /// (it only makes a missing volume no error).
    func removeVolume(_ name: String, force: Bool) throws(APIError) {
        try volumeUse.withLock { pending in
            Result { () throws(APIError) in
                if force, VolumeRecord.isValidName(name), !volumes.exists(name) { return }
                do throws(VolumeError) { _ = try volumes.record(name) } catch { throw APIError(error) }
                let users = volumeUsers()[name] ?? []
                let creating = pending[name] ?? 0
                if !users.isEmpty || creating > 0 {
                    throw APIError(409, "volume \(name) is in use by \(describeContainers(users, pending: creating))")
                }
                do throws(VolumeError) { try volumes.remove(name) } catch { throw APIError(error) }
                logger.info("volume removed", metadata: ["name": "\(name)"])
            }
        }.get()
    }

    /// Removes every volume no container uses; the names removed.
    func pruneVolumes() throws(APIError) -> [String] {
        try volumeUse.withLock { pending in
            Result { () throws(APIError) -> [String] in
                let users = volumeUsers()
                var removed: [String] = []
                for r in volumes.list() where (users[r.name] ?? []).isEmpty && (pending[r.name] ?? 0) == 0 {
                    do throws(VolumeError) { try volumes.remove(r.name) } catch { throw APIError(error) }
                    removed.append(r.name)
                }
                if !removed.isEmpty { logger.info("volumes pruned", metadata: ["names": "\(removed.joined(separator: " "))"]) }
                return removed
            }
        }.get()
    }

    private func describeContainers(_ ids: [String], pending: Int) -> String {
        // by name: the same users give the same message whatever their random ids
        var parts = known.withLock { k in ids.map { id in k[id].map { "container \($0.name) (\(id))" } ?? "container \(id)" } }.sorted()
        if pending > 0 { parts.append("\(pending) container\(pending == 1 ? "" : "s") being created") }
        return parts.joined(separator: ", ")
    }

    /// Logged at start: the users as the configs on disk say.
    func logVolumeUsers() {
        for (name, ids) in volumeUsers().sorted(by: { $0.key < $1.key }) {
            logger.info("volume in use", metadata: ["name": "\(name)", "containers": "\(ids.joined(separator: " "))"])
        }
    }

    // MARK: a create's mounts

    /// Checks the request's mounts and adds them to `sub`: binds and tmpfs
    /// mounts to its root server, each volume as a server of its own that
    /// the process routes to at the mount point. A volume not there yet is
    /// made, seeded from the container's root at that path: an image's
    /// layers (LAYERS, top first; the overlay is not mounted yet), else the
    /// bundle's rootfs. The claim keeps the volumes from being removed
    /// until the config is on disk.
    func claimVolumes(_ mounts: [MountRequest], layers: [String]? = nil, into sub: inout Subsystem) throws(APIError) -> VolumeClaim {
        var claim = VolumeClaim()
        guard !mounts.isEmpty else { return claim }
        let checked = try MountCheck.check(mounts)
        let source = layers.map { VolumeSeed.Source.layers($0) } ?? sub.rootDirectory().map { .rootfs($0) }
        let made = volumeUse.withLock { pending in
            Result { () throws(APIError) in
                for (i, m) in checked.enumerated() where m.type == "volume" {
                    let name = m.source ?? ""
                    do throws(VolumeError) {
                        let (_, made) = try volumes.create(name, created: Timestamp.string(Date()),
                                                           seed: source.map { ($0, m.destination) })
                        if made {
                            claim.made.append(name)
                            logger.info("volume created on first use", metadata: ["name": "\(name)"])
                        }
                    } catch {
                        throw APIError(error.kind == .invalid ? 400 : 500, "-v: \(error.message)", field: "mounts[\(i)].source")
                    }
                    pending[name, default: 0] += 1
                    claim.names.append(name)
                }
            }
        }
        if case .failure(let error) = made {
            releaseVolumes(claim)
            throw error
        }
        for m in checked {
            let ro = m.readOnly == true
            switch m.type {
            case "volume":
                let name = m.source ?? ""
                sub.attachVolume(name, root: volumes.dataDirectory(name), at: m.destination, readonly: ro)
            case "bind":
                sub.addRootMount(VFSMount(destination: m.destination, type: "bind", source: m.source ?? "",
                                          options: ["rbind", ro ? "ro" : "rw"] + (m.options ?? [])))
            default:
                sub.addRootMount(VFSMount(destination: m.destination, type: "tmpfs", source: "tmpfs",
                                          options: ["nosuid", "nodev"] + (ro ? ["ro"] : []) + (m.options ?? [])))
            }
        }
        return claim
    }

    /// Ends a claim: once the container's config is on disk (`succeeded`)
    /// it counts as a user by itself; a create that failed removes the
    /// volumes it made, unless something else uses them by now.
    func releaseVolumes(_ claim: VolumeClaim) {
        guard !claim.names.isEmpty || !claim.made.isEmpty else { return }
        volumeUse.withLock { pending in
            for name in claim.names {
                pending[name, default: 1] -= 1
                if pending[name] == 0 { pending.removeValue(forKey: name) }
            }
            guard !claim.succeeded, !claim.made.isEmpty else { return }
            let users = volumeUsers()
            for name in claim.made where (users[name] ?? []).isEmpty && pending[name] == nil {
                try? volumes.remove(name)
                logger.info("removed the volume a failed create made", metadata: ["name": "\(name)"])
            }
        }
    }
}

/// The volumes a create in progress holds.
struct VolumeClaim {
    var names: [String] = []
    /// Made by this create (on first use).
    var made: [String] = []
    var succeeded = false
}

extension APIError {
    init(_ e: VolumeError) {
        switch e.kind {
        case .invalid: self.init(400, e.message, field: e.field)
        case .notFound: self.init(404, e.message)
        case .inUse: self.init(409, e.message)
        case .system: self.init(500, e.message)
        }
    }
}
