import Foundation
import Testing
@testable import NestOCI

@Suite struct DecodingTests {
    static let fixtures = [
        "runc-spec.json", "runc-spec-rootless.json", "crun-spec.json", "crun-spec-rootless.json",
        "v1.0.2.json", "v1.1.0.json", "v1.2.0.json", "v1.3.0.json",
    ]

    @Test(arguments: fixtures)
    func fixtureDecodesValidatesAndRoundTrips(name: String) throws {
        let spec = try Spec.decode(Fixtures.bytes(name))
        #expect(spec.validate() == [])
        #expect(spec.process?.args?.isEmpty == false)
        let again = try Spec.decode(spec.encoded())
        #expect(again == spec)
        #expect(try again.encoded() == spec.encoded())
    }

    @Test func versionSpecificFieldsAreRead() throws {
        let v110 = try Spec.decode(Fixtures.bytes("v1.1.0.json"))
        #expect(v110.linux?.timeOffsets?["boottime"]?.secs == -20)
        #expect(v110.linux?.resources?.memory?.swap == -1)
        #expect(v110.linux?.resources?.cpu?.burst == 10000)
        #expect(v110.linux?.seccomp?.syscalls?[0].args?[0].value == UInt64.max)
        #expect(v110.linux?.seccomp?.syscalls?[2].errnoRet == 38)
        #expect(v110.hooks?.all.map(\.kind) == ["createContainer", "startContainer", "poststart"])

        let v120 = try Spec.decode(Fixtures.bytes("v1.2.0.json"))
        #expect(v120.process?.ioPriority == .init(ioClass: "IOPRIO_CLASS_BE", priority: 4))
        #expect(v120.process?.rlimits?[1].hard == UInt64.max)
        #expect(v120.process?.execCPUAffinity?.final == "0-1")
        #expect(v120.linux?.netDevices?["eth1"]?.name == "ceth1")
        #expect(v120.mounts?.last?.uidMappings?.first?.hostID == 100000)
        #expect(v120.linux?.resources?.rdma?["mlx5_1"]?.hcaObjects == 10000)

        let v130 = try Spec.decode(Fixtures.bytes("v1.3.0.json"))
        #expect(v130.linux?.memoryPolicy?.mode == "MPOL_INTERLEAVE")
        #expect(v130.linux?.intelRdt?.schemata == ["L3:0=7ff"])
        #expect(v130.linux?.resources?.memory?.limit == Int64.max)
        #expect(v130.linux?.resources?.pids == .init(limit: nil))
        #expect(v130.linux?.devices?[1] == .init(type: "p", path: "/dev/pipe"))

        let rootless = try Spec.decode(Fixtures.bytes("runc-spec-rootless.json"))
        #expect(rootless.linux?.namespace("user") != nil)
        #expect(rootless.linux?.uidMappings?.first?.size == 1)
    }

    @Test func unknownFieldsAreIgnored() throws {
        let spec = try Spec.decode(config(#""vm": {"hypervisor": {"path": "/x"}}, "futureField": [1, {"a": null}]"#))
        #expect(spec == (try Spec.decode(config())))
        let nested = try Spec.decode(config(#""process": {"user": {"uid": 1, "gid": 2, "shell": "x"}, "args": ["a"], "cwd": "/", "new": true}"#))
        #expect(nested.process?.user.uid == 1)
    }

    @Test func nullMeansAbsentForOptionalFields() throws {
        let spec = try Spec.decode(config(#""hostname": null, "mounts": null"#))
        #expect(spec.hostname == nil && spec.mounts == nil)
    }

    @Test func encodedFormIsStableJSON() throws {
        let spec = try Spec.decode(config(#""annotations": {"b": "2", "a": "1"}"#))
        let text = String(decoding: try spec.encoded(pretty: false), as: UTF8.self)
        #expect(text.contains(#""annotations":{"a":"1","b":"2"}"#))
        #expect(!text.contains("null"))
    }

    struct BadJSON: Sendable, CustomStringConvertible {
        var description: String
        var json: String
        var path: String
        var message: String
    }

    static let badJSON: [BadJSON] = [
        .init(description: "truncated", json: #"{"ociVersion": "1.0.2", "root": {"pa"#, path: "",
              message: "invalid JSON at line 1, column 34: unterminated string"),
        .init(description: "truncated after comma", json: #"{"ociVersion": "1.0.2","#, path: "",
              message: "invalid JSON at line 1, column 24: unexpected end of input inside an object"),
        .init(description: "empty", json: "", path: "", message: "invalid JSON at line 1, column 1: unexpected end of input"),
        .init(description: "trailing text", json: config() + " x", path: "",
              message: "invalid JSON at line 3, column 65: unexpected text after the end of the document"),
        .init(description: "top level array", json: "[]", path: "", message: "must be an object, found an array"),
        .init(description: "missing ociVersion", json: "{}", path: "ociVersion", message: "is required"),
        .init(description: "uid too large", json: config(#""process": {"user": {"uid": 4294967296, "gid": 0}, "args": ["a"], "cwd": "/"}"#),
              path: "process.user.uid", message: "number 4294967296 is out of range (must be between 0 and 4294967295)"),
        .init(description: "memory limit beyond int64",
              json: config(#""linux": {"resources": {"memory": {"limit": 99999999999999999999999}}}"#),
              path: "linux.resources.memory.limit",
              message: "number 99999999999999999999999 is out of range (must be between -9223372036854775808 and 9223372036854775807)"),
        .init(description: "negative rlimit",
              json: config(#""process": {"user": {"uid": 0, "gid": 0}, "args": ["a"], "cwd": "/", "rlimits": [{"type": "RLIMIT_NOFILE", "soft": -1, "hard": 1}]}"#),
              path: "process.rlimits[0].soft", message: "number -1 is out of range (must be between 0 and 18446744073709551615)"),
        .init(description: "fraction", json: config(#""linux": {"resources": {"pids": {"limit": 1.5}}}"#),
              path: "linux.resources.pids.limit",
              message: "must be an integer between -9223372036854775808 and 9223372036854775807, found 1.5"),
        .init(description: "huge exponent", json: config(#""linux": {"resources": {"pids": {"limit": 1e999999}}}"#),
              path: "linux.resources.pids.limit",
              message: "must be an integer between -9223372036854775808 and 9223372036854775807, found 1e999999"),
        .init(description: "string for bool", json: config(#""root": {"path": "rootfs", "readonly": "yes"}"#),
              path: "root.readonly", message: "must be a boolean, found a string"),
        .init(description: "number for string", json: config(#""mounts": [{"destination": "/a"}, {"destination": 3}]"#),
              path: "mounts[1].destination", message: "must be a string, found the number 3"),
        .init(description: "null for required", json: config(#""process": {"user": {"uid": 0, "gid": 0}, "args": ["a"], "cwd": null}"#),
              path: "process.cwd", message: "must be a string, found null"),
        .init(description: "object for array", json: config(#""process": {"user": {"uid": 0, "gid": 0}, "args": {"0": "a"}, "cwd": "/"}"#),
              path: "process.args", message: "must be an array, found an object"),
        .init(description: "wrong map value", json: config(#""linux": {"sysctl": {"net.ipv4.ip_forward": 1}}"#),
              path: #"linux.sysctl["net.ipv4.ip_forward"]"#, message: "must be a string, found the number 1"),
        .init(description: "missing required member", json: config(#""mounts": [{"type": "tmpfs"}]"#),
              path: "mounts[0].destination", message: "is required"),
        .init(description: "leading zero", json: #"{"ociVersion": "1.0.0", "x": 01}"#, path: "",
              message: "invalid JSON at line 1, column 31: leading zeros are not allowed in numbers"),
        .init(description: "bad escape", json: #"{"ociVersion": "1.0\q"}"#, path: "",
              message: #"invalid JSON at line 1, column 20: invalid escape '\q'"#),
        .init(description: "lone surrogate", json: #"{"ociVersion": "\ud800"}"#, path: "",
              message: #"invalid JSON at line 1, column 23: unpaired UTF-16 surrogate in \u escape"#),
    ]

    @Test(arguments: badJSON)
    func malformedJSONIsAnError(_ bad: BadJSON) {
        #expect(problems(bad.json) == [SpecError(path: bad.path, message: bad.message)])
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        for opener in ["[", "{\"a\":"] {
            let json = String(repeating: opener, count: 100_000)
            #expect(throws: SpecError(path: "", message: "invalid JSON at line 1, column \(JSONParser.maxDepth * opener.count + 1): nesting deeper than \(JSONParser.maxDepth) levels")) {
                try Spec.decode(json)
            }
        }
        let nestedInField = config(#""annotations": {"a": "#) + String(repeating: "[", count: 300)
        #expect(throws: SpecError.self) { try Spec.decode(nestedInField) }
    }

    @Test func invalidUTF8IsAnError() {
        var bytes = Array(#"{"ociVersion": "1.0.0", "hostname": "x"#.utf8)
        bytes += [0xFF, 0xFE]
        bytes += Array(#""}"#.utf8)
        #expect(throws: SpecError(path: "", message: "invalid JSON at line 1, column 37: string is not valid UTF-8")) {
            try Spec.decode(bytes)
        }
    }

    @Test func everyTruncationOfARealConfigFailsCleanly() throws {
        let bytes = try Fixtures.bytes("v1.1.0.json")
        for length in stride(from: 0, to: bytes.count - 1, by: 7) {
            #expect(throws: SpecError.self) { try Spec.decode(Array(bytes[0..<length])) }
        }
    }

    @Test func escapesDecode() throws {
        let spec = try Spec.decode(config(#""hostname": "a\"b\\c\/d\u00e9\ud83d\ude00\n""#))
        #expect(spec.hostname == "a\"b\\c/d\u{e9}\u{1F600}\n")
    }
}
