import CNestShims
import Glibc
import NIOCore
import Synchronization

/// Keeps the daemon's descriptors for its own work. Every connection costs a
/// descriptor (an attached run up to five: the socket, the log, an inotify
/// descriptor and a pipe), and a daemon out of descriptors can read no
/// container's state, spawn no monitor and answer nothing. So connections
/// beyond a cap derived from the descriptor limit are answered 503 and
/// closed at once, and the rest of the limit stays for the daemon.
final class ConnectionGate: Sendable {
    /// Never more connections than this, whatever the limit: each holds
    /// buffers and a pipeline (about 10 kB), and a thread while it is answered.
    static let maxConnections = 4096
    /// Descriptors no connection may use: state and log reads, monitors,
    /// inotify, the zygote's pipes, hooks.
    static let reservedDescriptors = 256
    /// What one connection may take at most (see above).
    static let descriptorsPerConnection = 4

    private let open = Atomic<Int>(0)
    /// The most connections open at once since the heap was last trimmed.
    private let peak = Atomic<Int>(0)

    /// The cap for the soft descriptor limit now in force (read each time:
    /// an administrator may change it with prlimit while the daemon runs).
    static func cap() -> Int {
        var lim = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &lim) == 0 else { return maxConnections }
        let soft = Int(clamping: lim.rlim_cur)   // RLIM_INFINITY is the largest value
        return max(1, min(maxConnections, (soft - reservedDescriptors) / descriptorsPerConnection))
    }

    var count: Int { open.load(ordering: .relaxed) }

    /// Counts the channel in until it closes; false (and not counted) when
    /// the daemon is at its cap.
    func admit(_ channel: Channel) -> Bool {
        let n = open.add(1, ordering: .relaxed).newValue
        if n > Self.cap() {
            open.subtract(1, ordering: .relaxed)
            return false
        }
        _ = peak.max(n, ordering: .relaxed)
        channel.closeFuture.whenComplete { [self] _ in
            // After a burst of connections (a flood, a slowloris) has gone,
            // glibc keeps their buffers' pages; give them back.
            if open.subtract(1, ordering: .relaxed).newValue <= 16, peak.exchange(0, ordering: .relaxed) > 256 {
                detachThread(stackSize: 64 * 1024, inlineOnFailure: false) { _ = nest_trim_heap() }
            }
        }
        return true
    }

    /// The soft descriptor limit raised to the hard one: the default soft
    /// limit (often 1024) is too small for a daemon of many containers, and
    /// the gate above is what keeps connections from using it all.
    static func raiseDescriptorLimit() -> rlim_t {
        var lim = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &lim) == 0 else { return 0 }
        if lim.rlim_cur < lim.rlim_max {
            var raised = lim
            raised.rlim_cur = lim.rlim_max
            if setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &raised) == 0 { return raised.rlim_cur }
        }
        return lim.rlim_cur
    }
}

/// Answers a connection over the cap: 503 and close, without parsing it.
final class RefuseHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelActive(context: ChannelHandlerContext) {
        let body = "{\"error\":\"nestd is at its connection limit (\(ConnectionGate.cap())); try again later\"}\n"
        let text = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Retry-After: 1\r\nConnection: close\r\n\r\n" + body
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: text))).whenComplete { _ in channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
