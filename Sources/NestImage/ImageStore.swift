#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// Images under DATA/images: blobs, unpacked layers and the names.
/// Reads need no lock (every file is replaced atomically); commit, remove,
/// prune and import hold ROOT/lock, so they run one at a time.
public struct ImageStore: Sendable {
    public let root: String
    public let blobs: BlobStore
    let layers: LayerUnpacker

    public init(root: String) throws(ImageError) {
        self.root = root
        try FileOps.mkdirs(root)
        blobs = try BlobStore(root: root + "/blobs")
        layers = try LayerUnpacker(root: root + "/layers")
    }

    var reposPath: String { root + "/repositories.json" }

    func lock() throws(ImageError) -> StoreLock { try StoreLock(root + "/lock") }

    func loadRepositories() throws(ImageError) -> Repositories {
        guard FileOps.exists(reposPath) else { return Repositories() }
        return try ImageJSON.decode(Repositories.self, try FileOps.read(reposPath), what: reposPath)
    }

    func save(_ r: Repositories) throws(ImageError) {
        try FileOps.atomicWrite(reposPath, ImageJSON.encode(r))
    }

    // MARK: reading

    func manifest(_ digest: String) throws(ImageError) -> Manifest {
        let m = try ImageJSON.decode(Manifest.self, try blobs.read(digest), what: "manifest \(digest)")
        if let t = m.mediaType, !MediaType.manifests.contains(t) {
            throw ImageError(.invalid, "manifest \(digest): mediaType \(t) is not an image manifest")
        }
        return m
    }

    private struct Created: Decodable { var created: String? }

    func record(_ manifestDigest: String, _ repos: Repositories) throws(ImageError) -> ImageRecord {
        let m = try manifest(manifestDigest)
        let raw = try blobs.read(m.config.digest)
        let cfg = try ImageJSON.decode(ImageConfig.self, raw, what: "config \(m.config.digest)")
        let created = (try? ImageJSON.decode(Created.self, raw, what: "config"))?.created
        let names = repos.names.filter { $0.value == manifestDigest }.map(\.key).sorted()
        return ImageRecord(id: m.config.digest, names: names, manifestDigest: manifestDigest,
                           chainIDs: ChainID.chain(cfg.rootfs.diffIDs),
                           size: m.config.size + m.layers.reduce(0) { $0 + $1.size }, created: created)
    }

    public func list() throws(ImageError) -> [ImageRecord] {
        let repos = try loadRepositories()
        var out: [ImageRecord] = []
        for m in repos.manifests { out.append(try record(m, repos)) }
        return out
    }

    /// REF: a name ("busybox", "busybox:1"), an image id or manifest digest
    /// ("sha256:…"), or a unique prefix of an image id's hex.
    public func resolve(_ ref: String) throws(ImageError) -> ImageRecord {
        try resolve(ref, try loadRepositories())
    }

    func resolve(_ ref: String, _ repos: Repositories) throws(ImageError) -> ImageRecord {
        if let m = repos.names[ref] { return try record(m, repos) }
        if let n = try? ImageName.normalize(ref), let m = repos.names[n] { return try record(m, repos) }
        if let at = ref.firstIndex(of: "@") {
            let d = String(ref[ref.index(after: at)...])
            if repos.manifests.contains(d) { return try record(d, repos) }
        }
        let all = try repos.manifests.map { (m) throws(ImageError) in try record(m, repos) }
        if ref.hasPrefix("sha256:") {
            if let r = all.first(where: { $0.id == ref || $0.manifestDigest == ref }) { return r }
        } else if ref.utf8.count >= 4, ref.utf8.count <= 64,
                  ref.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) {
            let hits = all.filter { $0.id.dropFirst(7).hasPrefix(ref) }
            if Set(hits.map(\.id)).count > 1 { throw ImageError(.invalid, "image id prefix \(ref) is ambiguous: \(hits.count) images") }
            if let r = hits.first { return r }
        }
        throw ImageError(.notFound, "no such image: \(ref)")
    }

    /// The image's layer dirs, lowest first (overlay wants the highest
    /// first in lowerdir: reverse them).
    public func layerDirs(_ image: ImageRecord) throws(ImageError) -> [String] {
        var out: [String] = []
        for c in image.chainIDs {
            let d = try layers.dir(c)
            guard FileOps.exists(d) else { throw ImageError(.notFound, "image \(image.id): layer \(c) is not unpacked") }
            out.append(d)
        }
        return out
    }

    public func config(_ image: ImageRecord) throws(ImageError) -> ImageConfig {
        let m = try manifest(image.manifestDigest)
        return try ImageJSON.decode(ImageConfig.self, try blobs.read(m.config.digest), what: "config \(m.config.digest)")
    }

    // MARK: commit

    /// Makes an image of MANIFEST (a manifest blob in the store) whose
    /// config is CONFIG (the digest the manifest names): unpacks each layer
    /// not yet unpacked and records NAME. Every blob must be in the store
    /// already. On failure no new layer dir and no record is left.
    @discardableResult
    public func commit(manifest manifestDigest: String, config: String, name: String?) throws(ImageError) -> ImageRecord {
        let l = try lock()
        defer { withExtendedLifetime(l) {} }
        return try commitLocked(manifest: manifestDigest, config: config, names: name.map { [$0] } ?? [])
    }

    func commitLocked(manifest md: String, config: String, names: [String]) throws(ImageError) -> ImageRecord {
        _ = try Digest.validate(md, what: "manifest digest")
        let normalized = try names.map { (n) throws(ImageError) in try ImageName.normalize(n) }
        let m = try manifest(md)
        guard m.config.digest == config else {
            throw ImageError(.invalid, "manifest \(md): config is \(m.config.digest), not \(config)")
        }
        guard blobs.has(config) else { throw ImageError(.notFound, "manifest \(md) names config \(config), which is not in the store") }
        let cfg = try ImageJSON.decode(ImageConfig.self, try blobs.read(config), what: "config \(config)")
        guard cfg.rootfs.diffIDs.count == m.layers.count else {
            throw ImageError(.invalid, "config \(config): rootfs.diff_ids has \(cfg.rootfs.diffIDs.count) entries, manifest \(md) has \(m.layers.count) layers")
        }
        for (i, d) in cfg.rootfs.diffIDs.enumerated() { _ = try Digest.validate(d, what: "config \(config): rootfs.diff_ids[\(i)]") }
        for (i, layer) in m.layers.enumerated() {
            _ = try Digest.validate(layer.digest, what: "manifest \(md): layers[\(i)].digest")
            guard MediaType.layers.contains(layer.mediaType) else {
                throw ImageError(.invalid, "manifest \(md): layers[\(i)].mediaType \(layer.mediaType) is not a layer type this store unpacks")
            }
            guard blobs.has(layer.digest) else {
                throw ImageError(.notFound, "manifest \(md) names layer \(layer.digest), which is not in the store")
            }
        }
        let chain = ChainID.chain(cfg.rootfs.diffIDs)
        var made: [String] = []
        do throws(ImageError) {
            var todo: [(blob: String, digest: String, diffID: String, chainID: String)] = []
            for (i, layer) in m.layers.enumerated() where !FileOps.exists(try layers.dir(chain[i])) {
                todo.append((try blobs.path(layer.digest), layer.digest, cfg.rootfs.diffIDs[i], chain[i]))
            }
            // the layers are unpacked side by side (each is independent of
            // the others), then made durable by one sync and published
            let staged = try layers.stageAll(todo.map { ($0.blob, $0.digest, $0.diffID) })
            do throws(ImageError) {
                if let any = staged.first { try layers.sync(any) }
                for (k, tmp) in staged.enumerated() {
                    try layers.publish(tmp, as: todo[k].chainID)
                    made.append(todo[k].chainID)
                }
            } catch {
                for tmp in staged { try? FileOps.removeTree(tmp) }
                throw error
            }
            if !made.isEmpty { FileOps.fsyncDir(layers.root + "/sha256") }
            var repos = try loadRepositories()
            for n in normalized { repos.names[n] = md }
            if !repos.manifests.contains(md) { repos.manifests.append(md) }
            try save(repos)
            return try record(md, repos)
        } catch {
            for c in made { if let d = try? layers.dir(c) { try? FileOps.removeTree(d) } }
            throw error
        }
    }

    // MARK: remove and GC

    /// Removes REF. A name of an image that has other names only loses that
    /// name. Otherwise the image goes, unless a container in INUSE was made
    /// from it and FORCE is not set (a conflict naming the containers); its
    /// blobs and layers go when nothing else references them.
    @discardableResult
    public func remove(_ ref: String, force: Bool = false, inUse: [LayerUse] = []) throws(ImageError) -> RemoveReport {
        let l = try lock()
        defer { withExtendedLifetime(l) {} }
        var repos = try loadRepositories()
        let r = try resolve(ref, repos)
        var report = RemoveReport()
        let name = repos.names[ref] != nil ? ref : (try? ImageName.normalize(ref)).flatMap { repos.names[$0] != nil ? $0 : nil }
        if let name, r.names.count > 1 {
            repos.names[name] = nil
            try save(repos)
            report.untagged = [name]
            return report
        }
        let users = inUse.filter { $0.image == r.id || ($0.image == nil && !r.chainIDs.isEmpty && $0.chainIDs.last == r.chainIDs.last) }
        if !users.isEmpty && !force {
            let ids = users.map(\.container).sorted()
            throw ImageError(.conflict, "image \(ref) is used by container\(ids.count > 1 ? "s" : "") \(ids.joined(separator: ", ")); stop and remove \(ids.count > 1 ? "them" : "it") or use force", containers: ids)
        }
        for n in r.names { repos.names[n] = nil }
        repos.manifests.removeAll { $0 == r.manifestDigest }
        try save(repos)
        report.untagged = r.names
        report.deleted = [r.id]
        try collect(repos, inUse: inUse, into: &report)
        return report
    }

    /// Removes images without a name that no container uses, then every
    /// blob and layer dir no image and no container references.
    @discardableResult
    public func prune(inUse: [LayerUse] = []) throws(ImageError) -> RemoveReport {
        let l = try lock()
        defer { withExtendedLifetime(l) {} }
        var repos = try loadRepositories()
        var report = RemoveReport()
        let named = Set(repos.names.values)
        for m in repos.manifests where !named.contains(m) {
            let r = try record(m, repos)
            if inUse.contains(where: { $0.image == r.id }) { continue }
            repos.manifests.removeAll { $0 == m }
            report.deleted.append(r.id)
        }
        if !report.deleted.isEmpty { try save(repos) }
        try collect(repos, inUse: inUse, into: &report)
        return report
    }

    /// The blobs and layers the images of REPOS reference. An unreadable
    /// manifest or config stops the collection: nothing is removed on a
    /// guess.
    func referenced(_ repos: Repositories) throws(ImageError) -> (blobs: Set<String>, layers: Set<String>) {
        var b = Set<String>(), l = Set<String>()
        for md in repos.manifests {
            let m = try manifest(md)
            b.insert(md)
            b.insert(m.config.digest)
            for x in m.layers { b.insert(x.digest) }
            let cfg = try ImageJSON.decode(ImageConfig.self, try blobs.read(m.config.digest), what: "config \(m.config.digest)")
            l.formUnion(ChainID.chain(cfg.rootfs.diffIDs))
        }
        return (b, l)
    }

    /// Counts are recomputed from disk each time: the records on disk and
    /// the caller's containers, never a count kept in memory.
    /// The blobs of pulls in progress (their pins) are kept too.
    func collect(_ repos: Repositories, inUse: [LayerUse], into report: inout RemoveReport) throws(ImageError) {
        var (keepBlobs, keepLayers) = try referenced(repos)
        keepLayers.formUnion(inUse.flatMap(\.chainIDs))
        let blobs = self.blobs
        report.blobsRemoved += try StorePin.collecting(root: root) { pinned throws(ImageError) -> Int in
            var removed = 0
            for b in blobs.all() where !keepBlobs.contains(b) && !pinned.contains(b) {
                try blobs.remove(b)
                removed += 1
            }
            return removed
        }
        for hex in FileOps.list(layers.root + "/sha256") where !keepLayers.contains("sha256:" + hex) {
            try FileOps.removeTree(layers.root + "/sha256/" + hex)
            report.layersRemoved += 1
        }
        // unpacks run under the lock this caller holds: anything here is left over
        for t in FileOps.list(layers.root + "/tmp") { try? FileOps.removeTree(layers.root + "/tmp/" + t) }
        blobs.cleanTemp()
        keepBlobs.removeAll()
    }
}
