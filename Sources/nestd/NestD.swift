import ArgumentParser
import CNestShims
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import Logging
import NIOCore
import NIOPosix

@main
struct NestD: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nestd",
        abstract: "The Nest daemon: owns the host's containers and serves the REST API on a unix socket.")

    @Option(help: "Unix socket to serve the API on (ignored under socket activation).")
    var socket = "/run/nest/nestd.sock"
    @Option(help: "Runtime state directory.")
    var root = "/run/nest"
    @Option(help: "Data directory: container records and logs.")
    var data = "/var/lib/nest"
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"
    @Option(name: .customLong("request-timeout"), help: "Seconds a client has to send its whole request (1-3600).")
    var requestTimeout: Int = 30

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level: unknown level \(logLevel)")
        }
        guard (1...3600).contains(requestTimeout) else {
            throw ValidationError("--request-timeout: must be 1-3600 seconds, got \(requestTimeout)")
        }
    }

    func run() throws {
        let level = Logger.Level(rawValue: logLevel)!
        LoggingSystem.bootstrap { label in
            var h = KeyValueLogHandler(label: label)
            h.logLevel = level
            return h
        }
        let logger = Logger(label: "nestd")
        // Requests run on short-lived threads; glibc would give many of them
        // an arena of their own and keep it, tens of MiB after a burst.
        _ = nest_limit_malloc_arenas(2)
        signal(SIGPIPE, SIG_IGN)
        let descriptors = ConnectionGate.raiseDescriptorLimit()
        // SIGTERM and SIGINT are caught from the start: an early stop request
        // (even one right after READY=1) waits in the pipe until the listener
        // exists, instead of killing the daemon or being lost.
        StopSignal.install()
        try FileManager.default.createDirectory(atPath: parentDirectory(socket),
                                                withIntermediateDirectories: true)
        // Before anything else is touched: a second daemon on a live
        // socket would also recover (and so meddle with) the first one's
        // containers.
        let activated = SystemD.activatedSocket()
        if activated == nil { try SocketPath.claim(socket) }
        let daemon = Daemon(root: root, data: data, logger: logger)
        daemon.recover()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let channel = try Server.bind(group: group, socketPath: socket, activatedFD: activated,
                                      router: Router(daemon: daemon), access: AccessPolicy(),
                                      limits: ConnectionLimits(requestSeconds: Int64(requestTimeout)),
                                      gate: ConnectionGate(), logger: logger)
        logger.info("listening", metadata: ["socket": "\(activated.map { "fd \($0)" } ?? socket)",
                                            "root": "\(root)", "data": "\(data)",
                                            "descriptors": "\(descriptors)", "connections": "\(ConnectionGate.cap())"])

        // SIGTERM and SIGINT close the listener; containers keep running under
        // their monitors and a new nestd finds them again.
        detachThread(stackSize: 256 * 1024) {
            let sig = StopSignal.wait()
            logger.info("shutting down; containers keep running", metadata: ["signal": "\(sig)"])
            SystemD.notify("STOPPING=1")
            channel.close(promise: nil)
        }
        let made = activated == nil ? SocketPath.identity(socket) : nil
        SystemD.notify("READY=1")
        try channel.closeFuture.wait()
        if let made, let now = SocketPath.identity(socket), now == made { unlink(socket) }
        try? group.syncShutdownGracefully()
    }
}

/// SIGTERM and SIGINT through a pipe: the handler only writes the signal
/// number (async-signal-safe); a thread reads it. The signal mask stays as it
/// is, so processes nestd spawns inherit no blocked signals.
enum StopSignal {
    static let fds: (read: Int32, write: Int32) = {
        var fds: [Int32] = [-1, -1]
        _ = Glibc.pipe(&fds)
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }()

    static func install() {
        _ = fds
        for sig in [SIGTERM, SIGINT] {
            signal(sig) { n in
                var b = UInt8(truncatingIfNeeded: n)
                _ = write(StopSignal.fds.write, &b, 1)
            }
        }
    }

    /// Blocks until a stop signal came; its number.
    static func wait() -> Int32 {
        var b: UInt8 = 0
        while true {
            let n = read(fds.read, &b, 1)
            if n == 1 { return Int32(b) }
            if n < 0 && errno == EINTR { continue }
            return SIGTERM
        }
    }
}

/// `time level label: message key=value ...` lines on stderr, which journald keeps.
struct KeyValueLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?,
             source: String, file: String, function: String, line: UInt) {
        var all = metadata
        if let extra { all.merge(extra) { $1 } }
        let kv = all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let line = "level=\(level) msg=\"\(message)\"" + (kv.isEmpty ? "" : " " + kv) + "\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
    }
}
