import Foundation
import NestAPI
import NestOCI
import XCTest

/// The hand-written JSON of the hot messages is byte for byte what
/// JSONEncoder writes, escapes and key order included.
final class JSONTextTests: XCTestCase {
    static let tricky = ["", "plain", "quote \" and backslash \\", "a/b", "tab\tnl\nret\r", "\u{8}\u{c}\u{1}\u{1f}\u{7f}",
                         "é ü 日本 🪺", "\u{2028}\u{2029}", "</script>", "%41+&="]

    func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }

    func testContainerListMatchesJSONEncoder() throws {
        var list: [ContainerInfo] = []
        for (i, s) in Self.tricky.enumerated() {
            let labels = Dictionary(uniqueKeysWithValues: Self.tricky.enumerated().map { ("\($0.element)\($0.offset)", s) }
                + [("B", "1"), ("a10", "2"), ("a9", "3"), ("é", "4"), ("Z", "5"), ("_", "6")])
            list.append(ContainerInfo(
                id: "id\(i)", name: s, state: i % 2 == 0 ? "running" : "stopped", pid: Int32(i * 1000),
                exitCode: i % 2 == 0 ? nil : Int32(i - 3), oomKilled: i % 3 == 0 ? nil : i % 2 == 0,
                created: "2025-01-01T00:00:00.000Z", started: i % 2 == 0 ? nil : s, finished: i % 4 == 1 ? s : nil,
                bundle: "/b/" + s, command: Self.tricky, labels: labels,
                subsystem: [ComponentSummary(name: s, provides: [s, "x"], resources: i % 2 == 0 ? nil : labels),
                            ComponentSummary(name: "n", provides: [])],
                resources: [nil, Spec.Linux.Resources(), Self.everyResource(s)][i % 3]))
        }
        for n in [0, 1, list.count] {
            let slice = Array(list.prefix(n))
            let want = String(decoding: try encoder().encode(slice), as: UTF8.self)
            XCTAssertEqual(String(decoding: ContainerInfo.jsonArray(slice), as: UTF8.self), want)
        }
    }

    /// Every field of linux.resources set (the writer is NestOCI's).
    static func everyResource(_ s: String) -> Spec.Linux.Resources {
        typealias R = Spec.Linux.Resources
        return R(
            devices: [R.DeviceRule(allow: false, access: "rwm"), R.DeviceRule(allow: true, type: "c", major: 1, minor: 3, access: "rw")],
            memory: R.Memory(limit: 1 << 30, reservation: -1, swap: Int64.max, kernel: -1, kernelTCP: 0, swappiness: 60,
                             disableOOMKiller: false, useHierarchy: true, checkBeforeUpdate: true),
            cpu: R.CPU(shares: 1024, quota: -1, burst: 0, period: 100_000, realtimeRuntime: Int64.min, realtimePeriod: 7,
                       cpus: s, mems: "0", idle: 1),
            pids: R.Pids(limit: 64),
            blockIO: R.BlockIO(weight: 500, leafWeight: 10, weightDevice: [R.BlockIO.WeightDevice(major: 8, minor: 0, weight: 300)],
                               throttleReadBpsDevice: [R.BlockIO.ThrottleDevice(major: 8, minor: 0, rate: 1)],
                               throttleWriteBpsDevice: [], throttleReadIOPSDevice: nil,
                               throttleWriteIOPSDevice: [R.BlockIO.ThrottleDevice(major: 8, minor: 16, rate: UInt64.max)]),
            hugepageLimits: [R.HugepageLimit(pageSize: "2MB", limit: 0)],
            network: R.Network(classID: 7, priorities: [R.Network.Priority(name: s, priority: 1)]),
            rdma: [s: R.Rdma(hcaHandles: 1, hcaObjects: nil), "B": R.Rdma(), "a": R.Rdma(hcaHandles: nil, hcaObjects: 2)],
            unified: [s: s, "memory.high": "max", "B": "", "a10": "x", "a9": "y"])
    }

    /// The API's times are written without Foundation's format style; they
    /// must not change by a character (clients compare and sort them).
    func testTimestampMatchesISO8601FormatStyle() {
        var g = SystemRandomNumberGenerator()
        var dates = [Date(), Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 1.9995),
                     Date(timeIntervalSince1970: 1_780_000_000.9999999), Date(timeIntervalSince1970: 978_307_199.9996),
                     Date(timeIntervalSinceReferenceDate: -0.0005), Date(timeIntervalSince1970: 4_102_444_799.999)]
        for _ in 0..<20000 { dates.append(Date(timeIntervalSince1970: Double.random(in: 0..<4_102_444_800, using: &g))) }
        for _ in 0..<20000 {
            dates.append(Date(timeIntervalSince1970: Double(Int.random(in: 1_700_000_000...1_900_000_000, using: &g))
                + Double(Int.random(in: 0..<1_000_000, using: &g)) / 1_000_000))
        }
        for d in dates {
            XCTAssertEqual(Timestamp.string(d), Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(d),
                           "\(d.timeIntervalSinceReferenceDate)")
        }
    }

    func testCreateMessagesMatchJSONEncoder() throws {
        for s in Self.tricky {
            let res = CreateResponse(id: "0123456789ab", name: s)
            XCTAssertEqual(String(decoding: res.json, as: UTF8.self), String(decoding: try encoder().encode(res), as: UTF8.self))
            for req in [CreateRequest(bundle: s), CreateRequest(name: s, bundle: "/b", labels: [s: s, "k": "v"], start: true, autoRemove: true),
                        CreateRequest(bundle: "/b", labels: [:], start: false, autoRemove: false),
                        CreateRequest(bundle: "/b", openStdin: true, tty: false, consoleSize: TerminalSize(height: 24, width: 80)),
                        CreateRequest(bundle: "/b", mounts: [MountRequest(type: "volume", source: s, destination: s, readOnly: true),
                                                             MountRequest(type: "tmpfs", destination: "/t", options: [s, "size=1m"])]),
                        podMember(s, memory: 64 << 20, cpus: 2, pids: 10), podMember(s, memory: nil, cpus: 0.5, pids: nil),
                        podMember(s, memory: 1, cpus: 1.25, pids: 0)] {
                XCTAssertEqual(String(decoding: req.json, as: UTF8.self), String(decoding: try encoder().encode(req), as: UTF8.self))
            }
        }
    }
}

extension JSONTextTests {
    /// A create request adding a container to a pod, with quota fields.
    func podMember(_ pod: String, memory: Int64?, cpus: Double?, pids: Int64?) -> CreateRequest {
        var r = CreateRequest(bundle: "/b")
        r.pod = pod
        r.memory = memory
        r.cpus = cpus
        r.pids = pids
        return r
    }

    func testStringObjectReadsWhatJSONDecoderReads() throws {
        for s in Self.tricky {
            let res = CreateResponse(id: "0123456789ab", name: s)
            let parsed = try XCTUnwrap(CreateResponse(json: Array(try encoder().encode(res))), s)
            XCTAssertEqual(parsed.name, s)
            XCTAssertEqual(parsed.id, res.id)
        }
        let spaced = #" { "name" : "a\u00e9\ud83e\udeba\/\"" ,"id":"x" } "#
        XCTAssertEqual(CreateResponse(json: Array(spaced.utf8))?.name, "aé🪺/\"")
        // anything else is left to JSONDecoder
        for bad in [#"{"id":"x","name":1}"#, #"{"id":"x","name":"y""#, #"{"id":"x","id":"y","name":"z"}"#,
                    #"{"id":"x","name":"\ud800"}"#, #"["x"]"#, #"{"id":"x","name":"y"} z"#, "{\"id\":\"x\",\"name\":\"a\nb\"}"] {
            XCTAssertNil(CreateResponse(json: Array(bad.utf8)), bad)
        }
    }
}
