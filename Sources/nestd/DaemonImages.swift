#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import NestAPI
import NestImage
import NestSubsystem

/// Images through the daemon: list, inspect, remove, prune and import over
/// the store. What containers hold of the store (`layerUses`) is read from
/// their subsystem configs on disk on every call, never kept in memory; a
/// create in progress, whose config is not written yet, holds a claim in
/// `imageClaims`. Claims and removals take the same lock, so a create
/// either resolves its image before a removal looks (and is counted) or
/// after it (and finds no image).
extension Daemon {
    /// Every container's subsystem config as the runtime has it on disk.
    func containerConfigs() -> [(id: String, subsystem: Subsystem)] {
        var ids = Set(known.withLock { Array($0.keys) })
        ids.formUnion((try? runtime.ids()) ?? [])
        var configs: [(id: String, subsystem: Subsystem)] = []
        for id in ids.sorted() {
            guard let xml = try? runtime.subsystemXML(id: id), let sub = try? Subsystem.read(xml: xml) else { continue }
            configs.append((id, sub))
        }
        return configs
    }

    /// The layers each container's rootfs overlay names, and the image it
    /// was made from (the config's annotation); then the claims of creates
    /// in progress.
    func layerUses(pending: [String: LayerUse]) -> [LayerUse] {
        var out: [LayerUse] = []
        for (id, sub) in containerConfigs() {
            guard let overlay = sub.starts.lazy.compactMap({ $0.vfs?.overlay }).first else { continue }
            let image = sub.annotations.first { $0.key == ImageBundle.imageIDAnnotation }?.value
            out.append(LayerUse(container: id, image: image, chainIDs: overlay.layers.map(\.chain)))
        }
        return out + pending.values.sorted { $0.container < $1.container }
    }

    /// Resolves REF for a create and holds its layers until `releaseImage(token)`.
    func claimImage(_ ref: String, token: String) throws(APIError) -> ResolvedImage {
        try imageClaims.withLock { claims in
            Result { () throws(APIError) -> ResolvedImage in
                let image = try images.resolve(ref)
                claims[token] = LayerUse(container: Self.creatingPrefix + token, image: image.id,
                                         chainIDs: image.layers.map(\.chainID))
                return image
            }
        }.get()
    }

    func releaseImage(_ token: String) {
        _ = imageClaims.withLock { $0.removeValue(forKey: token) }
    }

    static let creatingPrefix = "creating:"

    // MARK: the endpoints

    func listImages() throws(APIError) -> [ImageInfo] {
        let store = try images.store()
        do throws(ImageError) { return try store.list() } catch { throw APIError(error) }
    }

    func inspectImage(_ ref: String) throws(APIError) -> ImageInspect {
        let store = try images.store()
        let record: ImageRecord, config: ImageConfig
        do throws(ImageError) {
            record = try store.resolve(ref)
            config = try store.config(record)
        } catch { throw APIError(error, field: "ref") }
        return ImageInspect(record, config: config)
    }

    /// An image a container uses is a 409 naming the containers unless
    /// FORCE; with force the image's record goes and its layers in use stay.
    func removeImage(_ ref: String, force: Bool) throws(APIError) -> ImageRemoveResponse {
        let store = try images.store()
        let report = try imageClaims.withLock { pending in
            Result { () throws(APIError) -> RemoveReport in
                do throws(ImageError) {
                    return try store.remove(ref, force: force, inUse: layerUses(pending: pending))
                } catch {
                    if error.kind == .conflict {
                        let n = error.containers.count
                        throw APIError(409, "image \(ref) is in use by \(describeUsers(error.containers)); remove \(n > 1 ? "them" : "it") first, or force the removal (the layers in use stay)")
                    }
                    throw APIError(error, field: "ref")
                }
            }
        }.get()
        logger.info("image removed", metadata: ["ref": "\(ref)", "deleted": "\(report.deleted.joined(separator: " "))",
                                                "untagged": "\(report.untagged.joined(separator: " "))"])
        return report
    }

    /// Removes the images without a name that no container uses, and every
    /// blob and layer nothing references.
    func pruneImages() throws(APIError) -> ImageRemoveResponse {
        let store = try images.store()
        let report = try imageClaims.withLock { pending in
            Result { () throws(APIError) -> RemoveReport in
                do throws(ImageError) { return try store.prune(inUse: layerUses(pending: pending)) } catch { throw APIError(error) }
            }
        }.get()
        logger.info("images pruned", metadata: ["deleted": "\(report.deleted.count)", "blobs": "\(report.blobsRemoved)",
                                                "layers": "\(report.layersRemoved)"])
        return report
    }

    /// Imports an OCI layout, an OCI archive or a docker save archive at
    /// an absolute path on this host.
    func importImage(_ req: ImageImportRequest) throws(APIError) -> [ImageInfo] {
        let store = try images.store()
        guard req.path.hasPrefix("/") else {
            throw APIError(400, "path must be an absolute path on the daemon's host, got \"\(req.path.prefix(200))\"", field: "path")
        }
        var st = stat()
        guard stat(req.path, &st) == 0 else {
            throw APIError(400, "path \(req.path.prefix(200)): \(String(cString: strerror(errno)))", field: "path")
        }
        // what could block a read for ever (a FIFO, a device, /proc/kmsg,
        // which is a regular file of size 0) is refused before the store's lock is taken
        let isDir = (st.st_mode & S_IFMT) == S_IFDIR
        guard isDir || ((st.st_mode & S_IFMT) == S_IFREG && st.st_size > 0) else {
            throw APIError(400, "path \(req.path.prefix(200)) is neither a directory nor a non-empty regular file", field: "path")
        }
        if isDir, access(req.path + "/index.json", R_OK) != 0 {
            throw APIError(400, "path \(req.path.prefix(200)) is a directory without index.json: not an OCI image layout", field: "path")
        }
        if let name = req.name {
            do throws(ImageError) { _ = try ImageName.normalize(name) } catch { throw APIError(400, error.message, field: "name") }
        }
        let records: [ImageRecord]
        do throws(ImageError) { records = try store.importArchive(req.path, name: req.name) } catch {
            // what the archive holds is the request's fault; the host's failures are not
            throw error.kind == .system ? APIError(error) : APIError(400, error.message, field: "path")
        }
        for r in records {
            logger.info("image imported", metadata: ["id": "\(r.id)", "names": "\(r.names.joined(separator: " "))"])
        }
        return records
    }

    // MARK: helpers

    private func describeUsers(_ ids: [String]) -> String {
        let creating = ids.filter { $0.hasPrefix(Self.creatingPrefix) }.count
        var parts = known.withLock { k in
            ids.filter { !$0.hasPrefix(Self.creatingPrefix) }.map { id in k[id].map { "container \($0.name) (\(id))" } ?? "container \(id)" }
        }.sorted()
        if creating > 0 { parts.append("\(creating) container\(creating == 1 ? "" : "s") being created") }
        return parts.joined(separator: ", ")
    }


}
