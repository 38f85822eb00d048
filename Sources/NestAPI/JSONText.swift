import NestOCI

/// Hand-written JSON for the hot messages (the create request and response,
/// the container list): Codable's encoder and decoder cost more than the
/// rest of handling them (GET /v1/containers with 1000 containers: ~50 ms,
/// mostly JSONEncoder). The output is byte for byte what JSONEncoder writes
/// with [.sortedKeys, .withoutEscapingSlashes]; Tests/NestDaemonTests/
/// JSONTextTests.swift compares the two.
public struct JSONText {
    public private(set) var bytes: [UInt8] = []

    public init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    public mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// A JSON string, escaped as NestOCI's JSONWriter does (JSONEncoder's way).
    public mutating func string(_ s: String) {
        JSONWriter.appendString(s, to: &bytes)
    }

    public mutating func int(_ n: some BinaryInteger) { bytes += Array(String(n).utf8) }

    /// JSON text written elsewhere (a JSONWriter's, without pretty printing).
    public mutating func append(_ json: [UInt8]) { bytes += json }

    public mutating func bool(_ b: Bool) { b ? raw("true") : raw("false") }

    public mutating func strings(_ a: [String]) {
        bytes.append(0x5b)
        for (i, s) in a.enumerated() {
            if i > 0 { bytes.append(0x2c) }
            string(s)
        }
        bytes.append(0x5d)
    }

    /// An object of strings, keys sorted as JSONEncoder's .sortedKeys does.
    public mutating func stringMap(_ m: [String: String]) {
        bytes.append(0x7b)
        for (i, k) in m.keys.sorted(by: JSONText.keyOrder).enumerated() {
            if i > 0 { bytes.append(0x2c) }
            string(k)
            bytes.append(0x3a)
            string(m[k]!)
        }
        bytes.append(0x7d)
    }

    /// JSONEncoder sorts keys by their UTF-8 bytes.
    public static func keyOrder(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// `"key":`, for the fixed keys of the messages below (no escaping needed).
    mutating func key(_ k: StaticString, first: Bool = false) {
        if !first { bytes.append(0x2c) }
        bytes.append(0x22)
        raw(k)
        bytes += [0x22, 0x3a]
    }
}

extension ComponentSummary {
    func write(to j: inout JSONText) {
        j.raw("{")
        j.key("name", first: true); j.string(name)
        j.key("provides"); j.strings(provides)
        if let resources { j.key("resources"); j.stringMap(resources) }
        j.raw("}")
    }
}

extension ContainerInfo {
    public func write(to j: inout JSONText) {
        j.raw("{")
        j.key("bundle", first: true); j.string(bundle)
        j.key("command"); j.strings(command)
        j.key("created"); j.string(created)
        if let exitCode { j.key("exitCode"); j.int(exitCode) }
        if let finished { j.key("finished"); j.string(finished) }
        j.key("id"); j.string(id)
        j.key("labels"); j.stringMap(labels)
        j.key("name"); j.string(name)
        if let oomKilled { j.key("oomKilled"); j.bool(oomKilled) }
        j.key("pid"); j.int(pid)
        if let resources {
            j.key("resources")
            var w = JSONWriter(pretty: false)
            resources.write(to: &w)
            j.append(w.bytes)
        }
        if let started { j.key("started"); j.string(started) }
        j.key("state"); j.string(state)
        j.key("subsystem")
        j.raw("[")
        for (i, c) in subsystem.enumerated() {
            if i > 0 { j.raw(",") }
            c.write(to: &j)
        }
        j.raw("]")
        j.raw("}")
    }

    /// A JSON array of containers, as GET /v1/containers answers.
    public static func jsonArray(_ list: [ContainerInfo]) -> [UInt8] {
        var j = JSONText(capacity: 64 + list.count * 400)
        j.raw("[")
        for (i, c) in list.enumerated() {
            if i > 0 { j.raw(",") }
            c.write(to: &j)
        }
        j.raw("]")
        return j.bytes
    }
}

extension CreateResponse {
    public var json: [UInt8] {
        var j = JSONText(capacity: 64)
        j.raw("{")
        j.key("id", first: true); j.string(id)
        j.key("name"); j.string(name)
        j.raw("}")
        return j.bytes
    }
}

extension CreateRequest {
    public var json: [UInt8] {
        var j = JSONText(capacity: 256)
        j.raw("{")
        if let autoRemove { j.key("autoRemove", first: true); j.bool(autoRemove) }
        j.key("bundle", first: autoRemove == nil); j.string(bundle)
        if let cmd { j.key("cmd"); j.strings(cmd) }
        if let consoleSize {
            j.key("consoleSize"); j.raw("{"); j.key("height", first: true); j.int(consoleSize.height)
            j.key("width"); j.int(consoleSize.width); j.raw("}")
        }
        // as JSONEncoder writes a whole number: without ".0"
        if let cpus { j.key("cpus"); j.append(Array((cpus == cpus.rounded() && abs(cpus) < 1e15 ? String(Int64(cpus)) : "\(cpus)").utf8)) }
        if let entrypoint { j.key("entrypoint"); j.strings(entrypoint) }
        if let env { j.key("env"); j.strings(env) }
        if let image { j.key("image"); j.string(image) }
        if let labels { j.key("labels"); j.stringMap(labels) }
        if let memory { j.key("memory"); j.int(memory) }
        if let mounts { j.key("mounts"); j.mounts(mounts) }
        if let name { j.key("name"); j.string(name) }
        if let networks { j.key("networks"); j.strings(networks) }
        if let openStdin { j.key("openStdin"); j.bool(openStdin) }
        if let pids { j.key("pids"); j.int(pids) }
        if let pod { j.key("pod"); j.string(pod) }
        if let ports {
            j.key("ports"); j.raw("[")
            for (i, p) in ports.enumerated() {
                if i > 0 { j.raw(",") }
                j.raw("{"); j.key("container", first: true); j.int(p.container); j.key("host"); j.int(p.host)
                if let proto = p.proto { j.key("proto"); j.string(proto) }
                j.raw("}")
            }
            j.raw("]")
        }
        if let start { j.key("start"); j.bool(start) }
        if let subsystem { j.key("subsystem"); j.string(subsystem) }
        if let tty { j.key("tty"); j.bool(tty) }
        if let user { j.key("user"); j.string(user) }
        if let workingDir { j.key("workingDir"); j.string(workingDir) }
        j.raw("}")
        return j.bytes
    }
}

extension JSONText {
    mutating func mounts(_ list: [MountRequest]) {
        raw("[")
        for (i, m) in list.enumerated() {
            if i > 0 { raw(",") }
            raw("{")
            key("destination", first: true); string(m.destination)
            if let options = m.options { key("options"); strings(options) }
            if let readOnly = m.readOnly { key("readOnly"); bool(readOnly) }
            if let source = m.source { key("source"); string(source) }
            key("type"); string(m.type)
            raw("}")
        }
        raw("]")
    }
}

extension JSONText {
    /// Reads a JSON object whose values are all strings (`{"id":"…","name":"…"}`),
    /// escapes included; nil for anything else, which the caller then hands
    /// to JSONDecoder.
    public static func stringObject(_ b: [UInt8]) -> [String: String]? {
        var i = 0
        func skipSpace() { while i < b.count, b[i] == 0x20 || b[i] == 0x0a || b[i] == 0x0d || b[i] == 0x09 { i += 1 } }
        func hex4() -> UInt32? {
            // four hex digits exactly: UInt32(_:radix:) would take "-000" or "+fff"
            guard i + 4 <= b.count, b[i..<i + 4].allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) }),
                  let v = UInt32(String(decoding: b[i..<i + 4], as: UTF8.self), radix: 16) else { return nil }
            i += 4
            return v
        }
        func string() -> String? {
            guard i < b.count, b[i] == 0x22 else { return nil }
            i += 1
            var out: [UInt8] = []
            while i < b.count {
                let c = b[i]
                i += 1
                if c == 0x22 { return String(validating: out, as: UTF8.self) }
                if c < 0x20 { return nil }
                if c != 0x5c { out.append(c); continue }
                guard i < b.count else { return nil }
                let e = b[i]
                i += 1
                switch e {
                case 0x22, 0x5c, 0x2f: out.append(e)
                case 0x62: out.append(0x08)
                case 0x66: out.append(0x0c)
                case 0x6e: out.append(0x0a)
                case 0x72: out.append(0x0d)
                case 0x74: out.append(0x09)
                case 0x75:
                    guard var v = hex4() else { return nil }
                    if (0xd800..<0xdc00).contains(v) {
                        guard i + 2 <= b.count, b[i] == 0x5c, b[i + 1] == 0x75 else { return nil }
                        i += 2
                        guard let lo = hex4(), (0xdc00..<0xe000).contains(lo) else { return nil }
                        v = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00)
                    }
                    guard let scalar = Unicode.Scalar(v) else { return nil }
                    out += Array(String(Character(scalar)).utf8)
                default: return nil
                }
            }
            return nil
        }
        var result: [String: String] = [:]
        skipSpace()
        guard i < b.count, b[i] == 0x7b else { return nil }
        i += 1
        skipSpace()
        if i < b.count, b[i] == 0x7d { i += 1 } else {
            while true {
                skipSpace()
                guard let k = string() else { return nil }
                skipSpace()
                guard i < b.count, b[i] == 0x3a else { return nil }
                i += 1
                skipSpace()
                guard let v = string(), result.updateValue(v, forKey: k) == nil else { return nil }
                skipSpace()
                guard i < b.count else { return nil }
                i += 1
                if b[i - 1] == 0x7d { break }
                if b[i - 1] != 0x2c { return nil }
            }
        }
        skipSpace()
        return i == b.count ? result : nil
    }
}

extension CreateResponse {
    /// From the daemon's answer, without JSONDecoder; nil when it is not a
    /// plain object of the two strings.
    public init?(json: [UInt8]) {
        guard let o = JSONText.stringObject(json), let id = o["id"], let name = o["name"] else { return nil }
        self.init(id: id, name: name)
    }
}
