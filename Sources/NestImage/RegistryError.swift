/// Everything a pull can fail with. Each message names what is wrong (the
/// reference, the URL, the digest) so a person can act on it without a trace.
public struct RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    /// The HTTP status that caused it, when a registry answered with one.
    public let status: Int?
    public init(_ message: String, status: Int? = nil) { self.message = message; self.status = status }
    public var description: String { message }
}
