#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// SO_PEERCRED's `struct ucred`, laid out as the kernel writes it.
struct PeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

struct Request: Sendable {
    var method: HTTPMethod
    var path: [String]
    var query: [String: String]
    var body: [UInt8]
    var peer: PeerCredentials
}

/// Writes one response from any thread: the handler hands the work to a
/// worker and the worker answers through the channel.
struct ResponseWriter: Sendable {
    let channel: Channel

    var isActive: Bool { channel.isActive }
    var closeFuture: EventLoopFuture<Void> { channel.closeFuture }

    func send(_ status: Int, contentType: String = "application/json", _ body: [UInt8]) {
        var h = HTTPHeaders()
        h.add(name: "Content-Type", value: contentType)
        h.add(name: "Content-Length", value: "\(body.count)")
        h.add(name: "Connection", value: "close")
        let head = HTTPResponseHead(version: .http1_1, status: .init(statusCode: status), headers: h)
        channel.write(HTTPServerResponsePart.head(head), promise: nil)
        channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
        channel.writeAndFlush(HTTPServerResponsePart.end(nil)).whenComplete { [channel] _ in channel.close(promise: nil) }
    }

    func json<T: Encodable>(_ status: Int, _ value: T) {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        send(status, Array((try? enc.encode(value)) ?? Data("{}".utf8)) + [0x0a])
    }

    /// Starts a chunked response (followed logs, events).
    func begin(_ status: Int = 200, contentType: String) {
        var h = HTTPHeaders()
        h.add(name: "Content-Type", value: contentType)
        h.add(name: "Transfer-Encoding", value: "chunked")
        h.add(name: "Connection", value: "close")
        channel.writeAndFlush(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: status), headers: h)), promise: nil)
    }

    func chunk(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: bytes))), promise: nil)
    }

    func end() {
        channel.writeAndFlush(HTTPServerResponsePart.end(nil)).whenComplete { [channel] _ in channel.close(promise: nil) }
    }
}

final class HTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let router: Router
    private let peer: PeerCredentials
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []

    init(router: Router, peer: PeerCredentials) {
        self.router = router
        self.peer = peer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body.removeAll()
        case .body(let b):
            body += b.readableBytesView
            if body.count > 1 << 20 { context.close(promise: nil) }
        case .end:
            guard let head else { return }
            let uri = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
            var query: [String: String] = [:]
            if uri.count > 1 {
                for item in uri[1].split(separator: "&") {
                    let kv = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    query[percentDecoded(kv[0], plusIsSpace: true)] = kv.count > 1 ? percentDecoded(kv[1], plusIsSpace: true) : ""
                }
            }
            let path = (uri.first ?? "").split(separator: "/").map { percentDecoded($0) }
            let req = Request(method: head.method, path: path, query: query, body: body, peer: peer)
            let writer = ResponseWriter(channel: context.channel)
            let router = self.router
            // A thread per request: waits and followed logs block for the
            // life of a container, and the global queue's few threads would
            // make fifty concurrent runs take turns.
            detachThread { router.handle(req, writer) }
            self.head = nil
        }
    }
}

enum Server {
    /// Binds (or adopts, with socket activation) the unix socket and serves
    /// until the channel closes.
    static func bind(group: EventLoopGroup, socketPath: String, activatedFD: Int32?, router: Router,
                     access: AccessPolicy, logger: Logger) throws -> Channel {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 512)
            .childChannelInitializer { channel in
                let provider = channel as! SocketOptionProvider
                let cred: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(
                    level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
                return cred.flatMapThrowing { peer in
                    let ops = channel.pipeline.syncOperations
                    try ops.configureHTTPServerPipeline(withErrorHandling: true)
                    if access.allows(uid: peer.uid) {
                        try ops.addHandler(HTTPHandler(router: router, peer: peer))
                    } else {
                        logger.warning("refused connection", metadata: ["uid": "\(peer.uid)", "pid": "\(peer.pid)"])
                        try ops.addHandler(HTTPHandler(router: Router.forbidden, peer: peer))
                    }
                }
            }
        if let fd = activatedFD {
            return try bootstrap.withBoundSocket(fd).wait()
        }
        unlink(socketPath)
        let ch = try bootstrap.bind(unixDomainSocketPath: socketPath).wait()
        chmod(socketPath, 0o660)
        if let gid = access.groupID { chown(socketPath, 0, gid) }
        return ch
    }
}
