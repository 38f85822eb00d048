import Crypto
import Foundation

/// A BlobSink over a directory in the store's layout: ROOT/blobs/sha256/HEX,
/// written under ROOT/blobs/tmp/ then fsync'd and renamed, and
/// ROOT/repositories.json (name -> manifest digest, replaced atomically).
/// It unpacks nothing: the image store does that.
public struct DirectoryBlobSink: BlobSink {
    public let root: String

    public init(root: String) throws {
        self.root = root
        for d in ["blobs/sha256", "blobs/tmp"] {
            try FileManager.default.createDirectory(atPath: root + "/" + d, withIntermediateDirectories: true)
        }
    }

    public func blobPath(_ digest: String) -> String { root + "/blobs/sha256/" + digest.dropFirst("sha256:".count) }
    public var tempDirectory: String { root + "/blobs/tmp" }

    public func contains(digest: String) -> Bool {
        RegistryReference.isDigest(digest) && access(blobPath(digest), F_OK) == 0
    }

    public func begin(digest: String, size: Int64) throws -> any BlobWriter {
        guard RegistryReference.isDigest(digest) else { throw RegistryError("blob digest \"\(digest)\" is not sha256: and 64 lower-case hex digits") }
        guard size >= 0 else { throw RegistryError("blob \(digest): negative size \(size)") }
        return try FileBlobWriter(digest: digest, size: size, temp: tempDirectory, final: blobPath(digest))
    }

    public func commit(manifest: Data, manifestDigest: String, config: Data, name: String) async throws -> PulledImage {
        let doc = try JSONDecoder().decode(RegistryDocument.self, from: manifest)
        guard let cfg = doc.config, let layers = doc.layers else {
            throw RegistryError("manifest \(manifestDigest): no config or layers")
        }
        for d in [cfg] + layers where !contains(digest: d.digest) {
            throw RegistryError("manifest \(manifestDigest) names blob \(d.digest), which is not stored")
        }
        if !contains(digest: manifestDigest) {
            let w = try begin(digest: manifestDigest, size: Int64(manifest.count))
            do { try manifest.withUnsafeBytes { try w.write($0) }; try w.finish() } catch { w.abort(); throw error }
        }
        let reposPath = root + "/repositories.json"
        var repos = (try? JSONDecoder().decode([String: String].self, from: Data(contentsOf: URL(fileURLWithPath: reposPath)))) ?? [:]
        repos[name] = manifestDigest
        let enc = JSONEncoder(); enc.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        try atomicWrite(try enc.encode(repos), to: reposPath)
        return PulledImage(id: cfg.digest, name: name, manifestDigest: manifestDigest,
                           layers: layers.map(\.digest), size: cfg.size + layers.reduce(0) { $0 + $1.size })
    }

    private func atomicWrite(_ data: Data, to path: String) throws {
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RegistryError("\(tmp): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let ok = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) == $0.count } && fsync(fd) == 0
        guard ok, rename(tmp, path) == 0 else {
            unlink(tmp)
            throw RegistryError("\(path): \(String(cString: strerror(errno)))")
        }
    }
}

/// Hashes while it writes, so the digest is known the moment the last byte
/// arrives and a corrupt blob never gets its name.
final class FileBlobWriter: BlobWriter {
    let digest: String, size: Int64, tempPath: String, finalPath: String
    private var fd: Int32
    private var written: Int64 = 0
    private var hasher = SHA256()

    init(digest: String, size: Int64, temp: String, final: String) throws {
        self.digest = digest; self.size = size; self.finalPath = final
        var template = Array((temp + "/blob-XXXXXX").utf8CString)
        fd = mkstemp(&template)
        guard fd >= 0 else { throw RegistryError("\(temp): \(String(cString: strerror(errno)))") }
        // mkostemp is not in Glibc's overlay: close-on-exec right after, so
        // a blob being written never reaches a process nestd spawns.
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        tempPath = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit { if fd >= 0 { abort() } }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard fd >= 0 else { throw RegistryError("blob \(digest): write after finish") }
        guard written + Int64(bytes.count) <= size else {
            throw RegistryError("blob \(digest): more than the declared \(size) bytes")
        }
        hasher.update(bufferPointer: bytes)
        var off = 0
        while off < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + off, bytes.count - off)
            if n < 0 {
                if errno == EINTR { continue }
                throw RegistryError("blob \(digest): writing \(tempPath): \(String(cString: strerror(errno)))")
            }
            off += n
        }
        written += Int64(bytes.count)
    }

    func finish() throws {
        guard written == size else { throw RegistryError("blob \(digest): \(written) bytes, the manifest says \(size)") }
        let got = "sha256:" + hasher.finalize().map { String(format: "%02x", $0) }.joined()
        guard got == digest else { throw RegistryError("blob \(digest): content has digest \(got)") }
        guard fsync(fd) == 0 else { throw RegistryError("blob \(digest): fsync: \(String(cString: strerror(errno)))") }
        close(fd); fd = -1
        guard rename(tempPath, finalPath) == 0 else {
            let e = errno; unlink(tempPath)
            throw RegistryError("blob \(digest): rename to \(finalPath): \(String(cString: strerror(e)))")
        }
    }

    func abort() {
        if fd >= 0 { close(fd); fd = -1 }
        unlink(tempPath)
    }
}
