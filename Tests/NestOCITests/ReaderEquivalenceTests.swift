import Foundation
import Testing
@testable import NestOCI

/// `Spec.decode` reads with the hand-written `init(json:)`s; the Codable
/// conformances stay for encoding and for other decoders. These tests hold
/// both readers to the same specs and the same errors, so they cannot drift
/// apart when a field is added to one of them only.
@Suite struct ReaderEquivalenceTests {
    static let goldenDirectory = Fixtures.directory.deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("NestSubsystemTests/Golden")

    /// Every config.json the tests have: the fixtures and the golden bundles.
    static func documents() throws -> [(name: String, bytes: [UInt8])] {
        let golden = try FileManager.default.contentsOfDirectory(atPath: goldenDirectory.path)
            .filter { $0.hasSuffix(".json") }.sorted()
        #expect(golden.count >= 10)
        return try DecodingTests.fixtures.map { ($0, try Fixtures.bytes($0)) }
            + golden.map { ("golden/\($0)", Array(try Data(contentsOf: goldenDirectory.appendingPathComponent($0)))) }
    }

    static func both(_ bytes: [UInt8]) -> (new: Result<Spec, SpecError>, old: Result<Spec, SpecError>) {
        (Result { () throws(SpecError) in try Spec.decode(bytes) },
         Result { () throws(SpecError) in try Spec.decodeWithCodable(bytes) })
    }

    @Test func everyConfigReadsTheSameBothWays() throws {
        for (name, bytes) in try Self.documents() {
            let (new, old) = Self.both(bytes)
            #expect(new == old, "\(name)")
            #expect((try? new.get()) != nil, "\(name)")
        }
    }

    @Test func everyInvalidConfigFailsTheSameBothWays() {
        let json = DecodingTests.badJSON.map(\.json) + ValidationTests.cases.map(\.json) + [
            // Map keys that read as integers (the Codable path renders them as an index).
            config(#""linux": {"sysctl": {"5": 1}}"#),
            config(#""annotations": {"-07": null}"#),
            config(#""linux": {"resources": {"rdma": {"12": {"hcaHandles": -1}}}}"#),
        ]
        for text in json {
            let (new, old) = Self.both(Array(text.utf8))
            #expect(new == old, "\(text)")
        }
    }

    /// Each fixture with one value at a time replaced by a value of every
    /// other kind, and each member removed in turn: whatever field breaks,
    /// both readers must agree on the result or the error.
    @Test func everySingleBreakageFailsTheSameBothWays() throws {
        let replacements: [JSONValue] = [
            .null, .bool(true), .number("-1"), .number("1.5"), .number("99999999999999999999"), .string("x"),
            .array([.bool(true)]), .object(["k": .bool(true)]),
        ]
        var checked = 0
        for name in ["v1.0.2.json", "v1.1.0.json", "v1.2.0.json", "v1.3.0.json", "runc-spec-rootless.json"] {
            let document = try JSONParser.parse(Fixtures.bytes(name))
            for variant in Self.variants(of: document, replacements: replacements) {
                let (new, old) = Self.both(Self.write(variant))
                #expect(new == old, "\(name): \(String(decoding: Self.write(variant), as: UTF8.self))")
                checked += 1
            }
        }
        #expect(checked > 1000)
    }

    /// Two members of one object broken at once: both readers must report
    /// the same one first, that is read the members in the same order.
    @Test func twoBreakagesReportTheSameFirstError() throws {
        var checked = 0
        for name in ["v1.1.0.json", "v1.2.0.json", "v1.3.0.json"] {
            let document = try JSONParser.parse(Fixtures.bytes(name))
            for variant in Self.pairVariants(of: document) {
                let (new, old) = Self.both(Self.write(variant))
                #expect(new == old, "\(name): \(String(decoding: Self.write(variant), as: UTF8.self))")
                checked += 1
            }
        }
        #expect(checked > 100)
    }

    static func variants(of value: JSONValue, replacements: [JSONValue]) -> [JSONValue] {
        var out = replacements.filter { $0.kindDescription != value.kindDescription }
        switch value {
        case .array(let elements):
            for (index, element) in elements.enumerated() {
                for variant in variants(of: element, replacements: replacements) {
                    var copy = elements
                    copy[index] = variant
                    out.append(.array(copy))
                }
            }
        case .object(let members):
            for (key, member) in members {
                var removed = members
                removed[key] = nil
                out.append(.object(removed))
                for variant in variants(of: member, replacements: replacements) {
                    var copy = members
                    copy[key] = variant
                    out.append(.object(copy))
                }
            }
        default:
            break
        }
        return out
    }

    /// Members whose value is a map: of two bad entries, the Codable path
    /// reports whichever its dictionary holds first, which changes from run
    /// to run, so pairs are not broken inside them.
    static let mapKeys: Set<String> = ["annotations", "timeOffsets", "netDevices", "sysctl", "rdma", "unified"]

    /// Every object in the document with two of its members replaced by a
    /// value no field accepts.
    static func pairVariants(of value: JSONValue, isMap: Bool = false) -> [JSONValue] {
        let broken = JSONValue.array([.bool(true)])
        var out: [JSONValue] = []
        switch value {
        case .array(let elements):
            for (index, element) in elements.enumerated() {
                for variant in pairVariants(of: element) {
                    var copy = elements
                    copy[index] = variant
                    out.append(.array(copy))
                }
            }
        case .object(let members):
            let keys = members.keys.sorted()
            for (i, first) in keys.enumerated() {
                for second in keys[(i + 1)...] where !isMap {
                    var copy = members
                    copy[first] = broken
                    copy[second] = broken
                    out.append(.object(copy))
                }
                for variant in pairVariants(of: members[first]!, isMap: !isMap && mapKeys.contains(first)) {
                    var copy = members
                    copy[first] = variant
                    out.append(.object(copy))
                }
            }
        default:
            break
        }
        return out
    }

    static func write(_ value: JSONValue) -> [UInt8] {
        var writer = JSONWriter(pretty: false)
        write(value, to: &writer)
        return writer.bytes
    }

    static func write(_ value: JSONValue, to writer: inout JSONWriter) {
        switch value {
        case .null: writer.null()
        case .bool(let bool): writer.bool(bool)
        case .number(let text): writer.number(text)
        case .string(let string): writer.string(string)
        case .array(let elements):
            writer.beginArray()
            elements.forEach { write($0, to: &writer) }
            writer.endArray()
        case .object(let members):
            writer.beginObject()
            for (key, member) in members.sorted(by: { $0.key < $1.key }) {
                writer.key(key)
                write(member, to: &writer)
            }
            writer.endObject()
        }
    }
}
