import ArgumentParser
import Glibc
import NestAPI
import NestClient

/// `nestctl run -i` / `-t` in the foreground: create, attach (an upgraded
/// connection, docs/api/streams.md), start; then nestctl's stdin goes to the
/// container and its output comes back until the exit frame, whose code
/// nestctl exits with.
func runStreamed(_ api: APIClient, _ request: CreateRequest, rm: Bool, interactive: Bool, tty: Bool) throws -> Int32 {
    var request = request
    request.autoRemove = rm ? true : nil
    request.start = nil
    request.openStdin = interactive ? true : nil
    request.tty = tty ? true : nil
    request.consoleSize = tty ? Terminal.current : nil
    let created = try CreateResponse(json: try api.call("POST", "/containers", body: request.json, flags: createFlags).body)
        ?? { throw ExitCode.failure }()
    let stream: FrameStream
    do {
        switch try api.http.openStream("POST", "/v1/containers/\(pathID(created.id))/attach") {
        case .upgraded(let s): stream = s
        case .refused(let response):
            _ = try? api.http.request("DELETE", "/v1/containers/\(pathID(created.id))?force=true")
            try api.fail(response)
        }
        // attached first: what the container writes at once is not missed
        let started = try api.http.request("POST", "/v1/containers/\(pathID(created.id))/start")
        if started.status >= 400 {
            _ = try? api.http.request("DELETE", "/v1/containers/\(pathID(created.id))?force=true")
            try api.fail(started)
        }
    } catch let code as ExitCode {
        throw code
    } catch {
        printError("\(error)")
        throw ExitCode.failure
    }
    guard let code = try follow(stream, interactive: interactive, tty: tty) else {
        printError("container \(created.id) was removed before it exited")
        throw ExitCode.failure
    }
    return code
}

/// Runs an attached stream: nestctl's stdin to it (`interactive`), its
/// output to nestctl's, the terminal raw and resizes sent (`tty`), until
/// the exit frame; its code, or nil when the stream ended without one.
func follow(_ stream: FrameStream, interactive: Bool, tty: Bool) throws -> Int32? {
    if tty {
        Terminal.makeRaw()
        Terminal.watchResize()
    }
    defer { Terminal.restore() }
    if interactive || tty {
        let started = detachThread { forwardInput(stream, stdin: interactive, resize: tty) }
        if !started { printError("no thread for the input") }
    }
    do {
        while let frame = try stream.next() {
            switch frame.type {
            case StreamFrame.stdout: writeAll(1, frame.payload)
            case StreamFrame.stderr: writeAll(2, frame.payload)
            case StreamFrame.exit:
                return Int32(String(decoding: frame.payload, as: UTF8.self)) ?? -1
            default: break
            }
        }
    } catch {
        Terminal.restore()
        printError("\(error)")
        throw ExitCode.failure
    }
    return nil
}

/// stdin to stdin frames (an empty one at EOF), SIGWINCH to resize frames.
private func forwardInput(_ stream: FrameStream, stdin: Bool, resize: Bool) {
    var readStdin = stdin
    var buf = [UInt8](repeating: 0, count: 32768)
    while readStdin || resize {
        var fds = [pollfd(fd: readStdin ? 0 : -1, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: resize ? Terminal.winch.read : -1, events: Int16(POLLIN), revents: 0)]
        if poll(&fds, 2, -1) < 0 {
            if errno == EINTR { continue }
            return
        }
        if fds[1].revents != 0 {
            _ = buf.withUnsafeMutableBytes { read(Terminal.winch.read, $0.baseAddress, $0.count) }
            if let size = Terminal.current {
                try? stream.send(StreamFrame.resize, Array("\(size.height) \(size.width)".utf8))
            }
        }
        if fds[0].revents != 0 {
            let n = buf.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if n < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            do {
                if n <= 0 {
                    try stream.send(StreamFrame.stdin, [UInt8]())
                    readStdin = false
                } else {
                    try stream.send(StreamFrame.stdin, buf[0..<n])
                }
            } catch {
                return
            }
        }
    }
}

func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    bytes.withUnsafeBytes { raw in
        var off = 0
        while off < raw.count {
            let n = write(fd, raw.baseAddress! + off, raw.count - off)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            off += n
        }
    }
}

/// A thread for work that blocks (nestctl's input), not joined: nestctl
/// exits when the container's stream ends.
@discardableResult
func detachThread(_ body: @escaping @Sendable () -> Void) -> Bool {
    final class Box: @unchecked Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(&thread, nil, { raw in
        Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body()
        return nil
    }, box)
    if rc != 0 {
        Unmanaged<Box>.fromOpaque(box).release()
        return false
    }
    pthread_detach(thread)
    return true
}
