#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CNestShims
import Glibc

/// Named volumes on disk: DATA/volumes/NAME/_data (the directory every
/// container routed to the volume mounts) and DATA/volumes/NAME/volume.json.
/// A volume is made whole under DATA/volumes/.tmp and renamed into place,
/// so a half-made one (seed copy included) is never seen; a removal renames
/// it away first, so a half-removed one is never seen either. Who uses a
/// volume is not kept here: it is read from the containers' configs
/// (VolumeUsers).
public struct VolumeStore: Sendable {
    /// DATA/volumes, absolute.
    public let root: String
    var tmpDir: String { root + "/.tmp" }

    public init(root: String) {
        var r = root
        while r.count > 1 && r.hasSuffix("/") { r.removeLast() }
        self.root = r
    }

    public func directory(_ name: String) -> String { root + "/" + name }
    /// The directory containers mount.
    public func dataDirectory(_ name: String) -> String { directory(name) + "/_data" }

    /// Makes the root and removes what a create or removal cut short left
    /// under .tmp (nothing there is a volume).
    public func prepare() throws(VolumeError) {
        for d in [root, tmpDir] where mkdir(d, 0o700) != 0 && errno != EEXIST {
            throw VolumeError(.system, "mkdir \(d): \(String(cString: strerror(errno)))")
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: tmpDir)) ?? [] {
            try? FileManager.default.removeItem(atPath: tmpDir + "/" + name)
        }
    }

    public func exists(_ name: String) -> Bool {
        VolumeRecord.isValidName(name) && access(directory(name) + "/volume.json", F_OK) == 0
    }

    public func record(_ name: String) throws(VolumeError) -> VolumeRecord {
        guard VolumeRecord.isValidName(name) else {
            throw VolumeError(.invalid, "volume name \(name.prefix(64)) must match \(VolumeRecord.namePattern)", field: "name")
        }
        guard let data = FileManager.default.contents(atPath: directory(name) + "/volume.json") else {
            throw VolumeError(.notFound, "no such volume: \(name)")
        }
        do { return try JSONDecoder().decode(VolumeRecord.self, from: data) } catch {
            throw VolumeError(.system, "volume \(name): unreadable volume.json: \(error)")
        }
    }

    /// Every volume, by name.
    public func list() -> [VolumeRecord] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.filter(VolumeRecord.isValidName).sorted().compactMap { try? record($0) }
    }

    /// Makes the volume NAME unless it exists, its directory first filled
    /// with what `seed.source` has at `seed.path` (VolumeSeed). Returns the
    /// record and whether this call made it.
    public func create(_ name: String, labels: [String: String] = [:], created: String,
                       seed: (source: VolumeSeed.Source, path: String)? = nil) throws(VolumeError) -> (VolumeRecord, Bool) {
        guard VolumeRecord.isValidName(name) else {
            throw VolumeError(.invalid, "volume name \(name.prefix(64)) must match \(VolumeRecord.namePattern)", field: "name")
        }
        if exists(name) { return (try record(name), false) }
        try prepare()
        let tmp = tmpDir + "/" + name + "." + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        guard mkdir(tmp, 0o700) == 0, mkdir(tmp + "/_data", 0o755) == 0 else {
            let e = VolumeError(.system, "mkdir \(tmp): \(String(cString: strerror(errno)))")
            try? FileManager.default.removeItem(atPath: tmp)
            throw e
        }
        do throws(VolumeError) {
            if let seed { try VolumeSeed.copy(seed.source, path: seed.path, into: tmp + "/_data") }
            let record = VolumeRecord(name: name, created: created, labels: labels)
            try Self.writeDurably(tmp + "/volume.json", record)
            Self.syncDirectory(tmp)
            chmod(tmp, 0o711)
            if nest_rename_noreplace(tmp, directory(name)) != 0 {
                let err = errno
                try? FileManager.default.removeItem(atPath: tmp)
                // made by another create meanwhile: that one is the volume
                if err == EEXIST || err == ENOTEMPTY { return (try self.record(name), false) }
                throw VolumeError(.system, "rename \(tmp) to \(directory(name)): \(String(cString: strerror(err)))")
            }
            Self.syncDirectory(root)
            return (record, true)
        } catch {
            try? FileManager.default.removeItem(atPath: tmp)
            throw error
        }
    }

    /// Removes the volume: renamed out of sight first, then deleted. The
    /// caller has checked that no container uses it.
    public func remove(_ name: String) throws(VolumeError) {
        _ = try record(name)
        try prepare()
        let gone = tmpDir + "/" + name + ".rm." + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        guard rename(directory(name), gone) == 0 else {
            throw VolumeError(.system, "rename \(directory(name)): \(String(cString: strerror(errno)))")
        }
        Self.syncDirectory(root)
        try? FileManager.default.removeItem(atPath: gone)
    }

    static func writeDurably(_ path: String, _ record: VolumeRecord) throws(VolumeError) {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let bytes: [UInt8]
        do { bytes = Array(try enc.encode(record)) } catch { throw VolumeError(.system, "encode \(path): \(error)") }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw VolumeError(.system, "open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw VolumeError(.system, "write \(path): \(String(cString: strerror(errno)))")
            }
            off += n
        }
        guard fsync(fd) == 0 else { throw VolumeError(.system, "fsync \(path): \(String(cString: strerror(errno)))") }
    }

    static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { fsync(fd); close(fd) }
    }
}
