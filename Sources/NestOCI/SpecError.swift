/// One problem with a config, named by the JSON path of the offending field
/// (`process.args`, `mounts[3].destination`); the path is empty when the
/// problem is the document as a whole.
public struct SpecError: Error, Equatable, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String {
        path.isEmpty ? message : "\(path): \(message)"
    }
}

/// Every problem found in one config, so that a user can fix them all at once.
public struct SpecErrors: Error, Equatable, Sendable, CustomStringConvertible {
    public var errors: [SpecError]

    public init(_ errors: [SpecError]) {
        self.errors = errors
    }

    public var description: String {
        errors.map(\.description).joined(separator: "\n")
    }
}
