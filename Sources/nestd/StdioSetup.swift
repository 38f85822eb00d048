import CNestShims
import Glibc
import NestAPI
import NestOCI
import NestRuntime
import NestSubsystem

/// A create's stdio beyond the log: `openStdin` (a pipe whose write end the
/// daemon keeps) and a terminal (the request's `tty`, else the config's
/// `process.terminal`: a pty whose master comes to the daemon's own console
/// socket). Set up before the runtime's create, finished after it.
struct StdioSetup {
    private var stdinPipe: (read: Int32, write: Int32)?
    private var console: ConsoleSocket?
    private let openStdin: Bool

    init(_ req: CreateRequest, _ sub: inout Subsystem, _ opts: inout CreateOptions, consoleDir: String, id: String) throws(APIError) {
        openStdin = req.openStdin == true
        guard let index = sub.starts.firstIndex(where: { $0.binary == Binary.initProcess }),
              var process = sub.starts[index].container?.process else {
            if req.openStdin == true || req.tty == true {
                throw APIError(400, "the subsystem has no process to attach to", field: req.tty == true ? "tty" : "openStdin")
            }
            return
        }
        if let tty = req.tty { process.terminal = tty }
        let terminal = process.terminal == true
        if !terminal { process.consoleSize = nil }
        if terminal, let size = req.consoleSize {
            process.consoleSize = Spec.Process.ConsoleSize(height: UInt64(size.height), width: UInt64(size.width))
        }
        sub.starts[index].container?.process = process
        if terminal {
            guard let socket = ConsoleSocket(dir: consoleDir, id: id) else {
                throw APIError(500, "console socket in \(consoleDir): \(String(cString: strerror(errno)))")
            }
            console = socket
            opts.consoleSocket = socket.path
        } else if openStdin {
            var fds: [Int32] = [-1, -1]
            guard nest_pipe2(&fds, O_CLOEXEC) == 0 else {
                throw APIError(500, "stdin pipe: \(String(cString: strerror(errno)))")
            }
            stdinPipe = (fds[0], fds[1])
            opts.stdin = fds[0]
        }
    }

    /// The create failed: nothing is kept.
    mutating func abandon() {
        if let p = stdinPipe { close(p.read); close(p.write) }
        stdinPipe = nil
        console = nil
    }

    /// After the create: the monitor has the pipe's read end (ours is
    /// closed) and the init has sent the master. Nil when there is nothing
    /// to hold.
    mutating func finish(id: String) throws(APIError) -> ContainerIO? {
        defer { console = nil }
        if let p = stdinPipe {
            close(p.read)
            stdinPipe = nil
            return ContainerIO(id: id, stdin: p.write, master: nil, openStdin: true)
        }
        guard let console else { return nil }
        guard let master = console.receive() else {
            throw APIError(500, "the container's terminal did not arrive on the console socket", field: "tty")
        }
        return ContainerIO(id: id, stdin: nil, master: master, openStdin: openStdin)
    }
}
