#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CNestShims
import Glibc
import NestAPI
import NestOCI
import NestRuntime

extension Router {
    /// POST /v1/containers/{id}/exec (upgraded): a process started in the
    /// container with Runtime.exec, streamed until it exits. The process is
    /// the daemon's child; this request's worker thread reaps it, never an
    /// event loop.
    func exec(_ d: Daemon, _ id: String, _ req: Request, _ w: ResponseWriter) throws(APIError) {
        guard req.upgrade else { throw Self.needsUpgrade("exec") }
        let body: ExecBody
        do { body = try JSONDecoder().decode(ExecBody.self, from: Data(req.body)) } catch {
            throw APIError(400, "request body: \(Self.describe(error))", field: Self.field(error))
        }
        let r = try d.record(id)
        let process: Spec.Process
        do {
            process = try ExecSetup.process(body, base: d.runtime.process(id: r.id)) { spec throws(RuntimeError) in
                try d.runtime.user(spec, id: r.id, field: "user")
            }
        } catch let e as APIError { throw e } catch {
            throw APIError(error)
        }
        let session = try ExecSetup.start(d, r.id, process, stdin: body.stdin == true)
        let pump = InputPump(session)
        guard let stream = w.upgrade(pump) else {
            // the client has gone: the process runs on, unread, and is reaped
            session.clientGone()
            _ = session.pumpOutput(to: nil)
            return
        }
        pump.onResume { resumeReading(stream.channel) }
        stream.exit(session.pumpOutput(to: stream))
    }
}

/// The process of an exec request and what it is started with.
enum ExecSetup {
    /// The container's process with what the request changes; `user`
    /// resolves the request's user in the container's files.
    static func process(_ body: ExecBody, base: Spec.Process,
                        user: (String) throws(RuntimeError) -> ContainerUsers.Resolved) throws -> Spec.Process {
        guard !body.args.isEmpty else { throw APIError(400, "args must name a program", field: "args") }
        var p = base
        p.args = body.args
        p.commandLine = nil
        if let cwd = body.cwd {
            guard cwd.hasPrefix("/") else { throw APIError(400, "cwd must be an absolute path, got \"\(cwd.prefix(256))\"", field: "cwd") }
            p.cwd = cwd
        }
        var env = p.env ?? []
        for e in body.env ?? [] {
            guard let eq = e.firstIndex(of: "="), eq != e.startIndex else {
                throw APIError(400, "env must be KEY=VALUE, got \"\(e.prefix(256))\"", field: "env")
            }
            let key = e[...eq]
            env.removeAll { $0.hasPrefix(key) }
            env.append(e)
        }
        p.env = env
        if let spec = body.user {
            try user(spec).apply(to: &p, keepHome: (body.env ?? []).contains { $0.hasPrefix("HOME=") })
        }
        p.terminal = body.tty == true
        p.consoleSize = body.tty == true ? body.consoleSize.map { .init(height: UInt64($0.height), width: UInt64($0.width)) } : nil
        return p
    }

    /// Starts the process: pipes (or a pty, with a terminal) for its stdio,
    /// the daemon's ends in the returned session.
    static func start(_ d: Daemon, _ id: String, _ process: Spec.Process, stdin: Bool) throws(APIError) -> ExecSession {
        let null = open("/dev/null", O_RDWR | O_CLOEXEC)
        guard null >= 0 else { throw APIError(500, "/dev/null: \(String(cString: strerror(errno)))") }
        defer { close(null) }
        var theirs: [Int32] = []
        defer { theirs.forEach { close($0) } }
        func pipe() throws(APIError) -> (read: Int32, write: Int32) {
            var fds: [Int32] = [-1, -1]
            guard nest_pipe2(&fds, O_CLOEXEC) == 0 else { throw APIError(500, "exec pipe: \(String(cString: strerror(errno)))") }
            return (fds[0], fds[1])
        }
        var request = ExecRequest(process: process, stdio: (null, null, null))
        var console: ConsoleSocket?
        var ours: (input: Int32, out: Int32, err: Int32) = (-1, -1, -1)
        do throws(APIError) {
            if process.terminal == true {
                guard let socket = ConsoleSocket(dir: d.root + "/.nestd/console", id: "exec-\(getpid())-\(UInt32.random(in: 0...UInt32.max))") else {
                    throw APIError(500, "console socket: \(String(cString: strerror(errno)))")
                }
                console = socket
                request.consoleSocket = socket.path
            } else {
                let out = try pipe(), err = try pipe()
                ours.out = out.read; ours.err = err.read
                theirs += [out.write, err.write]
                var input = null
                if stdin {
                    let p = try pipe()
                    ours.input = p.write
                    theirs.append(p.read)
                    input = p.read
                }
                request.stdio = (input, out.write, err.write)
            }
        } catch {
            for fd in [ours.input, ours.out, ours.err] where fd >= 0 { close(fd) }
            throw error
        }
        let pid: Int32
        do {
            pid = try d.runtime.exec(id: id, request)
        } catch {
            for fd in [ours.input, ours.out, ours.err] where fd >= 0 { close(fd) }
            throw APIError(error)
        }
        if let console {
            guard let master = console.receive() else {
                kill(pid, SIGKILL)
                var st: Int32 = 0
                while waitpid(pid, &st, 0) < 0 && errno == EINTR {}
                throw APIError(500, "the process's terminal did not arrive on the console socket", field: "tty")
            }
            return ExecSession(pid: pid, input: stdin ? fcntl(master, F_DUPFD_CLOEXEC, 3) : -1, output: [master], master: master)
        }
        return ExecSession(pid: pid, input: ours.input, output: [ours.out, ours.err], master: -1)
    }
}
