import NIOCore
import NIOHTTP1
import NestAPI

/// HTTP/1.1 upgrade to a stream of frames (`Upgrade: nest-stream`,
/// StreamFrame): the router checks the request and prepares what the stream
/// needs (a process, a container's stdin) while the connection still speaks
/// HTTP, so that a refusal is an ordinary JSON error; then the HTTP handlers
/// leave the pipeline, the 101 goes out and frames follow.
enum StreamUpgrade {
    static let handlerName = "nest-http"
    /// The HTTP handlers, by name, in the order they leave the pipeline; the
    /// request decoder last, so that bytes a client sent after its request
    /// reach the frame reader.
    static let httpHandlers = [handlerName, "http-errors", "http-pipelining", "http-encoder", "http-decoder"]

    /// What configureHTTPServerPipeline(withErrorHandling: true) sets up,
    /// with names, and a decoder that hands on what follows an upgrade
    /// request instead of dropping it.
    static func configureHTTP(_ ops: ChannelPipeline.SynchronousOperations) throws {
        try ops.addHandler(HTTPResponseEncoder(), name: "http-encoder")
        try ops.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes)), name: "http-decoder")
        try ops.addHandler(HTTPServerPipelineHandler(), name: "http-pipelining")
        try ops.addHandler(HTTPServerProtocolErrorHandler(), name: "http-errors")
    }

    static func asked(_ headers: HTTPHeaders) -> Bool {
        let connection = headers[canonicalForm: "connection"].contains { $0.lowercased() == "upgrade" }
        let upgrade = headers["upgrade"].contains { $0.lowercased() == StreamFrame.protocolName }
        return connection && upgrade
    }
}

/// What a client sends on a stream, as the frame reader delivers it on the
/// event loop: nothing here may block.
protocol StreamInput: AnyObject, Sendable {
    /// Stdin data; false asks the reader to stop reading until `resume`.
    func stdin(_ bytes: [UInt8]) -> Bool
    func stdinClosed()
    func resize(rows: UInt16, cols: UInt16)
    /// The connection is gone (or broke the protocol); no more input.
    func disconnected()
}

/// The server's side of a stream: frames to the client, from any thread.
struct StreamWriter: Sendable, ChunkSink {
    let channel: Channel

    var isActive: Bool { channel.isActive }
    var isWritable: Bool { channel.isWritable }

    func frame(_ type: UInt8, _ payload: some Collection<UInt8>) {
        channel.writeAndFlush(ByteBuffer(bytes: StreamFrame.encode(type, payload)), promise: nil)
    }

    /// The last frame; the connection is closed once it is written.
    func exit(_ code: Int32) {
        channel.writeAndFlush(ByteBuffer(bytes: StreamFrame.encode(StreamFrame.exit, Array(String(code).utf8))))
            .whenComplete { [channel] _ in channel.close(promise: nil) }
    }

    func close() { channel.close(promise: nil) }

    /// Log records (`TIME STREAM [P ]DATA` lines, LogQuery.raw) as output
    /// frames: what LogTail streams to an attached client.
    func chunk(_ bytes: [UInt8]) {
        for line in bytes.split(separator: 0x0a, omittingEmptySubsequences: false) where !line.isEmpty {
            let parts = line.split(separator: 0x20, maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count >= 2 else { continue }
            var data = parts.count > 2 ? Array(parts[2]) : []
            var partial = false
            if data.starts(with: [0x50, 0x20]) || data == [0x50] {
                partial = true
                data.removeFirst(min(2, data.count))
            }
            if !partial { data.append(0x0a) }
            frame(parts[1].elementsEqual("stderr".utf8) ? StreamFrame.stderr : StreamFrame.stdout, data)
        }
    }
}

extension ResponseWriter {
    /// Switches the connection to frames: answers 101 and from then on
    /// hands what the client sends to `input`. Call it from a worker thread
    /// once the request has been checked. Nil when the client has gone.
    func upgrade(_ input: StreamInput) -> StreamWriter? {
        let channel = self.channel
        let done = channel.eventLoop.submit { () throws -> Bool in
            guard channel.isActive else { return false }
            let ops = channel.pipeline.syncOperations
            try ops.addHandler(FrameReader(input))
            for name in StreamUpgrade.httpHandlers.dropLast() { _ = ops.removeHandler(name: name) }
            // the encoder has gone: these bytes go out as they are
            let head = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: \(StreamFrame.protocolName)\r\n\r\n"
            channel.writeAndFlush(ByteBuffer(string: head), promise: nil)
            _ = ops.removeHandler(name: StreamUpgrade.httpHandlers.last!)
            return true
        }
        guard (try? done.wait()) == true else {
            input.disconnected()
            return nil
        }
        return StreamWriter(channel: channel)
    }
}

/// Reads the client's frames and hands them to the stream's input; a frame
/// of a type a client may not send, or too long, ends the connection.
final class FrameReader: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let input: StreamInput
    private var pending: [UInt8] = []
    private var ended = false

    init(_ input: StreamInput) { self.input = input }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !ended else { return }
        let buffer = unwrapInboundIn(data)
        pending += buffer.readableBytesView
        var used = 0
        do {
            while let frame = try StreamFrame.parse(pending[used...]) {
                used += frame.size
                switch frame.type {
                case StreamFrame.stdin:
                    if frame.payload.isEmpty {
                        input.stdinClosed()
                    } else if !input.stdin(Array(frame.payload)) {
                        // the process reads slower than the client writes:
                        // the rest waits in the socket until it catches up
                        context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
                    }
                case StreamFrame.resize:
                    guard let size = StreamFrame.size(frame.payload) else { throw StreamFrame.Invalid(description: "resize: ROWS COLS") }
                    input.resize(rows: size.rows, cols: size.cols)
                default:
                    throw StreamFrame.Invalid(description: "frame type \(frame.type) is not one a client sends")
                }
            }
        } catch {
            end(context)
            return
        }
        pending.removeFirst(used)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !ended { ended = true; input.disconnected() }
        context.fireChannelInactive()
    }

    private func end(_ context: ChannelHandlerContext) {
        ended = true
        pending = []
        input.disconnected()
        context.close(promise: nil)
    }
}

/// Lets a paused frame reader read again (from any thread).
func resumeReading(_ channel: Channel) {
    channel.eventLoop.execute {
        channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
        channel.read()
    }
}
