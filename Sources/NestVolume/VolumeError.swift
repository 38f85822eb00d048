/// What went wrong with a volume, with what the API answers it with.
public struct VolumeError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable { case invalid, notFound, inUse, system }
    public var kind: Kind
    public var message: String
    /// The request field (or flag) the message is about, when there is one.
    public var field: String?

    public init(_ kind: Kind, _ message: String, field: String? = nil) {
        self.kind = kind
        self.message = message
        self.field = field
    }

    public var description: String { message }
}
