/// Every failure of the image store. The message names what is wrong: the
/// digest, the tar entry, the JSON field, the reference.
public struct ImageError: Error, CustomStringConvertible, Equatable, Sendable {
    public enum Kind: String, Sendable {
        /// no such image, blob or reference
        case notFound
        /// an image still used by containers (`containers` names them)
        case conflict
        /// bad input: a malformed reference, manifest, archive or tar entry
        case invalid
        /// content that does not match its digest or size
        case corrupt
        /// the host refused a file operation
        case system
    }
    public var kind: Kind
    public var message: String
    public var containers: [String]

    public init(_ kind: Kind, _ message: String, containers: [String] = []) {
        self.kind = kind
        self.message = message
        self.containers = containers
    }

    public var description: String { message }

    static func errno(_ what: String, _ path: String, _ code: Int32 = Glibc.errno) -> ImageError {
        ImageError(.system, "\(what) \(path): \(String(cString: strerror(code)))")
    }
}

import Glibc
