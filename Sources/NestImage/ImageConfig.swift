#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import NestAPI

/// The image-spec config, one type with the REST API's (NestAPI).
public typealias ImageConfig = ImageConfigView

/// A config that could not be read, with the JSON path of what is wrong.
public struct ImageConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var message: String
    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }
    public var description: String { field.isEmpty ? message : "\(field): \(message)" }
}

extension ImageConfig {
    /// Reads a config blob. Unknown fields are ignored (the image-spec lets
    /// them be added); a field of the wrong type or a missing required one
    /// is an error naming its JSON path.
    public static func read(_ bytes: [UInt8]) throws(ImageConfigError) -> ImageConfig {
        let config: ImageConfig
        do {
            config = try JSONDecoder().decode(ImageConfig.self, from: Data(bytes))
        } catch let DecodingError.keyNotFound(key, ctx) {
            throw ImageConfigError(field: path(ctx.codingPath + [key]), "missing")
        } catch let DecodingError.typeMismatch(type, ctx) {
            throw ImageConfigError(field: path(ctx.codingPath), "must be \(name(of: type))")
        } catch let DecodingError.valueNotFound(type, ctx) {
            throw ImageConfigError(field: path(ctx.codingPath), "must be \(name(of: type)), not null")
        } catch let DecodingError.dataCorrupted(ctx) {
            throw ImageConfigError(field: path(ctx.codingPath), "not valid JSON: \(ctx.debugDescription)")
        } catch {
            throw ImageConfigError(field: "", "\(error)")
        }
        if config.rootfs.type != "layers" {
            throw ImageConfigError(field: "rootfs.type", "must be \"layers\", not \"\(config.rootfs.type)\"")
        }
        return config
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        var out = ""
        for key in keys {
            if let i = key.intValue { out += "[\(i)]" } else { out += (out.isEmpty ? "" : ".") + key.stringValue }
        }
        return out
    }

    private static func name(of type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is [String].Type: "an array of strings"
        case is [String: String].Type: "an object of strings"
        default: "\(type)"
        }
    }
}
