#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NestOCI

/// Decodes WHAT (a manifest, an index, a config) and, when it is not what
/// it should be, names the JSON path of the first wrong field.
enum ImageJSON {
    static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], what: String) throws(ImageError) -> T {
        do { return try JSONDecoder().decode(T.self, from: Data(bytes)) } catch {
            throw ImageError(.invalid, "\(what): \(describe(error))")
        }
    }

    static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return Array((try? e.encode(value)) ?? Data())
    }

    static func describe(_ e: Error) -> String {
        switch e as? DecodingError {
        case .keyNotFound(let k, let c)?: return "missing field \(path(c.codingPath + [k]))"
        case .typeMismatch(let t, let c)? where c.codingPath.isEmpty: return "must be a JSON \(t == [Any].self ? "array" : "object")"
        case .typeMismatch(_, let c)?: return "wrong type at \(path(c.codingPath))"
        case .valueNotFound(_, let c)?: return "null at \(path(c.codingPath))"
        case .dataCorrupted(let c)? where !c.codingPath.isEmpty: return "bad value at \(path(c.codingPath))"
        case .dataCorrupted?: return "not valid JSON"
        default: return "\(e)"
        }
    }

    static func path(_ keys: [any CodingKey]) -> String {
        var p = ""
        for k in keys {
            if let i = k.intValue { p = JSONPath.index(p, i) } else { p = JSONPath.member(p, k.stringValue) }
        }
        return p
    }
}
