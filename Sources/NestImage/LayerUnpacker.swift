import CArchive
import Glibc

/// Unpacks one layer blob into a directory that appears only complete:
/// ROOT/layers/tmp/X first, renamed to ROOT/layers/sha256/CHAINHEX once
/// every entry is in place and the DiffID matches.
///
/// No entry may land outside the layer: names are split into components
/// ("./" stripped; absolute names and ".." refused) and every file is made
/// with *at() calls relative to a directory opened component by component
/// with O_NOFOLLOW, so a symlink unpacked earlier is never followed by a
/// later entry (`a -> /` then `a/x` is refused). libarchive only parses;
/// archive_write_disk is not used, its path checks are not these.
///
/// The finished layer's top directory is made 0555: that stops an
/// accidental write of a new top-level name by anyone but root. Overlay
/// never writes to a lower dir, so nothing else is needed for sharing.
struct LayerUnpacker {
    let root: String   // DATA/images/layers

    init(root: String) throws(ImageError) {
        self.root = root
        try FileOps.mkdirs(root + "/sha256")
        try FileOps.mkdirs(root + "/tmp")
    }

    func dir(_ chainID: String) throws(ImageError) -> String {
        root + "/sha256/" + (try Digest.validate(chainID, what: "chain ID"))
    }

    /// Unpacks BLOB into a new dir under ROOT/tmp and returns it: complete
    /// and checked, but neither durable (`sync`) nor visible (`publish`)
    /// yet, so that several layers unpacked at once share one sync. Nothing
    /// is left behind on failure.
    func stage(blob: String, digest: String, diffID: String) throws(ImageError) -> String {
        let tmp = root + "/tmp/" + FileOps.randomName()
        if mkdir(tmp, 0o755) != 0 { throw .errno("cannot create", tmp) }
        do throws(ImageError) {
            try unpack(blob: blob, digest: digest, diffID: diffID, into: tmp)
            chmod(tmp, 0o555)
            return tmp
        } catch {
            try? FileOps.removeTree(tmp)
            throw error
        }
    }

    /// Writes back the file system DIR is on: every staged layer on it.
    func sync(_ dir: String) throws(ImageError) {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd < 0 { throw .errno("cannot open", dir) }
        defer { close(fd) }
        if nest_image_syncfs(fd) != 0 { throw .errno("cannot sync", dir) }
    }

    /// Moves a staged (and synced) layer into place as CHAINID. The caller
    /// fsyncs ROOT/sha256 once it has published all it will.
    func publish(_ tmp: String, as chainID: String) throws(ImageError) {
        let dest = try dir(chainID)
        if rename(tmp, dest) != 0 {
            // the same layer, unpacked meanwhile by another store user
            if errno != EEXIST && errno != ENOTEMPTY { throw ImageError.errno("cannot rename to", dest) }
            try FileOps.removeTree(tmp)
        }
    }

    private func unpack(blob: String, digest: String, diffID: String, into tmp: String) throws(ImageError) {
        let fd = open(blob, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw errno == ENOENT ? ImageError(.notFound, "layer \(digest): blob is not in the store") : .errno("cannot open", blob) }
        defer { close(fd) }
        let rootfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if rootfd < 0 { throw .errno("cannot open", tmp) }
        defer { close(rootfd) }
        let stream = try TarStream(fd: fd, name: "layer \(digest)")
        var w = EntryWriter(rootfd: rootfd, layer: digest)
        while let e = try stream.next() {
            try w.place(e, stream)
        }
        let got = try stream.finish()
        if got != diffID {
            throw ImageError(.corrupt, "layer \(digest): diff ID mismatch: the config says \(diffID), the uncompressed tar is \(got)")
        }
        try w.finishDirs()
    }
}

/// Creates the entries of one layer under ROOTFD.
struct EntryWriter {
    let rootfd: Int32
    let layer: String
    /// Directories get their mode, owner, xattrs and times last: creating
    /// their children changes their mtime, and a 0500 dir must still take them.
    private var dirs: [(comps: [String], entry: TarEntry)] = []

    init(rootfd: Int32, layer: String) {
        self.rootfd = rootfd
        self.layer = layer
    }

    func fail(_ entry: String, _ why: String) -> ImageError {
        ImageError(.invalid, "layer \(layer): entry \"\(entry.prefix(200))\": \(why)")
    }

    /// The components of an entry name. "./" and "." components are dropped;
    /// an absolute name or a ".." anywhere refuses the layer.
    func components(_ name: String, entry: String) throws(ImageError) -> [String] {
        if name.hasPrefix("/") { throw fail(entry, "absolute name") }
        var out: [String] = []
        for c in name.split(separator: "/", omittingEmptySubsequences: true) {
            if c == "." { continue }
            if c == ".." { throw fail(entry, "name escapes the layer (..)") }
            out.append(String(c))
        }
        return out
    }

    /// A directory fd for COMPS, walked one component at a time with
    /// O_NOFOLLOW; missing directories are made when CREATE.
    func openDir(_ comps: ArraySlice<String>, entry: String, create: Bool) throws(ImageError) -> Int32 {
        var fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 0)
        if fd < 0 { throw .errno("cannot dup", "layer dir") }
        for c in comps {
            var next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0 && errno == ENOENT && create {
                if mkdirat(fd, c, 0o755) != 0 && errno != EEXIST { let e = errno; close(fd); throw fail(entry, "cannot create \(c): \(String(cString: strerror(e)))") }
                next = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            if next < 0 {
                let e = errno
                close(fd)
                switch e {
                case ELOOP, ENOTDIR: throw fail(entry, "its path crosses a symlink or a non-directory (\(c))")
                case ENOENT: throw fail(entry, "\(c) is not in this layer")
                default: throw fail(entry, "cannot open \(c): \(String(cString: strerror(e)))")
                }
            }
            close(fd)
            fd = next
        }
        return fd
    }

    mutating func place(_ e: TarEntry, _ stream: TarStream) throws(ImageError) {
        let comps = try components(e.path, entry: e.path)
        guard let base = comps.last else { return }   // "./": the layer's own top dir
        let parentComps = comps.dropLast()
        if case .other(let t) = e.kind { throw fail(e.path, "unsupported file type 0o\(String(t, radix: 8))") }
        for (name, _) in e.xattrs where name.hasPrefix("trusted.overlay.") {
            throw fail(e.path, "sets \(name), which only whiteouts may set")
        }
        if base == ".wh..wh..opq" {
            let p = try openDir(parentComps, entry: e.path, create: true)
            defer { close(p) }
            if fsetxattr(p, "trusted.overlay.opaque", "y", 1, 0) != 0 {
                throw fail(e.path, "cannot mark the directory opaque: \(String(cString: strerror(errno)))")
            }
            return
        }
        if base.hasPrefix(".wh..wh.") { return }   // aufs bookkeeping (.wh..wh.plnk): nothing to unpack
        let p = try openDir(parentComps, entry: e.path, create: true)
        defer { close(p) }
        if base.hasPrefix(".wh.") {
            let name = String(base.dropFirst(4))
            if name.isEmpty || name == "." || name == ".." { throw fail(e.path, "whiteout of no name") }
            try clear(p, name, entry: e.path, keepDir: false)
            // overlay's whiteout: a 0/0 character device owned by 0:0
            if mknodat(p, name, S_IFCHR, 0) != 0 { throw fail(e.path, "cannot make the whiteout: \(String(cString: strerror(errno)))") }
            fchownat(p, name, 0, 0, AT_SYMLINK_NOFOLLOW)
            return
        }
        try clear(p, base, entry: e.path, keepDir: isDir(e))
        switch e.kind {
        case .dir:
            if mkdirat(p, base, 0o755) != 0 && errno != EEXIST { throw fail(e.path, "cannot create: \(String(cString: strerror(errno)))") }
            dirs.append((comps, e))
        case .file:
            try writeFile(p, base, e, stream)
        case .symlink:
            if symlinkat(e.linkTarget ?? "", p, base) != 0 { throw fail(e.path, "cannot create the symlink: \(String(cString: strerror(errno)))") }
            try metadata(p, base, e, chmod: false)
        case .hardlink:
            let t = try components(e.linkTarget ?? "", entry: e.path)
            guard let tbase = t.last else { throw fail(e.path, "hard link to the layer's top dir") }
            let tp = try openDir(t.dropLast(), entry: e.path, create: false)
            defer { close(tp) }
            // flags 0: a link to a symlink links the symlink, never its target
            if linkat(tp, tbase, p, base, 0) != 0 {
                throw fail(e.path, "cannot link to \(e.linkTarget ?? ""): \(String(cString: strerror(errno)))")
            }
        case .char, .block, .fifo:
            let type: mode_t = { if case .char = e.kind { return S_IFCHR }; if case .block = e.kind { return S_IFBLK }; return S_IFIFO }()
            if mknodat(p, base, type | (e.mode & 0o777), nest_image_makedev(e.devMajor, e.devMinor)) != 0 {
                throw fail(e.path, "cannot create the node: \(String(cString: strerror(errno)))")
            }
            try metadata(p, base, e, chmod: true)
        case .other:
            break
        }
    }

    private func isDir(_ e: TarEntry) -> Bool { if case .dir = e.kind { return true }; return false }

    /// A later entry of one name replaces the earlier one (a dir stays a dir
    /// when the new entry is a dir too).
    private func clear(_ p: Int32, _ name: String, entry: String, keepDir: Bool) throws(ImageError) {
        var st = stat()
        guard fstatat(p, name, &st, AT_SYMLINK_NOFOLLOW) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            if keepDir { return }
            try FileOps.removeTree("/proc/self/fd/\(p)/\(name)")
        } else if unlinkat(p, name, 0) != 0 {
            throw fail(entry, "cannot replace: \(String(cString: strerror(errno)))")
        }
    }

    private func writeFile(_ p: Int32, _ name: String, _ e: TarEntry, _ stream: TarStream) throws(ImageError) {
        let fd = openat(p, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        if fd < 0 { throw fail(e.path, "cannot create: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let path = e.path
        try stream.data { (buf, offset) throws(ImageError) in
            var off = 0
            while off < buf.count {
                let n = pwrite(fd, buf.baseAddress! + off, buf.count - off, off_t(offset) + off_t(off))
                if n < 0 { if errno == EINTR { continue }; throw fail(path, "cannot write: \(String(cString: strerror(errno)))") }
                off += n
            }
        }
        // sparse files end in a hole the data blocks do not cover
        if ftruncate(fd, off_t(e.size)) != 0 { throw fail(e.path, "cannot set the size: \(String(cString: strerror(errno)))") }
        try metadata(fd, e)
    }

    /// Owner, mode, xattrs and times of an open file or directory. The
    /// owner first: chown clears set-id bits and file capabilities.
    private func metadata(_ fd: Int32, _ e: TarEntry) throws(ImageError) {
        if fchown(fd, e.uid, e.gid) != 0 { throw fail(e.path, "cannot chown: \(String(cString: strerror(errno)))") }
        if fchmod(fd, e.mode) != 0 { throw fail(e.path, "cannot chmod: \(String(cString: strerror(errno)))") }
        for (n, v) in e.xattrs {
            if fsetxattr(fd, n, v, v.count, 0) != 0 && errno != ENOTSUP {
                throw fail(e.path, "cannot set xattr \(n): \(String(cString: strerror(errno)))")
            }
        }
        var times = [e.atime, e.mtime]
        if futimens(fd, &times) != 0 { throw fail(e.path, "cannot set times: \(String(cString: strerror(errno)))") }
    }

    /// Owner, mode, xattrs, times of a non-regular entry NAME in P, never
    /// following it if it is a symlink.
    private func metadata(_ p: Int32, _ name: String, _ e: TarEntry, chmod: Bool) throws(ImageError) {
        if fchownat(p, name, e.uid, e.gid, AT_SYMLINK_NOFOLLOW) != 0 { throw fail(e.path, "cannot chown: \(String(cString: strerror(errno)))") }
        if chmod && fchmodat(p, name, e.mode, 0) != 0 { throw fail(e.path, "cannot chmod: \(String(cString: strerror(errno)))") }
        let path = "/proc/self/fd/\(p)/\(name)"
        for (n, v) in e.xattrs {
            if lsetxattr(path, n, v, v.count, 0) != 0 && errno != ENOTSUP && errno != EPERM {
                throw fail(e.path, "cannot set xattr \(n): \(String(cString: strerror(errno)))")
            }
        }
        var times = [e.atime, e.mtime]
        if utimensat(p, name, &times, AT_SYMLINK_NOFOLLOW) != 0 { throw fail(e.path, "cannot set times: \(String(cString: strerror(errno)))") }
    }

    /// Deepest first, so a parent's mtime is set after its children's.
    func finishDirs() throws(ImageError) {
        for (comps, e) in dirs.reversed() {
            let fd = try openDir(comps[...], entry: e.path, create: false)
            defer { close(fd) }
            try metadata(fd, e)
        }
    }
}
