import NestOCI
import NestSubsystem

extension Runtime {
    /// A hand-written (or edited) subsystem config, read as carefully as a
    /// bundle's config.json (a regular file, not through a final symlink,
    /// of bounded size) and renamed `id` when one is given. Checked by
    /// `create(subsystem:)`, as every config is.
    public static func readSubsystem(path: String, id: String?) throws(RuntimeError) -> Subsystem {
        let bytes: [UInt8]
        do { bytes = try BundleLoader.readFile(path) } catch {
            throw .invalidArgument(error.message, field: "--subsystem")
        }
        if bytes.contains(0) { throw .invalidArgument("\(path): has a NUL byte", field: "--subsystem") }
        var sub: Subsystem
        do { sub = try Subsystem.read(xml: String(decoding: bytes, as: UTF8.self)) } catch {
            throw .invalidSpec([error])
        }
        if let id { sub.name = id }
        try validateNew(id: sub.name)
        return sub
    }
}
