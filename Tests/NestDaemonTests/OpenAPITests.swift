import Foundation
import NestClient
import XCTest

/// docs/api/openapi.yaml against a running nestd: every path and method in
/// it is served, with every documented parameter, and every JSON body the
/// daemon answers matches the documented schema of its status.
final class OpenAPITests: DaemonTestCase {
    static let methods = ["get", "post", "put", "delete", "patch", "head", "options"]
    /// A valid value for each documented query parameter.
    static let samples = ["state": "running", "label": "app", "force": "true", "timeout": "1", "signal": "KILL",
                          "follow": "false", "tail": "1", "since": "0", "timestamps": "true", "format": "records",
                          "remove": "false", "attach": "false", "ps_args": "-ef"]

    var doc = YAML.scalar("")
    var called: Set<String> = []

    func testEveryDocumentedOperationIsServedAsDocumented() throws {
        doc = try YAML.parse(String(contentsOfFile: TestEnv.repo + "/docs/api/openapi.yaml", encoding: .utf8))
        XCTAssertEqual(doc["openapi"]?.string, "3.0.3")
        let paths = try XCTUnwrap(doc["paths"])
        var documented: Set<String> = []
        for p in paths.keys { for m in paths[p]!.keys where Self.methods.contains(m) { documented.insert(m.uppercased() + " " + p) } }
        XCTAssertEqual(documented.count, 41, documented.sorted().joined(separator: "\n"))

        let bundle = try makeBundle("b", ["sh", "-c", "echo hello; exec sleep 1000"])
        let events = Process()
        events.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        events.arguments = ["-isN", "--max-time", "120", "--unix-socket", socketPath, "http://localhost/v1/events"]
        let evOut = Pipe()
        events.standardOutput = evOut
        try events.run()
        usleep(300_000)

        try call("GET", "/v1/version", expect: 200)
        try call("GET", "/v1/info", expect: 200)
        // Nothing listens on port 1: the pull's stream ends with its error line.
        let pull = try call("POST", "/v1/images/pull", body: #"{"ref":"127.0.0.1:1/none:x","insecure":true}"#, expect: 200)
        XCTAssertTrue(pull.text.contains(#""error":"#) && pull.text.contains("127.0.0.1:1"), pull.text)
        try call("POST", "/v1/images/pull", body: #"{"ref":"Not A Ref"}"#, expect: 400)
        // a login: a registry without auth (its /v2/ answers 200) takes any;
        // one nobody answers for is a 502; a registry that is not host[:port] a 400
        let registry = try Self.plainRegistry(tmp + "/registry")
        defer { registry.process.terminate(); registry.process.waitUntilExit() }
        try call("POST", "/v1/auth", body: #"{"registry":"127.0.0.1:\#(registry.port)","username":"u","password":"p","insecure":true}"#, expect: 200)
        try call("POST", "/v1/auth", body: #"{"registry":"127.0.0.1:1","username":"u","password":"p","insecure":true}"#, expect: 502)
        try call("POST", "/v1/auth", body: #"{"registry":"a/b","username":"u","password":"p"}"#, expect: 400)
        let created = try call("POST", "/v1/containers", body: #"{"bundle":"\#(bundle)","name":"api","labels":{"app":"x"},"mounts":[{"type":"volume","source":"used","destination":"/used"},{"type":"tmpfs","destination":"/t","options":["size=1m"]}]}"#, expect: 201)
        let id = try XCTUnwrap(try JSONDecoder().decode([String: String].self, from: Data(created.body))["id"])
        try call("GET", "/v1/containers/{id}/subsystem", id: id, expect: 200)
        // volumes: the one the container above was created with is in use until it is removed
        try call("POST", "/v1/volumes", body: #"{"name":"apivol","labels":{"a":"b"}}"#, expect: 201)
        try call("POST", "/v1/volumes", body: #"{"name":"apivol"}"#, expect: 200)
        try call("POST", "/v1/volumes", body: #"{"name":"../x"}"#, expect: 400)
        try call("GET", "/v1/volumes", expect: 200)
        try call("GET", "/v1/volumes/{name}", id: "apivol", expect: 200)
        try call("GET", "/v1/volumes/{name}", id: "nosuch", expect: 404)
        try call("DELETE", "/v1/volumes/{name}", id: "used", expect: 409)
        try call("POST", "/v1/volumes/prune", expect: 200)
        try call("DELETE", "/v1/volumes/{name}", id: "nosuch", expect: 204)
        try call("DELETE", "/v1/volumes/{name}", id: "nosuch", expect: 404, params: false)

        // networks: one the test owns; a container attached to it makes it in use
        if access("/usr/lib/cni/bridge", X_OK) == 0 {
            try call("POST", "/v1/networks", body: #"{"name":"ntapi","subnet":"10.201.40.0/24"}"#, expect: 201)
            try call("POST", "/v1/networks", body: #"{"name":"ntapi2","subnet":"10.201.40.0/25"}"#, expect: 409)
            try call("POST", "/v1/networks", body: #"{"name":"ntapi3","subnet":"10.201.41.7/24"}"#, expect: 400)
            try call("GET", "/v1/networks", expect: 200)
            try call("GET", "/v1/networks/{name}", id: "ntapi", expect: 200)
            try call("GET", "/v1/networks/{name}", id: "nosuch", expect: 404)
            let attached = try call("POST", "/v1/containers", body: #"{"bundle":"\#(bundle)","networks":["ntapi"],"ports":[{"host":18098,"container":80}]}"#, expect: 201)
            try call("DELETE", "/v1/networks/{name}", id: "ntapi", expect: 409)
            let attachedID = try XCTUnwrap(try JSONDecoder().decode([String: String].self, from: Data(attached.body))["id"])
            try call("DELETE", "/v1/containers/{id}", id: attachedID, expect: 204)
            try call("DELETE", "/v1/networks/{name}", id: "ntapi", expect: 204)
            try call("DELETE", "/v1/networks/{name}", id: "ntapi", expect: 404)
        }

        // images: one imported from an OCI layout the test writes
        try makeBusyboxLayout(tmp + "/layout", config: ["Cmd": ["true"]])
        try call("POST", "/v1/images/import", body: #"{"path":"\#(tmp)/layout","name":"apiimg"}"#, expect: 200)
        try call("POST", "/v1/images/import", body: #"{"path":"relative"}"#, expect: 400)
        try call("GET", "/v1/images", expect: 200)
        try call("GET", "/v1/images/{ref}", id: "apiimg", expect: 200)
        try call("GET", "/v1/images/{ref}", id: "nosuch", expect: 404)
        let imageUser = try call("POST", "/v1/containers", body: #"{"image":"apiimg"}"#, expect: 201)
        try call("DELETE", "/v1/images/{ref}", id: "apiimg", expect: 409, params: false)
        let imageUserID = try XCTUnwrap(try JSONDecoder().decode([String: String].self, from: Data(imageUser.body))["id"])
        try call("DELETE", "/v1/containers/{id}", id: imageUserID, expect: 204)
        try call("DELETE", "/v1/images/{ref}", id: "apiimg", expect: 200)
        try call("DELETE", "/v1/images/{ref}", id: "nosuch", expect: 404)
        try call("POST", "/v1/images/prune", expect: 200)

        try call("POST", "/v1/containers/{id}/start", id: id, expect: 200)
        try call("GET", "/v1/containers", expect: 200)
        try call("GET", "/v1/containers/{id}", id: id, expect: 200)
        try call("POST", "/v1/containers/{id}/update", id: id, body: #"{"memory":{"limit":67108864},"pids":{"limit":64}}"#, expect: 200)
        try call("POST", "/v1/containers/{id}/update", id: id, body: #"{"pids":{"limit":"many"}}"#, expect: 400)
        try call("GET", "/v1/containers/{id}/top", id: id, expect: 200)
        try call("POST", "/v1/containers/{id}/pause", id: id, expect: 200)
        try call("POST", "/v1/containers/{id}/pause", id: id, expect: 409)
        try call("POST", "/v1/containers/{id}/unpause", id: id, expect: 200)
        XCTAssertTrue(eventually(5) { (try? self.client.request("GET", "/v1/containers/\(id)/logs"))?.text == "hello\n" })
        try call("GET", "/v1/containers/{id}/logs", id: id, expect: 200)
        try upgraded("/v1/containers/{id}/exec", id: id, body: #"{"args":["true"],"env":["A=b"],"cwd":"/","user":"0:0"}"#)
        try upgraded("/v1/containers/{id}/attach", id: id)
        try call("POST", "/v1/containers/{id}/attach", id: id, expect: 400)
        try call("POST", "/v1/containers/{id}/exec", id: id, body: #"{"args":["true"]}"#, expect: 400)
        try call("POST", "/v1/containers/{id}/kill", id: id, expect: 200)
        try call("POST", "/v1/containers/{id}/wait", id: id, expect: 200)
        try call("POST", "/v1/containers/{id}/stop", id: id, expect: 200)
        try call("GET", "/v1/containers/{id}", id: id, expect: 200)
        try call("DELETE", "/v1/containers/{id}", id: id, expect: 204)

        // pods: a container added to one, its quota tree, start, stop, rm
        try call("POST", "/v1/pods", body: #"{"name":"apipod","memory":67108864,"cpus":0.5,"pids":64,"hostname":"h","labels":{"a":"b"}}"#, expect: 201)
        try call("POST", "/v1/pods", body: #"{"name":"apipod"}"#, expect: 409)
        try call("POST", "/v1/pods", body: #"{"memory":"lots"}"#, expect: 400)
        try call("POST", "/v1/pods", body: #"{"network":"nosuchnet"}"#, expect: 404)
        try call("POST", "/v1/containers", body: #"{"bundle":"\#(bundle)","pod":"apipod","name":"m","memory":134217728}"#, expect: 400)
        try call("POST", "/v1/containers", body: #"{"bundle":"\#(bundle)","pod":"apipod","name":"m"}"#, expect: 201)
        try call("POST", "/v1/pods/{name}/start", id: "apipod", expect: 200)
        try call("GET", "/v1/pods", expect: 200)
        try call("GET", "/v1/pods/{name}", id: "apipod", expect: 200)
        try call("GET", "/v1/containers/{id}", id: "apipod%2Fm", expect: 200)
        try call("GET", "/v1/pods/{name}", id: "nosuch", expect: 404)
        try call("DELETE", "/v1/pods/{name}", id: "apipod", expect: 409, params: false)
        try call("POST", "/v1/pods/{name}/stop", id: "apipod", expect: 200)
        try call("DELETE", "/v1/pods/{name}", id: "apipod", expect: 204)
        try call("PUT", "/v1/pods", expect: 405)

        // documented error answers
        try call("GET", "/v1/containers/{id}", id: "nosuch", expect: 404, params: false)
        try call("POST", "/v1/containers/{id}/start", id: "nosuch", expect: 404, params: false)
        try call("POST", "/v1/containers", body: #"{"bundle":"relative/path"}"#, expect: 400)
        try call("POST", "/v1/containers", body: #"{"bundle":7}"#, expect: 400)
        try call("POST", "/v1/version", template: "/v1/version", expect: 405)
        try call("GET", "/v1/containers/{id}/wait", id: "x", template: "/v1/containers/{id}/wait", expect: 405)

        usleep(300_000)
        events.terminate()
        let stream = String(decoding: evOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        events.waitUntilExit()
        let parts = stream.components(separatedBy: "\r\n\r\n")
        XCTAssertTrue(parts[0].hasPrefix("HTTP/1.1 200"), parts[0])
        XCTAssertTrue(parts[0].lowercased().contains("content-type: application/x-ndjson"), parts[0])
        let schema = try XCTUnwrap(doc["paths"]?["/v1/events"]?["get"]?["responses"]?["200"]?["content"]?["application/x-ndjson"]?["schema"])
        let lines = parts.dropFirst().joined().split(separator: "\n")
        XCTAssertGreaterThanOrEqual(lines.count, 4, stream)
        for l in lines {
            XCTAssertEqual(schemaProblems(try JSONValue.parse(Array(l.utf8)), schema, doc: doc), [], String(l))
        }
        if parts[0].hasPrefix("HTTP/1.1 200") { called.insert("GET /v1/events") }
        XCTAssertEqual(called, documented, "every documented operation was called")
    }

    /// A web server whose /v2/ answers 200, as a registry without auth does.
    static func plainRegistry(_ dir: String) throws -> (process: Process, port: Int) {
        try FileManager.default.createDirectory(atPath: dir + "/v2", withIntermediateDirectories: true)
        try "{}".write(toFile: dir + "/v2/index.html", atomically: true, encoding: .utf8)
        let portFile = dir + "/port"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        p.arguments = ["-c", """
            import http.server, functools, os
            h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=\(String(reflecting: dir)))
            s = http.server.HTTPServer(("127.0.0.1", 0), h)
            open(\(String(reflecting: portFile + ".tmp")), "w").write(str(s.server_port))
            os.rename(\(String(reflecting: portFile + ".tmp")), \(String(reflecting: portFile)))
            s.serve_forever()
            """]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        for _ in 0..<500 {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let port = Int(text) { return (p, port) }
            usleep(10_000)
        }
        p.terminate()
        throw NSError(domain: "OpenAPITests", code: 1, userInfo: [NSLocalizedDescriptionKey: "python3 http.server did not start"])
    }

    /// POST TEMPLATE upgraded to a stream (Upgrade: nest-stream): the 101 is
    /// documented; an exec is followed to its exit frame.
    func upgraded(_ template: String, id: String, body: String? = nil) throws {
        let op = try XCTUnwrap(doc["paths"]?[template]?["post"], "\(template) is documented")
        XCTAssertNotNil(op["responses"]?["101"], "\(template): 101 is documented")
        let headers = (op["parameters"]?.items ?? []).map { $0.resolved(in: doc) }.filter { $0["in"]?.string == "header" }
        XCTAssertEqual(Set(headers.compactMap { $0["name"]?.string }), ["Upgrade", "Connection"])
        switch try client.openStream("POST", template.replacingOccurrences(of: "{id}", with: id), body: body.map { Array($0.utf8) }) {
        case .refused(let r):
            XCTFail("POST \(template): \(r.status) \(r.text)")
        case .upgraded(let stream):
            if body != nil {
                var exit: [UInt8]?
                while let f = try stream.next() { if f.type == 3 { exit = f.payload } }
                XCTAssertEqual(exit, Array("0".utf8))
            }
            called.insert("POST " + template)
        }
    }

    /// Calls METHOD TEMPLATE with every documented query parameter (unless
    /// PARAMS is false) and checks the answer against the document.
    @discardableResult
    func call(_ method: String, _ path: String, id: String = "", template: String? = nil, body: String? = nil,
              expect: Int, params: Bool = true) throws -> UnixHTTPClient.Response {
        let tpl = template ?? path
        let pathItem = try XCTUnwrap(doc["paths"]?[tpl], "\(tpl) is documented")
        let op = pathItem[method.lowercased()]
        var query: [String] = []
        if params, let op {
            for p in (pathItem["parameters"]?.items ?? []) + (op["parameters"]?.items ?? []) {
                let param = p.resolved(in: doc)
                guard param["in"]?.string == "query", let name = param["name"]?.string else { continue }
                let value = try XCTUnwrap(Self.samples[name], "a sample value for parameter \(name)")
                query.append("\(name)=\(value)")
            }
        }
        let url = path.replacingOccurrences(of: "{id}", with: id).replacingOccurrences(of: "{name}", with: id)
            .replacingOccurrences(of: "{ref}", with: id) + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        let r = try client.request(method, url, body: body.map { Array($0.utf8) })
        XCTAssertEqual(r.status, expect, "\(method) \(url): \(r.text)")
        if op != nil, r.status == expect, expect < 400 { called.insert(method + " " + tpl) }

        // a method the path does not have: its answer is documented with the methods it has
        let responses = op?["responses"] ?? pathItem.keys.compactMap { pathItem[$0]?["responses"] }.first { $0["\(r.status)"] != nil }
        guard let documented = responses?["\(r.status)"]?.resolved(in: doc) else {
            XCTFail("\(method) \(tpl): status \(r.status) is not documented")
            return r
        }
        guard let content = documented["content"] else {
            XCTAssertEqual(r.body.count, 0, "\(method) \(url): no content documented for \(r.status)")
            return r
        }
        let mediaType = try XCTUnwrap(content.keys.first)
        XCTAssertTrue(r.headers["content-type"]?.hasPrefix(mediaType) == true,
                      "\(method) \(url): content-type \(r.headers["content-type"] ?? "none"), documented \(mediaType)")
        let schema = try XCTUnwrap(content[mediaType]?["schema"])
        if mediaType == "application/json" {
            XCTAssertEqual(schemaProblems(try JSONValue.parse(r.body), schema, doc: doc), [], "\(method) \(url): \(r.text)")
        } else if mediaType == "application/x-ndjson" {
            for l in r.text.split(separator: "\n") {
                XCTAssertEqual(schemaProblems(try JSONValue.parse(Array(l.utf8)), schema, doc: doc), [], "\(method) \(url): \(l)")
            }
        } else {
            XCTAssertEqual(schema.resolved(in: doc)["type"]?.string, "string")
            if mediaType == "application/xml" { XCTAssertTrue(r.text.hasPrefix("<?xml"), r.text) }
        }
        return r
    }
}
