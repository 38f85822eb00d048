/// Everything a pull can fail with. Each message names what is wrong (the
/// reference, the URL, the digest) so a person can act on it without a trace.
public struct RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
