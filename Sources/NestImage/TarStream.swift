import CArchive
import Crypto
import Glibc

/// Reads a layer blob (tar, tar+gzip or tar+zstd: libarchive detects the
/// filter) entry by entry, hashing the uncompressed tar as it goes, which
/// is the layer's DiffID. Two libarchive readers are stacked: the outer one
/// only decompresses (format "raw"), the inner one parses tar from the
/// outer one's blocks; every block passes through the hash on the way.
final class TarStream {
    let name: String
    private let outer: OpaquePointer
    private let inner: OpaquePointer
    private var hasher = SHA256()
    private var failure: String?

    init(fd: Int32, name: String) throws(ImageError) {
        self.name = name
        guard let o = archive_read_new(), let i = archive_read_new() else {
            throw ImageError(.system, "\(name): cannot allocate a tar reader")
        }
        outer = o
        inner = i
        archive_read_support_filter_all(outer)
        archive_read_support_format_raw(outer)
        archive_read_support_format_tar(inner)
        if archive_read_open_fd(outer, fd, 1 << 16) != ARCHIVE_OK {
            throw ImageError(.invalid, "\(name): \(Self.message(outer))")
        }
        var entry: OpaquePointer?
        if archive_read_next_header(outer, &entry) != ARCHIVE_OK {
            throw ImageError(.invalid, "\(name): not a tar, tar+gzip or tar+zstd stream: \(Self.message(outer))")
        }
        let me = Unmanaged.passUnretained(self).toOpaque()
        let r = archive_read_open(inner, me, nil, { _, ctx, buf in
            let s = Unmanaged<TarStream>.fromOpaque(ctx!).takeUnretainedValue()
            return s.pull(buf!)
        }, nil)
        if r != ARCHIVE_OK {
            throw ImageError(.invalid, "\(name): not a tar archive: \(failure ?? Self.message(inner))")
        }
    }

    deinit {
        archive_read_free(inner)
        archive_read_free(outer)
    }

    /// The inner reader's read callback: the next decompressed block.
    private func pull(_ out: UnsafeMutablePointer<UnsafeRawPointer?>) -> Int {
        var buf: UnsafeRawPointer?
        var size = 0
        var offset: Int64 = 0
        let r = archive_read_data_block(outer, &buf, &size, &offset)
        if r == ARCHIVE_EOF { out.pointee = nil; return 0 }
        if r < ARCHIVE_WARN || buf == nil && size > 0 {
            failure = Self.message(outer)
            return -1
        }
        if let buf { hasher.update(bufferPointer: UnsafeRawBufferPointer(start: buf, count: size)) }
        out.pointee = buf
        return size
    }

    /// The next entry, or nil at the end of the archive.
    func next() throws(ImageError) -> TarEntry? {
        var e: OpaquePointer?
        let r = archive_read_next_header(inner, &e)
        if r == ARCHIVE_EOF { return nil }
        guard r >= ARCHIVE_WARN, let e else {
            throw ImageError(.invalid, "\(name): bad or truncated tar: \(failure ?? Self.message(inner))")
        }
        return TarEntry(e)
    }

    /// The current entry's data, block by block.
    func data(_ body: (UnsafeRawBufferPointer, Int64) throws(ImageError) -> Void) throws(ImageError) {
        while true {
            var buf: UnsafeRawPointer?
            var size = 0
            var offset: Int64 = 0
            let r = archive_read_data_block(inner, &buf, &size, &offset)
            if r == ARCHIVE_EOF { return }
            guard r >= ARCHIVE_WARN else {
                throw ImageError(.invalid, "\(name): truncated data: \(failure ?? Self.message(inner))")
            }
            if let buf, size > 0 { try body(UnsafeRawBufferPointer(start: buf, count: size), offset) }
        }
    }

    /// Reads whatever follows the tar's end marker (padding) into the hash
    /// and returns the DiffID: the sha256 of the whole uncompressed stream.
    func finish() throws(ImageError) -> String {
        var out: UnsafeRawPointer?
        while true {
            let n = pull(&out)
            if n < 0 { throw ImageError(.invalid, "\(name): truncated stream: \(failure ?? "")") }
            if n == 0 { break }
        }
        return Digest.render(hasher.finalize())
    }

    static func message(_ a: OpaquePointer) -> String {
        archive_error_string(a).map { String(cString: $0) } ?? "unknown error"
    }
}

/// What the unpacker needs of one tar header.
struct TarEntry {
    enum Kind { case file, dir, symlink, hardlink, char, block, fifo, other(UInt32) }
    var path: String
    var kind: Kind
    var mode: mode_t
    var uid: uid_t
    var gid: gid_t
    var mtime: timespec
    var atime: timespec
    var size: Int64
    var linkTarget: String?
    var devMajor: UInt32
    var devMinor: UInt32
    var xattrs: [(String, [UInt8])]

    init(_ e: OpaquePointer) {
        path = archive_entry_pathname(e).map { String(cString: $0) } ?? ""
        let type = UInt32(archive_entry_filetype(e))
        mode = mode_t(archive_entry_perm(e)) & 0o7777
        uid = uid_t(truncatingIfNeeded: archive_entry_uid(e))
        gid = gid_t(truncatingIfNeeded: archive_entry_gid(e))
        mtime = timespec(tv_sec: archive_entry_mtime(e), tv_nsec: archive_entry_mtime_nsec(e))
        atime = archive_entry_atime_is_set(e) != 0
            ? timespec(tv_sec: archive_entry_atime(e), tv_nsec: archive_entry_atime_nsec(e)) : mtime
        size = archive_entry_size(e)
        devMajor = UInt32(archive_entry_rdevmajor(e))
        devMinor = UInt32(archive_entry_rdevminor(e))
        if let h = archive_entry_hardlink(e) {
            kind = .hardlink
            linkTarget = String(cString: h)
        } else {
            switch type {
            case UInt32(Glibc.S_IFREG): kind = .file
            case UInt32(Glibc.S_IFDIR): kind = .dir
            case UInt32(Glibc.S_IFLNK): kind = .symlink; linkTarget = archive_entry_symlink(e).map { String(cString: $0) } ?? ""
            case UInt32(Glibc.S_IFCHR): kind = .char
            case UInt32(Glibc.S_IFBLK): kind = .block
            case UInt32(Glibc.S_IFIFO): kind = .fifo
            default: kind = .other(type)
            }
        }
        xattrs = []
        archive_entry_xattr_reset(e)
        var n: UnsafePointer<CChar>?
        var v: UnsafeRawPointer?
        var len = 0
        while archive_entry_xattr_next(e, &n, &v, &len) == ARCHIVE_OK {
            guard let n else { continue }
            let bytes = v.map { Array(UnsafeRawBufferPointer(start: $0, count: len)) } ?? []
            xattrs.append((String(cString: n), bytes))
        }
    }
}
