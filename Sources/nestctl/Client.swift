import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import NestAPI
import NestClient
import NestCtlFormat

struct ClientOptions: ParsableArguments {
    @Option(help: "The daemon's socket (default: $NEST_SOCKET, else /run/nest/nestd.sock).")
    var socket: String?

    var client: APIClient { Self.client(socket) }

    static func client(_ socket: String?) -> APIClient {
        APIClient(http: UnixHTTPClient(socketPath: socket ?? ProcessInfo.processInfo.environment["NEST_SOCKET"] ?? "/run/nest/nestd.sock"))
    }
}

/// The REST API as typed calls; an error answer becomes the daemon's message
/// on stderr and exit status 1.
struct APIClient {
    let http: UnixHTTPClient

    func call(_ method: String, _ path: String, body: [UInt8]? = nil, flags: [String: String] = [:]) throws -> UnixHTTPClient.Response {
        let response: UnixHTTPClient.Response
        do {
            response = try http.request(method, "/v1" + path, body: body)
        } catch {
            printError("\(error)")
            throw ExitCode.failure
        }
        if response.status >= 400 { try fail(response, flags: flags) }
        return response
    }

    /// The daemon's error answer on stderr; exit status 1. `flags`: the
    /// command's options by the API field they set, named instead.
    func fail(_ response: UnixHTTPClient.Response, flags: [String: String] = [:]) throws -> Never {
        if let e = try? JSONDecoder().decode(ErrorBody.self, from: Data(response.body)) {
            for line in ErrorText.lines(e, status: response.status, flags: flags) { printError(line) }
        } else {
            printError("HTTP \(response.status): \(response.text)")
        }
        throw ExitCode.failure
    }

    /// METHOD /containers/C + SUFFIX for each container, printing each one
    /// done, as docker's start, stop, kill and rm do.
    func each(_ containers: [String], _ method: String, _ suffix: String, under kind: String = "containers") throws {
        for c in containers {
            _ = try call(method, "/\(kind)/\(pathID(c))" + suffix)
            print(c)
        }
    }

    func get<T: Decodable>(_ path: String, as: T.Type = T.self) throws -> T {
        try decode(try call("GET", path))
    }

    func post<T: Decodable>(_ path: String, _ body: (some Encodable)? = Optional<Int>.none, as: T.Type = T.self,
                            flags: [String: String] = [:]) throws -> T {
        let bytes = try body.map { Array(try JSONEncoder().encode($0)) }
        return try decode(try call("POST", path, body: bytes, flags: flags))
    }

    func decode<T: Decodable>(_ response: UnixHTTPClient.Response) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(response.body))
        } catch {
            printError("unexpected answer from nestd: \(response.text.prefix(200))")
            throw ExitCode.failure
        }
    }

    /// Starts the container with its output attached, writing stdout and
    /// stderr records to the matching stream; the exit code from the exit
    /// record that ends the stream.
    func startAttached(_ id: String, rm: Bool) throws -> Int32 {
        try attachedStream("/v1/containers/\(pathID(id))/start?attach=true", body: nil, id: id, rm: rm)
    }

    /// POST /v1/containers?attach=true: created, started and its output
    /// followed in one request. A create error is nestd's 4xx, as for a
    /// plain create; a start error too (nestd removed what it made).
    func createAttached(_ request: CreateRequest) throws -> Int32 {
        try attachedStream("/v1/containers?attach=true", body: request.json, id: nil, rm: request.autoRemove == true)
    }

    private func attachedStream(_ path: String, body: [UInt8]?, id given: String?, rm: Bool) throws -> Int32 {
        var head = UnixHTTPClient.Response(status: 0, headers: [:], body: [])
        var pending: [UInt8] = []
        var exit: WaitResponse?
        do {
            try http.stream("POST", path, body: body, onHead: { head.status = $0; head.headers = $1 }, onData: { chunk in
                if head.status >= 400 || head.headers["content-type"] == "application/json" {
                    head.body += chunk
                    return true
                }
                pending += chunk
                while let nl = pending.firstIndex(of: 0x0a) {
                    let record = pending[..<nl]
                    if let e = exitRecord(record) { exit = e } else { writeRecord(record) }
                    pending.removeSubrange(...nl)
                }
                return true
            })
        } catch {
            printError("\(error)")
            throw ExitCode.failure
        }
        if head.status >= 400 {
            // not started: remove it, as a create with start does
            if let given { _ = try? http.request("DELETE", "/v1/containers/\(pathID(given))?force=true") }
            try fail(head, flags: given == nil ? createFlags : [:])
        }
        let id = given ?? head.headers["nest-container-id"] ?? "?"
        if head.headers["content-type"] == "application/json" {
            // a nestd before attached creates: created only; start attached
            if given == nil {
                guard let created = CreateResponse(json: head.body) else { throw ExitCode.failure }
                return try startAttached(created.id, rm: rm)
            }
            // a nestd before attached starts: started; follow, then wait
            try attach(id)
            let result: WaitResponse = try post("/containers/\(pathID(id))/wait" + (rm ? "?remove=true" : ""))
            return result.exitCode
        }
        guard let exit else {
            printError("container \(id) was removed before it exited")
            throw ExitCode.failure
        }
        return exit.exitCode
    }

    /// Follows the container's log records until it exits, writing stdout
    /// and stderr records to the matching stream.
    func attach(_ id: String) throws {
        var pending: [UInt8] = []
        do {
            try http.stream("GET", "/v1/containers/\(pathID(id))/logs?follow=true&format=records", onHead: { _, _ in }, onData: { chunk in
                pending += chunk
                while let nl = pending.firstIndex(of: 0x0a) {
                    writeRecord(pending[..<nl])
                    pending.removeSubrange(...nl)
                }
                return true
            })
        } catch {
            printError("\(error)")
            throw ExitCode.failure
        }
    }
}

/// `TIME exit {"exitCode":N,"oomKilled":B}`: the last record of an attached start.
func exitRecord(_ record: ArraySlice<UInt8>) -> WaitResponse? {
    let parts = record.split(separator: 0x20, maxSplits: 2, omittingEmptySubsequences: false)
    guard parts.count == 3, parts[1].elementsEqual("exit".utf8) else { return nil }
    return WaitResponse(json: Substring(String(decoding: parts[2], as: UTF8.self)))
}

/// `TIME STREAM [P ]DATA` → DATA on stdout or stderr (with its newline
/// unless the record is a partial line).
func writeRecord(_ record: ArraySlice<UInt8>) {
    let parts = record.split(separator: 0x20, maxSplits: 2, omittingEmptySubsequences: false)
    guard parts.count >= 2 else { return }
    let fd: Int32 = parts[1].elementsEqual("stderr".utf8) ? 2 : 1
    var data = parts.count > 2 ? Array(parts[2]) : []
    var partial = false
    if data.starts(with: [0x50, 0x20]) || data == [0x50] {
        partial = true
        data.removeFirst(min(2, data.count))
    }
    if !partial { data.append(0x0a) }
    data.withUnsafeBytes { raw in
        var off = 0
        while off < raw.count {
            let n = write(fd, raw.baseAddress! + off, raw.count - off)
            if n <= 0 { return }
            off += n
        }
    }
}

func absolutePath(_ path: String) -> String {
    let joined = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    // As bytes: on the path of every nestctl run, and splitting a String
    // by Characters costs a first use of the grapheme tables.
    let dot = UInt8(ascii: "."), slash = UInt8(ascii: "/")
    var parts: [ArraySlice<UInt8>] = []
    for part in Array(joined.utf8).split(separator: slash) {
        if part.elementsEqual([dot]) { continue }
        if part.elementsEqual([dot, dot]) { _ = parts.popLast(); continue }
        parts.append(part)
    }
    var out: [UInt8] = []
    for part in parts { out.append(slash); out += part }
    return out.isEmpty ? "/" : String(decoding: out, as: UTF8.self)
}
