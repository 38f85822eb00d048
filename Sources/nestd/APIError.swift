import Glibc
import NestAPI
import NestRuntime
import NestVolume

/// An error with the HTTP status the API answers it with.
struct APIError: Error {
    var status: Int
    var body: ErrorBody
    /// The methods a 405 names in its Allow header (RFC 9110 requires it).
    var allow: [String] = []

    init(_ status: Int, _ message: String, field: String? = nil, errors: [FieldError]? = nil) {
        self.status = status
        // an empty field names nothing: left out rather than sent as ""
        body = ErrorBody(error: message, field: field?.isEmpty == false ? field : nil, errors: errors)
    }

    static func notFound(_ id: String) -> APIError { APIError(404, "no such container: \(id)") }

    static func methodNotAllowed(_ message: String, allow: [String]) -> APIError {
        var e = APIError(405, message)
        e.allow = allow
        return e
    }

    init(_ e: Error) {
        if let v = e as? VolumeError {
            self.init(v)
            return
        }
        guard let r = e as? RuntimeError else {
            self.init(500, "\(e)")
            return
        }
        switch r {
        case .notFound(let id): self = .notFound(id)
        case .exists(let id): self.init(409, "container \(id) already exists")
        case .invalidState: self.init(409, r.description)
        case .invalidSpec(let errs):
            let fields = errs.map { FieldError(field: $0.path, message: $0.message) }
            // an empty path: the bundle itself (config.json unreadable, not a file)
            self.init(400, errs.map { $0.path.isEmpty ? $0.message : "\($0.path): \($0.message)" }.joined(separator: "; "),
                      field: errs.first.map { $0.path.isEmpty ? "bundle" : $0.path }, errors: fields)
        case .invalidArgument(let m, let field): self.init(400, m, field: field)
        case .system(let m): self.init(500, m)
        case .kernel(let k):
            // The runtime failed in a step of the container's setup: a client
            // tells EPERM from ENOENT by `errno`, not by the message. What the
            // config names and this host lacks (a mount source, a file
            // system type, a path that is not a directory) is the request's
            // fault; anything else (EPERM, ENOMEM, EBUSY...) the server's.
            let configFaults: Set<Int32> = [ENOENT, ENOTDIR, ENODEV, EINVAL, ELOOP, ENAMETOOLONG]
            self.init(configFaults.contains(k.errno) ? 400 : 500, k.message)
            body.step = k.step
            body.path = k.path
            body.errno = k.errnoName
        }
    }
}
