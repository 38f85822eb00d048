import Glibc
import NestAPI
import NestImage
import NestOCI
import NestRuntime
import NestSubsystem

/// The bundle of a container of an image, made in the container's data
/// dir (removed with it, and by recovery when no record was written):
///     bundle/config.json  the spec (Nest's default + the image's config + the request)
///     bundle/rootfs/      the overlay's mount point, empty on the host
///     bundle/upper/ work/ the container's writable layer
struct ImageBundle {
    /// The annotation naming the image (its config digest) a container was made from.
    static let imageIDAnnotation = "org.nest.image.id"

    var bundle: String
    var overlay: VFSOverlay
    /// The image's labels under the request's.
    var labels: [String: String]

    static func make(_ req: CreateRequest, ref: String, image: ResolvedImage, dataDir: String, id: String) throws(APIError) -> ImageBundle {
        let bundle = dataDir + "/bundle"
        let topFirst = image.layers.reversed().map(\.path)
        let run = ImageRun(rootfs: bundle + "/rootfs", hostname: id, entrypoint: req.entrypoint, cmd: req.cmd,
                           env: req.env ?? [], workingDir: req.workingDir, user: req.user, tty: req.tty ?? false)
        var spec: Spec
        do {
            spec = try ImageSpec.spec(image.config, run) { user, field throws(ImageConfigError) in
                try resolveUser(user, field: field, layers: topFirst)
            }
        } catch {
            throw APIError(400, "image \(ref): \(error.message)", field: error.field)
        }
        // the subsystem config keeps it: `image rm` finds the containers of
        // an image in their configs on disk, not in the daemon's memory
        spec.annotations = (spec.annotations ?? [:]).merging([Self.imageIDAnnotation: image.id]) { $1 }
        let problems = spec.validate()
        if let first = problems.first {
            throw APIError(400, "image \(ref): " + problems.map(\.description).joined(separator: "; "), field: first.path)
        }
        for dir in [bundle, bundle + "/rootfs", bundle + "/upper", bundle + "/work"] where mkdir(dir, 0o755) != 0 {
            throw APIError(500, "mkdir \(dir): \(String(cString: strerror(errno)))")
        }
        do {
            try AtomicFile.write(bundle + "/config.json", try spec.encoded(), durable: false)
        } catch {
            throw APIError(500, "\(bundle)/config.json: \(error)")
        }
        let overlay = VFSOverlay(upper: bundle + "/upper", work: bundle + "/work",
                                 layers: image.layers.map { VFSLayer(chain: $0.chainID, path: $0.path) })
        let labels = (image.config.config?.labels ?? [:]).merging(req.labels ?? [:]) { $1 }
        return ImageBundle(bundle: bundle, overlay: overlay, labels: labels)
    }

    /// USER[:GROUP] in the image's /etc/passwd and /etc/group, read through
    /// its layers (whiteouts honoured) before any overlay is mounted.
    static func resolveUser(_ spec: String, field: String, layers: [String]) throws(ImageConfigError) -> ImageUser {
        func file(_ path: String) -> ContainerUsers.File {
            switch LayerFiles.read(path, layers: layers) {
            case .bytes(let b): .bytes(b)
            case .missing: .missing
            case .refused(let why): .refused(why)
            }
        }
        do {
            let r = try ContainerUsers.resolve(spec, passwd: file("/etc/passwd"), group: file("/etc/group"))
            return ImageUser(uid: r.uid, gid: r.gid, additionalGids: r.additionalGids, home: r.home)
        } catch {
            throw ImageConfigError(field: field, error.message)
        }
    }
}
