import NestAPI

/// What a login is checked with before it is stored: the registry's base
/// endpoint (`GET /v2/`) asked with the credentials the way a pull presents
/// them (Basic, or a Bearer token from the challenge's realm), so a typo
/// fails at `nestctl login` and not at the next pull.
public enum RegistryLogin {
    public enum Outcome: Sendable, Equatable {
        case accepted
        /// The registry (or its token service) refused the credentials.
        case refused(String)
    }

    /// `.refused` when the registry answers 401 to the credentials; a
    /// registry that cannot be reached or answers otherwise throws.
    public static func check(registry: String, username: String, password: String,
                             options base: RegistryOptions) async throws -> Outcome {
        var options = base
        options.credentials = RegistryCredentials()
        options.credentials.set(registry: registry, username: username, password: password)
        let reference = RegistryReference(registry: registry, repository: "", tag: nil, digest: nil)
        let session = try RegistrySession(reference: reference, options: options)
        do {
            try await session.ping()
            await session.shutdown()
            return .accepted
        } catch let error as RegistryError where error.status == 401 {
            await session.shutdown()
            return .refused(error.message)
        } catch {
            await session.shutdown()
            throw error
        }
    }
}
