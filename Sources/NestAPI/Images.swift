/// The image bodies of the REST API (`/v1/images`), shared by nestd and
/// nestctl. nestctl does not link the image store: the image's config is
/// mirrored here in the shape of the OCI image-spec's config.json.

/// An image as `GET /v1/images` lists it.
public struct ImageInfo: Codable, Sendable, Equatable {
    /// The config's digest.
    public var id: String
    /// Every name:tag that points at the image.
    public var names: [String]
    public var manifestDigest: String
    /// The layers' chain IDs, lowest first: what containers share.
    public var chainIDs: [String]
    /// The stored blobs' bytes (config and compressed layers).
    public var size: Int64
    public var created: String?

    public init(id: String, names: [String], manifestDigest: String, chainIDs: [String], size: Int64, created: String?) {
        self.id = id; self.names = names; self.manifestDigest = manifestDigest; self.chainIDs = chainIDs
        self.size = size; self.created = created
    }
}

/// `GET /v1/images/{ref}`: the image and its config.
public struct ImageInspect: Codable, Sendable, Equatable {
    public var id: String
    public var names: [String]
    public var manifestDigest: String
    public var chainIDs: [String]
    public var size: Int64
    public var created: String?
    public var config: ImageConfigView

    public init(_ info: ImageInfo, config: ImageConfigView) {
        id = info.id; names = info.names; manifestDigest = info.manifestDigest; chainIDs = info.chainIDs
        size = info.size; created = info.created; self.config = config
    }

    public var info: ImageInfo {
        ImageInfo(id: id, names: names, manifestDigest: manifestDigest, chainIDs: chainIDs, size: size, created: created)
    }
}

/// An image's configuration (OCI image-spec `config.json`, which Docker's
/// schema 2 shares): what a container of the image runs and which layers
/// its rootfs is made of. Fields Nest does not use are not kept. The store
/// (NestImage, as `ImageConfig`) reads it and nestd's inspect answers it.
public struct ImageConfigView: Codable, Sendable, Equatable {
    public var config: Process?
    public var rootfs: RootFS
    public var architecture: String
    public var os: String
    public var variant: String?

    public init(config: Process? = nil, rootfs: RootFS, architecture: String, os: String, variant: String? = nil) {
        self.config = config; self.rootfs = rootfs; self.architecture = architecture; self.os = os; self.variant = variant
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
            self.entrypoint = entrypoint; self.cmd = cmd; self.env = env; self.workingDir = workingDir
            self.user = user; self.stopSignal = stopSignal; self.labels = labels; self.volumes = volumes
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

        public init(type: String = "layers", diffIDs: [String]) { self.type = type; self.diffIDs = diffIDs }

        enum CodingKeys: String, CodingKey { case type, diffIDs = "diff_ids" }
    }
}

/// `POST /v1/images/import`
public struct ImageImportRequest: Codable, Sendable {
    /// Absolute path on the daemon's host: an OCI layout directory, an OCI
    /// archive or a `docker save` archive.
    public var path: String
    /// A name for the image (the archive must hold exactly one).
    public var name: String?
    public init(path: String, name: String? = nil) { self.path = path; self.name = name }
}

/// What `DELETE /v1/images/{ref}` and `POST /v1/images/prune` did.
public struct ImageRemoveResponse: Codable, Sendable, Equatable {
    /// Names removed.
    public var untagged: [String]
    /// Image ids removed.
    public var deleted: [String]
    public var blobsRemoved: Int
    public var layersRemoved: Int
    public init(untagged: [String], deleted: [String], blobsRemoved: Int, layersRemoved: Int) {
        self.untagged = untagged; self.deleted = deleted; self.blobsRemoved = blobsRemoved; self.layersRemoved = layersRemoved
    }
}
