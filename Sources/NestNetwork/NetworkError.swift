/// A network operation's failure: what kind (the daemon maps it to a
/// status), the message, and the request field it concerns.
public struct NetworkError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable { case invalid, notFound, inUse, plugin, system }
    public var kind: Kind
    public var message: String
    public var field: String?

    public init(_ kind: Kind, _ message: String, field: String? = nil) {
        self.kind = kind
        self.message = message
        self.field = field
    }

    public var description: String { message }
}
