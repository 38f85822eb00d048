import Glibc

/// `image import`: an OCI layout directory, an OCI archive (a tar of a
/// layout) or a `docker save` archive. Every blob goes through the blob
/// store (digest and size checked); then each image is committed.
extension ImageStore {
    private struct DockerManifest: Decodable {
        var Config: String
        var RepoTags: [String]?
        var Layers: [String]
    }

    static let refNameKey = "org.opencontainers.image.ref.name"
    static let containerdNameKey = "io.containerd.image.name"

    /// Imports PATH; NAME, when given, names the image (the archive must
    /// hold exactly one).
    @discardableResult
    public func importArchive(_ path: String, name: String? = nil) throws(ImageError) -> [ImageRecord] {
        if let name { _ = try ImageName.normalize(name) }
        var st = stat()
        guard stat(path, &st) == 0 else { throw .errno("cannot import", path) }
        let l = try lock()
        defer { withExtendedLifetime(l) {} }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            guard FileOps.exists(path + "/oci-layout") else {
                throw ImageError(.invalid, "\(path): a directory without oci-layout is not an OCI layout")
            }
            let index = try FileOps.read(path + "/index.json", limit: 4 << 20)
            return try importIndex(index, from: path, name: name) { (d) throws(ImageError) in
                if !blobs.has(d.digest) {
                    let hex = try Digest.validate(d.digest)
                    try blobs.ingest(digest: d.digest, size: d.size, file: path + "/blobs/sha256/" + hex)
                }
            }
        }
        return try importTar(path, name: name)
    }

    private func importTar(_ path: String, name: String?) throws(ImageError) -> [ImageRecord] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw .errno("cannot open", path) }
        defer { close(fd) }
        let stream = try TarStream(fd: fd, name: path)
        var small: [String: [UInt8]] = [:]      // index.json, manifest.json, oci-layout
        var files: [String: Descriptor] = [:]   // docker save: file name -> blob
        var links: [String: String] = [:]       // docker save >= 25: layer.tar -> ../blobs/sha256/HEX
        var ingested: [String] = []
        do throws(ImageError) {
            while let e = try stream.next() {
                let name = Self.clean(e.path)
                if case .symlink = e.kind, let t = e.linkTarget {
                    links[name] = Self.join(FileOps.parent("/" + name), t)
                    continue
                }
                guard case .file = e.kind else { continue }
                if ["index.json", "manifest.json", "oci-layout", "repositories"].contains(name) {
                    guard e.size <= 4 << 20 else { throw ImageError(.invalid, "\(path): \(name) is larger than 4 MiB") }
                    var b: [UInt8] = []
                    try stream.data { (buf, _) throws(ImageError) in b += buf }
                    small[name] = b
                    continue
                }
                let expected: String? = name.hasPrefix("blobs/sha256/") ? "sha256:" + name.dropFirst(13) : nil
                if let expected, blobs.has(expected) {
                    _ = try Digest.validate(expected)
                    files[name] = Descriptor(mediaType: "", digest: expected, size: e.size)
                    continue
                }
                let w = try blobs.begin()
                do throws(ImageError) {
                    try stream.data { (buf, _) throws(ImageError) in try w.write(buf) }
                    let d = try w.commit(digest: expected, size: e.size)
                    files[name] = d
                    ingested.append(d.digest)
                } catch { w.abort(); throw error }
            }
            var out: [ImageRecord]
            if let index = small["index.json"], small["oci-layout"] != nil {
                out = try importIndex(index, from: path, name: name) { (d) throws(ImageError) in
                    guard blobs.has(d.digest) else { throw ImageError(.notFound, "\(path): index names blob \(d.digest), which the archive does not hold") }
                }
            } else if let m = small["manifest.json"] {
                out = try importDocker(m, files: files, links: links, archive: path, name: name)
            } else {
                throw ImageError(.invalid, "\(path): neither an OCI archive (oci-layout, index.json) nor a docker save archive (manifest.json)")
            }
            try dropUnreferenced(ingested)
            return out
        } catch {
            try? dropUnreferenced(ingested)
            throw error
        }
    }

    /// Blobs this import brought in that no image ended up using.
    private func dropUnreferenced(_ digests: [String]) throws(ImageError) {
        guard !digests.isEmpty else { return }
        let keep = try referenced(try loadRepositories()).blobs
        for d in digests where !keep.contains(d) { try blobs.remove(d) }
    }

    private func importIndex(_ bytes: [UInt8], from path: String, name: String?,
                             fetch: (Descriptor) throws(ImageError) -> Void) throws(ImageError) -> [ImageRecord] {
        let index = try ImageJSON.decode(Index.self, bytes, what: "\(path): index.json")
        var picked: [(Descriptor, String?)] = []
        for (i, d) in index.manifests.enumerated() {
            let ref = d.annotations?[Self.containerdNameKey] ?? d.annotations?[Self.refNameKey]
            if MediaType.indexes.contains(d.mediaType) {
                try fetch(d)
                let inner = try ImageJSON.decode(Index.self, try blobs.read(d.digest), what: "\(path): index.json manifests[\(i)]")
                guard let m = inner.manifest(for: .host) else {
                    throw ImageError(.notFound, "\(path): manifests[\(i)] has no manifest for \(Platform.host.os)/\(Platform.host.architecture)")
                }
                picked.append((m, ref))
            } else if MediaType.manifests.contains(d.mediaType) {
                if let p = d.platform, p.os != Platform.host.os || p.architecture != Platform.host.architecture { continue }
                picked.append((d, ref))
            } else {
                throw ImageError(.invalid, "\(path): index.json manifests[\(i)].mediaType \(d.mediaType) is neither a manifest nor an index")
            }
        }
        guard !picked.isEmpty else { throw ImageError(.invalid, "\(path): index.json names no image for this platform") }
        if name != nil && picked.count > 1 {
            throw ImageError(.invalid, "\(path) holds \(picked.count) images; a name can be given to one only")
        }
        var out: [ImageRecord] = []
        for (d, ref) in picked {
            try fetch(d)
            let m = try manifest(d.digest)
            try fetch(m.config)
            for l in m.layers { try fetch(l) }
            let names = name.map { [$0] } ?? ref.map { [$0] } ?? []
            out.append(try commitLocked(manifest: d.digest, config: m.config.digest, names: names))
        }
        return out
    }

    private func importDocker(_ bytes: [UInt8], files: [String: Descriptor], links: [String: String],
                              archive: String, name: String?) throws(ImageError) -> [ImageRecord] {
        let entries = try ImageJSON.decode([DockerManifest].self, bytes, what: "\(archive): manifest.json")
        guard !entries.isEmpty else { throw ImageError(.invalid, "\(archive): manifest.json names no image") }
        if name != nil && entries.count > 1 {
            throw ImageError(.invalid, "\(archive) holds \(entries.count) images; a name can be given to one only")
        }
        func blob(_ file: String, _ field: String) throws(ImageError) -> Descriptor {
            var f = Self.clean(file)
            var hops = 0
            while let t = links[f], hops < 8 { f = t; hops += 1 }
            guard let d = files[f] else { throw ImageError(.notFound, "\(archive): manifest.json \(field) names \(file), which the archive does not hold") }
            return d
        }
        var out: [ImageRecord] = []
        for (i, e) in entries.enumerated() {
            let c = try blob(e.Config, "[\(i)].Config")
            var layers: [Descriptor] = []
            for (j, f) in e.Layers.enumerated() {
                let d = try blob(f, "[\(i)].Layers[\(j)]")
                layers.append(Descriptor(mediaType: MediaType.ociLayer, digest: d.digest, size: d.size))
            }
            let m = Manifest(mediaType: MediaType.ociManifest,
                             config: Descriptor(mediaType: MediaType.ociConfig, digest: c.digest, size: c.size), layers: layers)
            let md = try blobs.ingest(bytes: ImageJSON.encode(m))
            let names = name.map { [$0] } ?? e.RepoTags ?? []
            out.append(try commitLocked(manifest: md.digest, config: c.digest, names: names))
        }
        return out
    }

    /// An archive member's name without "./" and leading or doubled slashes.
    static func clean(_ name: String) -> String {
        name.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
    }

    /// DIR (absolute, "/" for the archive's top) joined with a relative
    /// link TARGET, as a member name; ".." above the top stays at the top.
    static func join(_ dir: String, _ target: String) -> String {
        var parts = target.hasPrefix("/") ? [] : dir.split(separator: "/").map(String.init)
        for c in target.split(separator: "/") {
            if c == "." { continue }
            if c == ".." { _ = parts.popLast(); continue }
            parts.append(String(c))
        }
        return parts.joined(separator: "/")
    }
}
