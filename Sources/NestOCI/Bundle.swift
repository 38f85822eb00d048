#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// An OCI bundle: a directory with config.json and the rootfs it names.
public struct Bundle: Sendable, Equatable {
    /// Absolute path of the bundle directory.
    public var path: String
    public var spec: Spec
    /// Absolute path of the root filesystem (`root.path`, resolved against the bundle).
    public var rootfsPath: String

    public init(path: String, spec: Spec, rootfsPath: String) {
        self.path = path
        self.spec = spec
        self.rootfsPath = rootfsPath
    }
}

public enum BundleLoader {
    /// config.json files are a few kB (a full seccomp profile about 30 kB);
    /// the cap only stops a mistaken path from reading a disk image.
    public static let maxConfigSize = 16 << 20

    /// Reads, decodes and validates `dir/config.json` and checks that the
    /// rootfs exists. Throws `SpecErrors` with every problem found; nothing
    /// is created or changed.
    public static func load(_ dir: String) throws(SpecErrors) -> Bundle {
        let bundlePath = FilePath.absolute(dir)
        var info = stat()
        guard stat(bundlePath, &info) == 0 else {
            throw SpecErrors([SpecError(path: "", message: "bundle \(bundlePath): \(errnoText())")])
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw SpecErrors([SpecError(path: "", message: "bundle \(bundlePath): not a directory")])
        }
        let configPath = FilePath.join(bundlePath, "config.json")
        let bytes: [UInt8]
        do {
            bytes = try readFile(configPath)
        } catch {
            throw SpecErrors([error])
        }
        let spec: Spec
        var problems: [SpecError]
        if let seen = ParsedConfigs.shared.lookup(bytes) {
            (spec, problems) = seen
        } else {
            do {
                spec = try Spec.decode(bytes)
            } catch {
                throw SpecErrors([SpecError(path: error.path, message: error.path.isEmpty ? "\(configPath): \(error.message)" : error.message)])
            }
            problems = spec.validate(json: bytes)
            if let vm = refuseVM(bytes) { problems.append(vm) }
            ParsedConfigs.shared.keep(bytes, spec, problems)
        }
        var rootfsPath = bundlePath
        if let root = spec.root, !root.path.isEmpty {
            rootfsPath = root.path.hasPrefix("/") ? FilePath.normalize(root.path) : FilePath.join(bundlePath, root.path)
            var rootInfo = stat()
            if stat(rootfsPath, &rootInfo) != 0 {
                problems.append(SpecError(path: "root.path", message: "rootfs \(rootfsPath): \(errnoText())"))
            } else if rootInfo.st_mode & S_IFMT != S_IFDIR {
                problems.append(SpecError(path: "root.path", message: "rootfs \(rootfsPath): not a directory"))
            }
        }
        guard problems.isEmpty else { throw SpecErrors(problems) }
        return Bundle(path: bundlePath, spec: spec, rootfsPath: rootfsPath)
    }

    /// The spec's `vm` section asks for a virtual-machine-based container;
    /// Nest runs containers in namespaces, so running one anyway would give
    /// less isolation than asked. The other platforms' sections (windows,
    /// solaris, zos) do not apply on Linux and are passed over, as unknown
    /// members are. Only a document that names `"vm"` is parsed again.
    static func refuseVM(_ bytes: [UInt8]) -> SpecError? {
        let key = Array(#""vm""#.utf8)
        guard bytes.count >= key.count,
              (0...(bytes.count - key.count)).contains(where: { bytes[$0..<($0 + key.count)].elementsEqual(key) }),
              case .object(let members)? = try? JSONParser.parse(bytes),
              let vm = members["vm"]
        else { return nil }
        if case .null = vm { return nil }
        return SpecError(path: "vm", message: "virtual-machine-based containers are not supported: Nest runs the process in namespaces of this kernel")
    }

    /// Looks before it opens: an O_PATH descriptor (which opens nothing and
    /// follows no final symlink) is checked to be a regular file, and only
    /// then reopened for reading, without blocking. A FIFO (whose open or
    /// read would wait for a writer forever), a device (whose open may act)
    /// or a directory is refused by name before anything is opened for
    /// reading. The size is checked before reading and again while reading
    /// (a file may grow meanwhile), against `maxConfigSize`.
    public static func readFile(_ path: String) throws(SpecError) -> [UInt8] {
        let pathFD = open(path, openPathOnly | O_CLOEXEC | O_NOFOLLOW)
        guard pathFD >= 0 else { throw SpecError(path: "", message: "\(path): \(errnoText())") }
        defer { close(pathFD) }
        return try readRegular(pathFD, name: path, limit: maxConfigSize) {
            open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY)
        }
    }

    /// The bytes of the regular file that `pathFD` (an O_PATH descriptor)
    /// names, at most `limit` of them; `name` names it in errors. The file
    /// is reopened for reading through the descriptor, so a swap of its name
    /// in between opens nothing else; without /proc, with `reopenByName`
    /// (O_RDONLY | O_NONBLOCK | O_NOCTTY), whose result must be the same
    /// file. Anything but a regular file is refused
    /// before it is opened for reading.
    public static func readRegular(_ pathFD: Int32, name: String, limit: Int,
                                   reopenByName: () -> Int32) throws(SpecError) -> [UInt8] {
        var info = stat()
        guard fstat(pathFD, &info) == 0 else { throw SpecError(path: "", message: "\(name): \(errnoText())") }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw SpecError(path: "", message: "\(name): \(kind(info.st_mode)); it must be a regular file")
        }
        guard info.st_size <= limit else { throw SpecError(path: "", message: "\(name): \(tooLarge(limit))") }
        var fd = open("/proc/self/fd/\(pathFD)", O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
        if fd < 0 && errno == ENOENT { fd = reopenByName() }
        guard fd >= 0 else { throw SpecError(path: "", message: "\(name): \(errnoText())") }
        defer { close(fd) }
        var opened = stat()
        guard fstat(fd, &opened) == 0, opened.st_dev == info.st_dev, opened.st_ino == info.st_ino else {
            throw SpecError(path: "", message: "\(name): changed while being opened")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(info.st_size))
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw SpecError(path: "", message: "\(name): \(errnoText())")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > limit { throw SpecError(path: "", message: "\(name): \(tooLarge(limit))") }
        }
        return bytes
    }

    private static func tooLarge(_ limit: Int) -> String {
        limit >= 1 << 20 && limit % (1 << 20) == 0 ? "larger than \(limit >> 20) MiB" : "larger than \(limit) bytes"
    }

    /// Linux's O_PATH, which Glibc's Swift module does not export (it is
    /// behind _GNU_SOURCE); the same value on every Linux architecture.
    private static let openPathOnly: Int32 = 0o10000000

    private static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFDIR: "a directory"
        case S_IFSOCK: "a socket"
        case S_IFLNK: "a symbolic link"
        default: "not a regular file"
        }
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}

/// Lexical path handling: no symlink is followed, the filesystem is not touched.
enum FilePath {
    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return normalize(path) }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return normalize("/" + path) }
        let cwd = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return join(cwd, path)
    }

    static func join(_ base: String, _ path: String) -> String {
        normalize(base + "/" + path)
    }

    /// Removes empty and `.` components and resolves `..` textually.
    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." {
                if !parts.isEmpty { parts.removeLast() }
                continue
            }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }
}

/// The configs a long-lived process (nestd) has parsed and validated
/// lately, by their exact bytes: decoding and validating are pure functions
/// of them, and a daemon sees the same config.json again and again. Only
/// the bytes are the key, never the path; the rootfs is checked every time.
final class ParsedConfigs: Sendable {
    static let shared = ParsedConfigs()
    private static let capacity = 8
    private let entries = Mutex<[(bytes: [UInt8], spec: Spec, problems: [SpecError])]>([])

    func lookup(_ bytes: [UInt8]) -> (Spec, [SpecError])? {
        entries.withLock { list in
            guard let i = list.firstIndex(where: { $0.bytes == bytes }) else { return nil }
            let hit = list[i]
            if i != 0 { list.remove(at: i); list.insert(hit, at: 0) }
            return (hit.spec, hit.problems)
        }
    }

    func keep(_ bytes: [UInt8], _ spec: Spec, _ problems: [SpecError]) {
        // the largest configs are not worth holding on to
        guard bytes.count <= 64 << 10 else { return }
        entries.withLock { list in
            list.insert((bytes, spec, problems), at: 0)
            if list.count > Self.capacity { list.removeLast() }
        }
    }
}
