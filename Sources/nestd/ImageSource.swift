import NestImage

/// One layer of an image as a container's overlay takes it: its chain ID
/// and the directory it is unpacked in (complete, read-only).
struct ImageLayer: Sendable, Equatable {
    var chainID: String
    var path: String
}

/// An image a container is made from: its id (the config digest), its
/// layers, lowest first, and its config.
struct ResolvedImage: Sendable {
    var id: String
    var layers: [ImageLayer]
    var config: ImageConfig
}

/// Where nestd finds images by reference (a name, name:tag, digest or
/// short id); a reference it does not know is a 404 naming `image`.
protocol ImageSource: Sendable {
    func resolve(_ ref: String) throws(APIError) -> ResolvedImage
}

/// The image store under DATA/images. The store is opened once; a store
/// that could not be opened (its directories not made) fails every call
/// with why, rather than stopping the daemon that runs bundles too.
struct StoreImageSource: ImageSource {
    let opened: Result<ImageStore, ImageError>

    init(root: String) {
        opened = Result { () throws(ImageError) in try ImageStore(root: root) }
    }

    func store() throws(APIError) -> ImageStore {
        switch opened {
        case .success(let s): return s
        case .failure(let e): throw APIError(500, "the image store: \(e.message)")
        }
    }

    func resolve(_ ref: String) throws(APIError) -> ResolvedImage {
        let s = try store()
        do throws(ImageError) {
            let record = try s.resolve(ref)
            let dirs = try s.layerDirs(record)
            let layers = zip(record.chainIDs, dirs).map { ImageLayer(chainID: $0, path: $1) }
            return ResolvedImage(id: record.id, layers: layers, config: try s.config(record))
        } catch {
            throw APIError(error, field: "image")
        }
    }
}

extension APIError {
    /// FIELD: what the request named the image by, for the answers that
    /// are the request's fault.
    init(_ e: ImageError, field: String? = nil) {
        switch e.kind {
        case .notFound: self.init(404, e.message, field: field)
        case .conflict: self.init(409, e.message)
        case .invalid, .corrupt: self.init(400, e.message, field: field)
        case .system: self.init(500, e.message)
        }
    }
}
