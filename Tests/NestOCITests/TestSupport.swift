import Foundation
@testable import NestOCI

enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }
}

/// A small valid config; `extra` members are appended and, as later members
/// win, replace the defaults they repeat.
func config(_ extra: String = "") -> String {
    """
    {"ociVersion": "1.0.2", "root": {"path": "rootfs"},
     "process": {"user": {"uid": 0, "gid": 0}, "args": ["sh"], "cwd": "/"},
     "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}]}\(extra.isEmpty ? "" : ", " + extra)}
    """
}

/// The errors of decoding and validating `json`.
func problems(_ json: String) -> [SpecError] {
    do {
        // as the bundle loader validates: the fields, and a NUL anywhere
        return try Spec.decode(json).validate(json: Array(json.utf8))
    } catch {
        return [error]
    }
}

/// A fresh directory under /tmp, removed by the caller.
func temporaryDirectory() throws -> String {
    var template = Array("/tmp/nest-oci-test-XXXXXX".utf8CString)
    guard let result = mkdtemp(&template) else { throw SpecError(path: "", message: "mkdtemp failed") }
    return String(cString: result)
}
