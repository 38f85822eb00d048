import Crypto
import Glibc

/// Content-addressed blobs under ROOT/blobs/sha256/HEX. Bytes go to
/// ROOT/blobs/tmp/RANDOM while they are hashed and counted; only a blob
/// whose digest and size match is fsync'd and renamed into place, so a
/// half-written or wrong blob is never visible under its digest.
public struct BlobStore: Sendable {
    public let root: String   // DATA/images/blobs

    public init(root: String) throws(ImageError) {
        self.root = root
        try FileOps.mkdirs(root + "/sha256")
        try FileOps.mkdirs(root + "/tmp")
    }

    public func path(_ digest: String) throws(ImageError) -> String {
        root + "/sha256/" + (try Digest.validate(digest))
    }

    public func has(_ digest: String) -> Bool {
        guard let p = try? path(digest) else { return false }
        return FileOps.exists(p)
    }

    /// The bytes of a small blob (a manifest, a config).
    public func read(_ digest: String) throws(ImageError) -> [UInt8] {
        let p = try path(digest)
        guard FileOps.exists(p) else { throw ImageError(.notFound, "blob \(digest) is not in the store") }
        return try FileOps.read(p)
    }

    /// A writer for one blob: write the bytes as they come, then commit.
    public func begin() throws(ImageError) -> BlobWriter { try BlobWriter(root: root) }

    /// Streams a blob from READ (which fills the buffer and returns the
    /// count, 0 at the end). DIGEST and SIZE, when given, must match.
    @discardableResult
    public func ingest(digest: String?, size: Int64?,
                       from read: (UnsafeMutableRawBufferPointer) throws(ImageError) -> Int) throws(ImageError) -> Descriptor {
        if let digest { _ = try Digest.validate(digest) }
        let w = try begin()
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        do throws(ImageError) {
            while true {
                let n = try buf.mutableBytes { (b) throws(ImageError) in try read(b) }
                if n == 0 { break }
                try buf.bytes { (b) throws(ImageError) in try w.write(UnsafeRawBufferPointer(rebasing: b[0..<n])) }
                if let size, w.count > size {
                    throw ImageError(.corrupt, "blob \(digest ?? "?"): size mismatch: expected \(size) bytes, got more")
                }
            }
            return try w.commit(digest: digest, size: size)
        } catch {
            w.abort()
            throw error
        }
    }

    /// Ingests the file at PATH.
    @discardableResult
    public func ingest(digest: String?, size: Int64?, file: String) throws(ImageError) -> Descriptor {
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw errno == ENOENT ? ImageError(.notFound, "no such file: \(file)") : .errno("cannot open", file) }
        defer { close(fd) }
        return try ingest(digest: digest, size: size) { (b) throws(ImageError) in
            while true {
                let n = Glibc.read(fd, b.baseAddress, b.count)
                if n >= 0 { return n }
                if errno != EINTR { throw .errno("cannot read", file) }
            }
        }
    }

    /// Ingests BYTES held in memory (a manifest the store writes itself).
    @discardableResult
    public func ingest(bytes: [UInt8], digest: String? = nil) throws(ImageError) -> Descriptor {
        let w = try begin()
        do throws(ImageError) {
            try bytes.bytes { (b) throws(ImageError) in try w.write(b) }
            return try w.commit(digest: digest, size: Int64(bytes.count))
        } catch { w.abort(); throw error }
    }

    public func remove(_ digest: String) throws(ImageError) {
        let p = try path(digest)
        if unlink(p) != 0 && errno != ENOENT { throw .errno("cannot remove", p) }
    }

    /// Every blob digest in the store.
    public func all() -> [String] {
        FileOps.list(root + "/sha256").filter { Digest.isValid("sha256:" + $0) }.map { "sha256:" + $0 }
    }

    /// Removes temp files no writer holds: a writer keeps an flock on its
    /// temp file, so one being written now is left alone.
    func cleanTemp() {
        let dir = root + "/tmp"
        for n in FileOps.list(dir) {
            let fd = open(dir + "/" + n, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            if fd < 0 { continue }
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { unlink(dir + "/" + n) }
            close(fd)
        }
    }
}

/// One blob being written. Not shared between threads.
public final class BlobWriter {
    let root: String
    let tmp: String
    private var fd: Int32
    private var hasher = SHA256()
    public private(set) var count: Int64 = 0

    init(root: String) throws(ImageError) {
        self.root = root
        tmp = root + "/tmp/" + FileOps.randomName()
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 { throw .errno("cannot create", tmp) }
        flock(fd, LOCK_EX)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(ImageError) {
        hasher.update(bufferPointer: bytes)
        try FileOps.writeAll(fd, bytes, name: tmp)
        count += Int64(bytes.count)
    }

    /// Checks what was written against DIGEST and SIZE (when given) and
    /// moves it into place; on a mismatch the temp file is removed and the
    /// error names the digest, expected against got.
    public func commit(digest expected: String?, size: Int64?) throws(ImageError) -> Descriptor {
        if let expected {
            do throws(ImageError) { _ = try Digest.validate(expected) } catch { abort(); throw error }
        }
        let got = Digest.render(hasher.finalize())
        let name = expected ?? got
        if let size, size != count {
            abort()
            throw ImageError(.corrupt, "blob \(name): size mismatch: expected \(size) bytes, got \(count)")
        }
        if let expected, expected != got {
            abort()
            throw ImageError(.corrupt, "blob \(expected): digest mismatch: got \(got)")
        }
        if fsync(fd) != 0 { let e = ImageError.errno("cannot fsync", tmp); abort(); throw e }
        let dest = root + "/sha256/" + got.dropFirst(7)
        if rename(tmp, dest) != 0 { let e = ImageError.errno("cannot rename to", dest); abort(); throw e }
        close(fd)
        fd = -1
        FileOps.fsyncDir(root + "/sha256")
        return Descriptor(mediaType: "application/octet-stream", digest: got, size: count)
    }

    /// Drops what was written. Safe to call twice.
    public func abort() {
        if fd >= 0 { close(fd); fd = -1; unlink(tmp) }
    }

    deinit { abort() }
}
