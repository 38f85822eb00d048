#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NestAPI
import NestOCI
import NestSubsystem

/// An input that broke an oracle without crashing.
struct Finding: Error { var message: String }

/// A fuzz target runs one input. It returns a signature of how far the
/// input got (the error's path and message, or "ok"): an input with a
/// signature not seen before joins the corpus, the loop's cheap stand-in
/// for coverage.
protocol Target {
    var name: String { get }
    var dictionary: [[UInt8]] { get }
    mutating func run(_ input: [UInt8]) throws(Finding) -> String
}

func tokens(_ list: [String]) -> [[UInt8]] { list.map { Array($0.utf8) } }

/// The first words of a message: the signature of an error without the
/// value it quotes, which would make every input new.
func shape(_ s: String) -> String { String(s.split(separator: " ").prefix(4).joined(separator: " ").prefix(60)) }

/// config.json: decode, validate, encode, decode again.
struct SpecTarget: Target {
    let name = "spec"
    let dictionary = tokens([
        "\"ociVersion\"", "\"process\"", "\"root\"", "\"mounts\"", "\"linux\"", "\"hooks\"", "\"args\"",
        "\"env\"", "\"cwd\"", "\"user\"", "\"uid\"", "\"gid\"", "\"capabilities\"", "\"rlimits\"",
        "\"namespaces\"", "\"resources\"", "\"seccomp\"", "\"devices\"", "\"uidMappings\"", "\"cgroupsPath\"",
        "\"maskedPaths\"", "\"readonlyPaths\"", "\"sysctl\"", "\"memory\"", "\"limit\"", "\"cpu\"",
        "\"shares\"", "\"pids\"", "\"destination\"", "\"type\"", "\"source\"", "\"options\"", "\"path\"",
        "\"timeout\"", "\"syscalls\"", "\"names\"", "\"action\"", "\"SCMP_ACT_ALLOW\"", "\"terminal\"",
        "\"consoleSize\"", "\"height\"", "\"oomScoreAdj\"", "\"timeOffsets\"", "\"personality\"",
        "\"unified\"", "\"hugepageLimits\"", "\"blockIO\"", "\"weightDevice\"", "\"major\"", "\"minor\"",
        ":", ",", "[", "]", "{", "}", "\"\"", "1.2.0", "\"/\"",
    ])

    func run(_ input: [UInt8]) throws(Finding) -> String {
        let spec: Spec
        do { spec = try Spec.decode(input) } catch {
            if error.message.isEmpty { throw Finding(message: "a decode error without a message at \(error.path)") }
            return "decode " + error.path.filter { !$0.isNumber } + " " + shape(error.message)
        }
        let problems = spec.validate(json: input)  // as the bundle loader does
        for p in problems where p.message.isEmpty { throw Finding(message: "a validation error without a message at \(p.path)") }
        let encoded: [UInt8]
        do { encoded = try spec.encoded(pretty: false) } catch { throw Finding(message: "a decoded spec does not encode: \(error)") }
        do {
            let again = try Spec.decode(encoded)
            if again != spec { throw Finding(message: "decode(encode(spec)) differs from spec") }
        } catch let f as Finding { throw f } catch {
            throw Finding(message: "the encoder's output does not decode: \(error)")
        }
        // What `nest create` does with a spec that passes validation: its
        // subsystem is stored as XML and read back at every later command.
        if problems.isEmpty {
            let sub = Translator.translate(spec, options: TranslateOptions(id: "fuzz", bundlePath: "/b", rootfsPath: "/b/rootfs"))
            do {
                if try Subsystem.read(xml: sub.xml()) != sub { throw Finding(message: "the subsystem of a valid spec reads back different") }
            } catch let f as Finding { throw f } catch {
                throw Finding(message: "the subsystem of a valid spec does not read back: \(error)")
            }
        }
        return "valid " + (problems.first.map { $0.path.filter { !$0.isNumber } + " " + shape($0.message) } ?? "ok")
    }
}

/// The subsystem XML: parse, read, check routes, write, read again.
struct XMLTarget: Target {
    let name = "xml"
    let dictionary = tokens([
        "<subsystem", "</subsystem>", "<start", "</start>", "<config", "</config>", "<vfs", "</vfs>",
        "<route", "<mount", "<device", "<provides", "<service", "<resource", "<quota", "<process",
        "<arg", "<env", "<seccomp", "<syscall", "<map", "<hook", "name=\"", "value=\"", "root=\"",
        "version=\"1\"", "<?xml version=\"1.0\"?>", "<!--", "-->", "/>", ">", "=\"", "\"", "&amp;",
        "&lt;", "&#10;", "&#x0;", "&#xFFFFFFFF;", "&#1114112;", "&quot;", "&apos;", "&bogus;",
        "<![CDATA[", "<!DOCTYPE", "<?pi?>", "label=\"", "label=\"/\"", "label=\"/..\"", "<share", "namespace=\"",
        "<child", "<parent/>", "file=\"", "<cgroup", "File_system", "nest-init",
        "<net", "netns=\"", "network=\"", "nic=\"", "Nic", "HOST_NET", "net-",
    ])

    func run(_ input: [UInt8]) throws(Finding) -> String {
        let text = String(decoding: input, as: UTF8.self)
        do { _ = try XMLReader.parse(text) } catch {
            let lines = text.utf8.reduce(1) { $0 + ($1 == 0x0a ? 1 : 0) }
            if error.line < 1 || error.line > lines || error.column < 1 {
                throw Finding(message: "syntax error at an impossible place: \(error) (\(lines) lines)")
            }
            return "syntax " + shape(error.message)
        }
        let s: Subsystem
        do { s = try Subsystem.read(xml: text) } catch {
            if error.message.isEmpty { throw Finding(message: "a read error without a message at \(error.path)") }
            return "read " + error.path.filter { !$0.isNumber } + " " + shape(error.message)
        }
        let problems = s.check()
        let written = s.xml()
        do {
            let again = try Subsystem.read(xml: written)
            if again != s { throw Finding(message: "read(write(s)) differs from s") }
        } catch let f as Finding { throw f } catch {
            throw Finding(message: "the writer's output does not read back: \(error)")
        }
        // A config check() passes always has a layout for every process,
        // and no route of it puts a mount outside the process's root.
        if problems.isEmpty {
            for p in s.processes {
                do {
                    let layout = try s.layout(of: p.name)
                    for m in layout.mounts where !m.destination.hasPrefix("/") || m.destination.split(separator: "/").contains("..") {
                        if s.start(layout.rootServer)?.vfs?.mounts.contains(m) != true {
                            throw Finding(message: "a route grafts \(m.destination), outside the root")
                        }
                    }
                } catch let f as Finding { throw f } catch {
                    throw Finding(message: "a checked config has no layout for \(p.name): \(error)")
                }
            }
        }
        return "ok " + (problems.first.map { $0.path.filter { !$0.isNumber } + " " + shape($0.message) } ?? "")
    }
}

/// The REST API's JSON: the request and answer models nestd and nestctl
/// share, JSONDecoder against the hand-written readers and writers.
struct APITarget: Target {
    let name = "api"
    let dictionary = tokens([
        "\"bundle\"", "\"name\"", "\"labels\"", "\"start\"", "\"autoRemove\"", "\"id\"", "\"exitCode\"",
        "\"oomKilled\"", "\"state\"", "\"pid\"", "\"created\"", "\"command\"", "\"subsystem\"",
        "\"provides\"", "\"resources\"", ":", ",", "{", "}", "[", "]", "\"\"", "true", "false", "null",
        "\\u0000", "\\ud83d\\ude00", "\\ud800", "\\\"", "\\\\", "\\/", "2026-11-24T23:40:01.123456789Z",
    ])

    func run(_ input: [UInt8]) throws(Finding) -> String {
        var sig = ""
        let data = Data(input)
        // nestd's POST /v1/containers body
        do {
            let r = try JSONDecoder().decode(CreateRequest.self, from: data)
            let again: CreateRequest
            do { again = try JSONDecoder().decode(CreateRequest.self, from: Data(r.json)) } catch {
                throw Finding(message: "CreateRequest.json is not read back by JSONDecoder: \(error)")
            }
            if again.bundle != r.bundle || again.name != r.name || again.labels != r.labels
                || again.start != r.start || again.autoRemove != r.autoRemove {
                throw Finding(message: "CreateRequest.json changes the request")
            }
            sig += "create-ok "
        } catch let f as Finding { throw f } catch {
            guard error is DecodingError else { throw Finding(message: "CreateRequest: an untyped error \(error)") }
            sig += "create-err "
        }
        // nestctl's fast reader of the answers, against JSONDecoder
        if let fast = JSONText.stringObject(input) {
            guard let slow = try? JSONDecoder().decode([String: String].self, from: data) else {
                throw Finding(message: "JSONText.stringObject accepts what JSONDecoder refuses")
            }
            if slow != fast { throw Finding(message: "JSONText.stringObject reads \(fast), JSONDecoder \(slow)") }
            sig += "object "
        }
        if let c = CreateResponse(json: input) { sig += c.id.isEmpty ? "resp-empty " : "resp " }
        if let w = WaitResponse(json: Substring(String(decoding: input, as: UTF8.self))) {
            sig += w.oomKilled ? "wait-oom " : "wait "
        }
        if let info = try? JSONDecoder().decode(ContainerInfo.self, from: data) {
            let written = ContainerInfo.jsonArray([info])
            guard let back = try? JSONDecoder().decode([ContainerInfo].self, from: Data(written)), back == [info] else {
                throw Finding(message: "ContainerInfo written by JSONText does not read back the same")
            }
            sig += "info "
        }
        if input.count < 64 { _ = Timestamp.parse(String(decoding: input, as: UTF8.self)) }
        return sig
    }
}
