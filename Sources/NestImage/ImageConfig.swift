/// The image config (OCI image-spec config, also Docker's). A minimal
/// version of the shape the image-run work defines; that version replaces it.
public struct ImageConfig: Codable, Sendable, Equatable {
    public struct Empty: Codable, Sendable, Equatable { public init() {} }

    public struct Process: Codable, Sendable, Equatable {
        public var entrypoint: [String]?
        public var cmd: [String]?
        public var env: [String]?
        public var workingDir: String?
        public var user: String?
        public var stopSignal: String?
        public var labels: [String: String]?
        public var volumes: [String: Empty]?

        enum CodingKeys: String, CodingKey {
            case entrypoint = "Entrypoint", cmd = "Cmd", env = "Env", workingDir = "WorkingDir", user = "User"
            case stopSignal = "StopSignal", labels = "Labels", volumes = "Volumes"
        }

        public init() {}
    }

    public struct RootFS: Codable, Sendable, Equatable {
        public var type: String
        public var diffIDs: [String]

        enum CodingKeys: String, CodingKey { case type, diffIDs = "diff_ids" }

        public init(type: String = "layers", diffIDs: [String]) {
            self.type = type
            self.diffIDs = diffIDs
        }
    }

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
}
