import Foundation
import XCTest

/// OCI image layouts written the way the image-spec describes them, with
/// the host's tar, gzip and sha256sum (not the store's own code): what
/// `nestctl image import` is given in the tests.
extension DaemonTestCase {
    /// The sha256 digest of the file at PATH, as "sha256:HEX".
    func sha256(_ path: String) throws -> String {
        let r = runCommand(["sha256sum", path])
        guard r.code == 0, let hex = r.stdout.split(separator: " ").first else { throw Failure("sha256sum \(path): \(r.stderr)") }
        return "sha256:" + hex
    }

    /// An OCI layout at DIR of LAYERS (directories, lowest first; the
    /// first gzip'd, the others plain tars), an image config with CONFIG as
    /// its `config` object, and `org.opencontainers.image.ref.name` REF.
    func makeOCILayout(_ dir: String, layers: [String], config: [String: Any], ref: String? = nil) throws {
        let blobs = dir + "/blobs/sha256"
        try FileManager.default.createDirectory(atPath: blobs, withIntermediateDirectories: true)
        try #"{"imageLayoutVersion":"1.0.0"}"#.write(toFile: dir + "/oci-layout", atomically: false, encoding: .utf8)
        var diffIDs: [String] = [], descriptors: [[String: Any]] = []
        for (i, layer) in layers.enumerated() {
            let tar = dir + "/layer\(i).tar"
            let t = runCommand(["tar", "--numeric-owner", "--sort=name", "-C", layer, "-cf", tar, "."])
            guard t.code == 0 else { throw Failure("tar \(layer): \(t.stderr)") }
            diffIDs.append(try sha256(tar))
            var blob = tar
            if i == 0 {
                let z = runCommand(["gzip", "-n", tar])
                guard z.code == 0 else { throw Failure("gzip: \(z.stderr)") }
                blob = tar + ".gz"
            }
            let digest = try sha256(blob)
            try FileManager.default.moveItem(atPath: blob, toPath: blobs + "/" + digest.dropFirst(7))
            descriptors.append(["mediaType": "application/vnd.oci.image.layer.v1.tar" + (i == 0 ? "+gzip" : ""),
                                "digest": digest, "size": try size(blobs + "/" + digest.dropFirst(7))])
        }
        let image: [String: Any] = ["architecture": "amd64", "os": "linux", "created": "2024-01-02T03:04:05Z", "config": config,
                                    "rootfs": ["type": "layers", "diff_ids": diffIDs]]
        let configDesc = try writeBlob(image, mediaType: "application/vnd.oci.image.config.v1+json", in: blobs)
        let manifest: [String: Any] = ["schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                                       "config": configDesc, "layers": descriptors]
        var manifestDesc = try writeBlob(manifest, mediaType: "application/vnd.oci.image.manifest.v1+json", in: blobs)
        if let ref { manifestDesc["annotations"] = ["org.opencontainers.image.ref.name": ref] }
        let index: [String: Any] = ["schemaVersion": 2, "manifests": [manifestDesc]]
        try JSONSerialization.data(withJSONObject: index).write(to: URL(fileURLWithPath: dir + "/index.json"))
    }

    private func writeBlob(_ object: [String: Any], mediaType: String, in blobs: String) throws -> [String: Any] {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        let tmp = blobs + "/.new"
        try data.write(to: URL(fileURLWithPath: tmp))
        let digest = try sha256(tmp)
        try FileManager.default.moveItem(atPath: tmp, toPath: blobs + "/" + digest.dropFirst(7))
        return ["mediaType": mediaType, "digest": digest, "size": data.count]
    }

    private func size(_ path: String) throws -> Int {
        try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
    }

    /// The busybox image of the image tests, as an OCI layout at DIR:
    /// layer 0 a busybox rootfs (mkbundle.sh), layer 1 an /etc/passwd with
    /// an `app` user, /etc/hello, /srv and /tmp/remove-me, layer 2 a
    /// whiteout of /tmp/remove-me. Returns the busybox rootfs.
    @discardableResult
    func makeBusyboxLayout(_ dir: String, config: [String: Any], ref: String? = nil) throws -> String {
        let base = try makeBundle("image-base", ["true"]) + "/rootfs"
        let l1 = tmp + "/image-layer1", l2 = tmp + "/image-layer2"
        let fm = FileManager.default
        for d in [l1 + "/etc", l1 + "/srv", l1 + "/tmp", l2 + "/tmp"] { try fm.createDirectory(atPath: d, withIntermediateDirectories: true) }
        for d in [l1 + "/tmp", l2 + "/tmp"] { chmod(d, 0o1777) }
        try "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n".write(toFile: l1 + "/etc/passwd", atomically: false, encoding: .utf8)
        try "root:x:0:\napp:x:1000:\nstaff:x:50:app\n".write(toFile: l1 + "/etc/group", atomically: false, encoding: .utf8)
        try "hello from a layer\n".write(toFile: l1 + "/etc/hello", atomically: false, encoding: .utf8)
        try "x".write(toFile: l1 + "/tmp/remove-me", atomically: false, encoding: .utf8)
        try "".write(toFile: l2 + "/tmp/.wh.remove-me", atomically: false, encoding: .utf8)
        try makeOCILayout(dir, layers: [base, l1, l2], config: config, ref: ref)
        return base
    }
}
