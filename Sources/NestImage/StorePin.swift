import Foundation
import Glibc

/// The blobs a pull in progress has found or written and not yet recorded
/// under a name: prune and rm keep them. A pin is a file under ROOT/pins,
/// one digest a line, flocked by its pull for its whole life, so a pin whose
/// lock is free belongs to a pull that died and is removed by the next
/// collection. Pins are added under ROOT/pins.lock shared and read under it
/// exclusive: a collection sees a pin added before it, and a pull that pins
/// after it has ended finds the blob gone and fetches it again.
public final class StorePin: @unchecked Sendable {
    private let dir: String
    private let mutex = NSLock()
    private var fd: Int32 = -1
    private var path = ""

    init(root: String) { dir = root + "/pins" }

    /// Pins DIGEST, then runs BODY while no collection can start.
    @discardableResult
    public func hold<R>(_ digest: String, _ body: () throws -> R) throws -> R {
        try mutex.withLock {
            let guardFD = try Self.lockFile(dir + ".lock", LOCK_SH)
            defer { close(guardFD) }
            if fd < 0 {
                try FileOps.mkdirs(dir)
                path = dir + "/" + FileOps.randomName()
                fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o600)
                if fd < 0 { throw ImageError.errno("cannot create", path) }
                flock(fd, LOCK_EX)
            }
            let (fd, path) = (self.fd, self.path)
            try Array((digest + "\n").utf8).bytes { b throws(ImageError) in try FileOps.writeAll(fd, b, name: path) }
            return try body()
        }
    }

    /// Ends the pin: what it held is now recorded (or no longer wanted).
    public func release() {
        mutex.withLock {
            guard fd >= 0 else { return }
            unlink(path)
            close(fd)
            fd = -1
        }
    }

    deinit { if fd >= 0 { unlink(path); close(fd) } }

    static func lockFile(_ path: String, _ how: Int32) throws(ImageError) -> Int32 {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        if fd < 0 { throw .errno("cannot open", path) }
        while flock(fd, how) != 0 {
            if errno != EINTR { let e = ImageError.errno("cannot lock", path); close(fd); throw e }
        }
        return fd
    }

    /// Runs BODY with the digests of every live pin, no pin being added
    /// meanwhile; the pins of dead pulls are removed.
    static func collecting<R>(root: String, _ body: (Set<String>) throws(ImageError) -> R) throws(ImageError) -> R {
        let dir = root + "/pins"
        let guardFD = try lockFile(dir + ".lock", LOCK_EX)
        defer { close(guardFD) }
        var pinned = Set<String>()
        for n in FileOps.list(dir) {
            let fd = open(dir + "/" + n, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            if fd < 0 { continue }
            defer { close(fd) }
            if flock(fd, LOCK_EX | LOCK_NB) == 0 {
                unlink(dir + "/" + n)
                continue
            }
            guard let text = try? FileOps.read(dir + "/" + n) else { continue }
            for line in String(decoding: text, as: UTF8.self).split(separator: "\n") { pinned.insert(String(line)) }
        }
        return try body(pinned)
    }
}

extension ImageStore {
    /// A pin for one pull: what it stores is kept by collections until it
    /// is released (after the commit) or its holder dies.
    public func pin() -> StorePin { StorePin(root: root) }
}
