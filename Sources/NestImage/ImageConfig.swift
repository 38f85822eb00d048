#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An image's configuration (OCI image-spec `config.json`, which Docker's
/// schema 2 shares): what a container of the image runs and which layers
/// its rootfs is made of. Fields Nest does not use are not kept.
public struct ImageConfig: Codable, Sendable, Equatable {
    public var config: Process?
    public var rootfs: RootFS
    public var architecture: String
    public var os: String
    public var variant: String?

    public init(config: Process? = nil, rootfs: RootFS, architecture: String, os: String, variant: String? = nil) {
        self.config = config
        self.rootfs = rootfs
        self.architecture = architecture
        self.os = os
        self.variant = variant
    }

    /// The image-spec's `config` object: the defaults of a container's process.
    public struct Process: Codable, Sendable, Equatable {
        public var entrypoint: [String]?
        public var cmd: [String]?
        public var env: [String]?
        public var workingDir: String?
        public var user: String?
        public var stopSignal: String?
        public var labels: [String: String]?
        public var volumes: [String: Empty]?

        public init(entrypoint: [String]? = nil, cmd: [String]? = nil, env: [String]? = nil, workingDir: String? = nil,
                    user: String? = nil, stopSignal: String? = nil, labels: [String: String]? = nil,
                    volumes: [String: Empty]? = nil) {
            self.entrypoint = entrypoint
            self.cmd = cmd
            self.env = env
            self.workingDir = workingDir
            self.user = user
            self.stopSignal = stopSignal
            self.labels = labels
            self.volumes = volumes
        }

        enum CodingKeys: String, CodingKey {
            case entrypoint = "Entrypoint", cmd = "Cmd", env = "Env", workingDir = "WorkingDir", user = "User"
            case stopSignal = "StopSignal", labels = "Labels", volumes = "Volumes"
        }
    }

    /// `{}`: the value of a set written as a JSON object (`Volumes`).
    public struct Empty: Codable, Sendable, Equatable {
        public init() {}
    }

    public struct RootFS: Codable, Sendable, Equatable {
        /// Always `layers`.
        public var type: String
        /// The digests of the layers' uncompressed tars, lowest first.
        public var diffIDs: [String]

        public init(type: String = "layers", diffIDs: [String]) {
            self.type = type
            self.diffIDs = diffIDs
        }

        enum CodingKeys: String, CodingKey {
            case type, diffIDs = "diff_ids"
        }
    }
}

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
