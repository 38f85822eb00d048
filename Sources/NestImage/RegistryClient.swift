import AsyncHTTPClient
import NIOPosix
import Foundation
import NestAPI
import NIOCore
import NIOHTTP1

/// How a pull talks to registries.
public struct RegistryOptions: Sendable {
    /// Plain HTTP for a registry on localhost, 127.0.0.1 or ::1.
    public var insecure = false
    /// Registries (host[:port], as in the reference) allowed plain HTTP
    /// wherever they are: named one by one, never implied by `insecure`.
    public var insecureRegistries: [String] = []
    public var connectTimeout: Duration = .seconds(10)
    /// How long a response may go without a byte before the pull fails.
    public var readTimeout: Duration = .seconds(30)
    public var credentials = RegistryCredentials()
    public var platform = HostPlatform.current
    /// Layers fetched at once.
    public var parallelLayers = 3

    public init() {}
}

/// The /v2 API of one repository on one registry: the authorization it
/// earned is kept for the requests that follow.
actor RegistrySession {
    let client: HTTPClient
    let reference: RegistryReference
    let options: RegistryOptions
    let group: MultiThreadedEventLoopGroup
    let base: String
    private var authorization: String?

    init(reference: RegistryReference, options: RegistryOptions) throws(RegistryError) {
        self.reference = reference
        self.options = options
        let plain = options.insecureRegistries.contains(reference.registry) || (options.insecure && reference.isLoopback)
        if options.insecure && !plain {
            throw RegistryError("--insecure allows plain HTTP only to localhost, 127.0.0.1 and ::1; \(reference.registry) must be named as an insecure registry to be reached without TLS")
        }
        base = (plain ? "http://" : "https://") + reference.apiHost
        var config = HTTPClient.Configuration(
            redirectConfiguration: .follow(max: 10, allowCycles: false),
            timeout: .init(connect: .nanoseconds(Int64(options.connectTimeout.seconds * 1e9)),
                           read: .nanoseconds(Int64(options.readTimeout.seconds * 1e9))))
        config.decompression = .disabled
        // A group of its own, shut down with the session: the shared
        // singleton would keep its thread and descriptors in nestd for good
        // after the first pull.
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        client = HTTPClient(eventLoopGroupProvider: .shared(group), configuration: config)
    }

    func shutdown() async {
        try? await client.shutdown()
        try? await group.shutdownGracefully()
    }

    /// The base endpoint, authorized as every other request is.
    func ping() async throws {
        let url = base + "/v2/"
        _ = try await readBody(try await get(url), limit: 1 << 16, url: url)
    }

    func url(_ kind: String, _ ref: String) -> String { "\(base)/v2/\(reference.repository)/\(kind)/\(ref)" }

    /// GET with the session's authorization; on a 401 answers the challenge
    /// once and retries. Any status but 2xx is an error naming the URL.
    func get(_ url: String, accept: [String] = []) async throws -> HTTPClientResponse {
        var retried = false
        while true {
            var request = HTTPClientRequest(url: url)
            for a in accept { request.headers.add(name: "Accept", value: a) }
            if let authorization { request.headers.replaceOrAdd(name: "Authorization", value: authorization) }
            let response = try await execute(request)
            if response.status == .unauthorized, !retried {
                retried = true
                let header = response.headers.first(name: "WWW-Authenticate") ?? ""
                _ = try? await readBody(response, limit: 1 << 16, url: url)
                guard let challenge = RegistryChallenge(header: header) else {
                    throw RegistryError("GET \(url): 401 Unauthorized with no WWW-Authenticate challenge")
                }
                authorization = try await answer(challenge, url: url)
                continue
            }
            guard (200..<300).contains(response.status.code) else {
                let body = (try? await readBody(response, limit: 1 << 16, url: url)) ?? Data()
                throw RegistryError("GET \(url): \(response.status.code) \(response.status.reasonPhrase)" + Self.registryMessage(body),
                                    status: Int(response.status.code))
            }
            return response
        }
    }

    /// Blobs can be large and slow: no overall deadline, only the connect
    /// and idle-read timeouts, so a hanging server still fails.
    private func execute(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        do {
            return try await client.execute(request, deadline: .distantFuture)
        } catch {
            throw describe(error, url: request.url)
        }
    }

    nonisolated func describe(_ error: any Error, url: String) -> any Error {
        if error is RegistryError || error is CancellationError { return error }
        if let e = error as? HTTPClientError {
            switch e {
            case .readTimeout:
                return RegistryError("GET \(url): no data for \(options.readTimeout) (read timeout)")
            case .connectTimeout:
                return RegistryError("GET \(url): could not connect within \(options.connectTimeout)")
            case .remoteConnectionClosed:
                return RegistryError("GET \(url): the registry closed the connection")
            default: break
            }
        }
        return RegistryError("GET \(url): \(error)")
    }

    private func answer(_ challenge: RegistryChallenge, url: String) async throws -> String {
        let basic = options.credentials.basic(for: reference.registry)
        switch challenge.scheme {
        case "basic":
            guard let basic else { throw RegistryError("GET \(url): the registry asks for a login (nestctl login \(reference.registry))") }
            return basic
        case "bearer":
            guard let realm = challenge.parameters["realm"], var components = URLComponents(string: realm),
                  components.scheme == "https" || components.scheme == "http" else {
                throw RegistryError("GET \(url): Bearer challenge without a usable realm")
            }
            var query = components.queryItems ?? []
            if let service = challenge.parameters["service"] { query.append(.init(name: "service", value: service)) }
            // a login's check names no repository: no scope unless the challenge gives one
            if let scope = challenge.parameters["scope"] ?? (reference.repository.isEmpty ? nil : "repository:\(reference.repository):pull") {
                query.append(.init(name: "scope", value: scope))
            }
            components.queryItems = query
            guard let tokenURL = components.string else { throw RegistryError("GET \(url): bad token realm \(realm)") }
            var request = HTTPClientRequest(url: tokenURL)
            if let basic { request.headers.add(name: "Authorization", value: basic) }
            let response = try await execute(request)
            let body = try await readBody(response, limit: 1 << 20, url: tokenURL)
            guard response.status == .ok else {
                throw RegistryError("GET \(tokenURL): \(response.status.code) \(response.status.reasonPhrase) (token)" + Self.registryMessage(body),
                                    status: Int(response.status.code))
            }
            struct Token: Decodable { var token: String?; var access_token: String? }
            guard let t = try? JSONDecoder().decode(Token.self, from: body), let token = t.token ?? t.access_token, !token.isEmpty else {
                throw RegistryError("GET \(tokenURL): the answer has no token")
            }
            return "Bearer " + token
        default:
            throw RegistryError("GET \(url): unsupported authentication scheme \"\(challenge.scheme)\"")
        }
    }

    /// A small body, read whole; more than `limit` bytes is an error.
    func readBody(_ response: HTTPClientResponse, limit: Int, url: String) async throws -> Data {
        do {
            let buf = try await response.body.collect(upTo: limit)
            return Data(buf.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw RegistryError("GET \(url): answer larger than \(limit) bytes")
        } catch {
            throw describe(error, url: url)
        }
    }

    /// The registry's own error text (`{"errors":[{"code":…,"message":…}]}`), if any.
    static func registryMessage(_ body: Data) -> String {
        struct E: Decodable { struct Item: Decodable { var code: String?; var message: String? }; var errors: [Item]? }
        guard let items = (try? JSONDecoder().decode(E.self, from: body))?.errors, !items.isEmpty else { return "" }
        return ": " + items.map { [$0.code, $0.message].compactMap { $0 }.joined(separator: " ") }.joined(separator: "; ")
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
