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
import NestAPI

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
    /// `Connection: Upgrade` and `Upgrade: nest-stream`: the client asks
    /// for a stream of frames (attach, exec).
    var upgrade = false
}

/// Writes one response from any thread: the handler hands the work to a
/// worker and the worker answers through the channel.
struct ResponseWriter: Sendable {
    let channel: Channel

    var isActive: Bool { channel.isActive }
    /// False while NIO holds more unsent output than its high watermark
    /// (64 kB): the client is not reading.
    var isWritable: Bool { channel.isWritable }

    func close() { channel.close(promise: nil) }
    var closeFuture: EventLoopFuture<Void> { channel.closeFuture }

    /// `close`: once written (the usual case); a refusal leaves it to the handler.
    func send(_ status: Int, contentType: String = "application/json", _ body: [UInt8], close: Bool = true,
              headers extra: [(String, String)] = []) {
        var h = HTTPHeaders()
        for (name, value) in extra { h.add(name: name, value: value) }
        h.add(name: "Content-Type", value: contentType)
        h.add(name: "Content-Length", value: "\(body.count)")
        h.add(name: "Connection", value: "close")
        let head = HTTPResponseHead(version: .http1_1, status: .init(statusCode: status), headers: h)
        channel.write(HTTPServerResponsePart.head(head), promise: nil)
        channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
        channel.writeAndFlush(HTTPServerResponsePart.end(nil)).whenComplete { [channel] _ in
            if close { channel.close(promise: nil) }
        }
    }

    func json<T: Encodable>(_ status: Int, _ value: T, close: Bool = true, headers: [(String, String)] = []) {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        send(status, Array((try? enc.encode(value)) ?? Data("{}".utf8)) + [0x0a], close: close, headers: headers)
    }

    /// Starts a chunked response (followed logs, events).
    func begin(_ status: Int = 200, contentType: String, headers: [(String, String)] = []) {
        var h = HTTPHeaders()
        h.add(name: "Content-Type", value: contentType)
        for (name, value) in headers { h.add(name: name, value: value) }
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

/// What one connection may cost the daemon. Every connection is one
/// request (`Connection: close`), so these bound the request, not a session.
struct ConnectionLimits: Sendable {
    /// A request body larger than this is answered 413 and never handled.
    var maxBody = 1 << 20
    /// The whole request (head and body) must have arrived within this many
    /// seconds of the connection: a client that sends nothing, or a byte now
    /// and then (slowloris), is closed instead of holding a descriptor and
    /// its buffers for ever. A request being answered has no limit (waits
    /// and followed logs last as long as the container).
    var requestSeconds: Int64 = 30
}

final class HTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// `reading` until the request has been handed to a worker (`handled`)
    /// or refused (`refused`): after either, any further input (a second,
    /// pipelined request; the rest of an oversized body) is dropped.
    private enum Phase { case reading, handled, refused }

    private let router: Router
    private let peer: PeerCredentials
    private let limits: ConnectionLimits
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var phase = Phase.reading
    private var deadline: Scheduled<Void>?

    init(router: Router, peer: PeerCredentials, limits: ConnectionLimits) {
        self.router = router
        self.peer = peer
        self.limits = limits
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: .seconds(limits.requestSeconds)) {
            channel.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
    }

    /// 413 with a JSON error, and nothing else happens for this request. The
    /// connection stays open until the client has finished sending (or the
    /// request deadline passes), so that the client reads the answer instead
    /// of failing its write.
    private func refuse(context: ChannelHandlerContext, _ status: Int, _ message: String) {
        phase = .refused
        head = nil
        body = []
        ResponseWriter(channel: context.channel).json(status, ErrorBody(error: message), close: false)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        guard phase == .reading else {
            if case .end = part, phase == .refused { context.close(promise: nil) }
            return
        }
        switch part {
        case .head(let h):
            if let declared = h.headers.first(name: "content-length").flatMap({ Int($0) }), declared > limits.maxBody {
                refuse(context: context, 413, "request body: \(declared) bytes is over the limit of \(limits.maxBody) bytes")
                return
            }
            head = h
            body.removeAll()
        case .body(let b):
            guard body.count + b.readableBytes <= limits.maxBody else {
                refuse(context: context, 413, "request body: over the limit of \(limits.maxBody) bytes")
                return
            }
            body += b.readableBytesView
        case .end:
            guard let head else { return }
            phase = .handled
            deadline?.cancel()
            let uri = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
            var query: [String: String] = [:]
            if uri.count > 1 {
                for item in uri[1].split(separator: "&") {
                    let kv = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    query[percentDecoded(kv[0], plusIsSpace: true)] = kv.count > 1 ? percentDecoded(kv[1], plusIsSpace: true) : ""
                }
            }
            let path = (uri.first ?? "").split(separator: "/").map { percentDecoded($0) }
            let req = Request(method: head.method, path: path, query: query, body: body, peer: peer,
                              upgrade: StreamUpgrade.asked(head.headers))
            let writer = ResponseWriter(channel: context.channel)
            let router = self.router
            self.head = nil
            body = []
            // A thread per request: waits and followed logs block for the
            // life of a container, and the global queue's few threads would
            // make fifty concurrent runs take turns.
            // Never on the event loop when no thread can be had: a wait
            // would stop every other connection. The client is told instead.
            if !RequestThreads.detach({ router.handle(req, writer) }) {
                writer.json(503, ErrorBody(error: "nestd could not start a thread for the request; try again later"))
            }
        }
    }
}

enum Server {
    /// Binds (or adopts, with socket activation) the unix socket and serves
    /// until the channel closes. The path must have been claimed.
    static func bind(group: EventLoopGroup, socketPath: String, activatedFD: Int32?, router: Router,
                     access: AccessPolicy, limits: ConnectionLimits, gate: ConnectionGate, logger: Logger) throws -> Channel {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 512)
            .childChannelInitializer { channel in
                guard gate.admit(channel) else {
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(RefuseHandler())
                    }
                }
                let provider = channel as! SocketOptionProvider
                let cred: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(
                    level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
                return cred.flatMapThrowing { peer in
                    let ops = channel.pipeline.syncOperations
                    try StreamUpgrade.configureHTTP(ops)
                    if access.allows(uid: peer.uid) {
                        try ops.addHandler(HTTPHandler(router: router, peer: peer, limits: limits), name: StreamUpgrade.handlerName)
                    } else {
                        logger.warning("refused connection", metadata: ["uid": "\(peer.uid)", "pid": "\(peer.pid)"])
                        try ops.addHandler(HTTPHandler(router: Router.forbidden, peer: peer, limits: limits), name: StreamUpgrade.handlerName)
                    }
                }
            }
        if let fd = activatedFD {
            return try bootstrap.withBoundSocket(fd).wait()
        }
        // SocketPath.claim(socketPath) made room for it
        let ch = try bootstrap.bind(unixDomainSocketPath: socketPath).wait()
        chmod(socketPath, 0o660)
        if let gid = access.groupID { chown(socketPath, 0, gid) }
        return ch
    }
}
