import Foundation
import Glibc
import NestOCI
import NestSubsystem
import XCTest
@testable import NestRuntime

/// Containers whose rootfs is an overlay of shared read-only layers (what
/// nestd makes of an image): one inode per file for all of them, a write
/// seen only by the container that made it, no mount left once deleted.
final class OverlayRootfsTests: RootTestCase {
    /// Layer 1: a busybox rootfs (scripts/mkbundle.sh); layer 2: a small
    /// one over it. Lowest first.
    func makeLayers() throws -> [VFSLayer] {
        let base = try makeBundle(["true"], name: "base")
        let l2 = tmp + "/layer2"
        try FileManager.default.createDirectory(atPath: l2 + "/etc", withIntermediateDirectories: true)
        try "layer two\n".write(toFile: l2 + "/etc/motd", atomically: false, encoding: .utf8)
        return [VFSLayer(chain: "sha256:1111", path: base + "/rootfs"), VFSLayer(chain: "sha256:2222", path: l2)]
    }

    /// A bundle dir as nestd makes one: config.json, an empty rootfs, upper, work.
    func container(_ name: String, layers: [VFSLayer], args: [String]) throws -> (bundle: String, overlay: VFSOverlay) {
        let dir = tmp + "/" + name
        for d in [dir, dir + "/rootfs", dir + "/upper", dir + "/work"] { XCTAssertEqual(mkdir(d, 0o755), 0, d) }
        var spec = Spec.default()
        spec.process?.terminal = false
        spec.process?.args = args
        spec.process?.capabilities?.ambient = nil
        spec.root = Spec.Root(path: dir + "/rootfs", readonly: false)
        try Data(try spec.encoded()).write(to: URL(fileURLWithPath: dir + "/config.json"))
        return (dir, VFSOverlay(upper: dir + "/upper", work: dir + "/work", layers: layers))
    }

    func run(_ c: (bundle: String, overlay: VFSOverlay), id: String) throws -> RunResult {
        let log = tmp + "/\(id).log"
        var opts = CreateOptions(bundle: c.bundle, stdio: .log(path: log))
        opts.overlay = c.overlay
        _ = try runtime.create(id: id, options: opts)
        try runtime.start(id: id)
        let status = try runtime.waitForExit(id: id)
        let (out, err) = parseLog(log)
        return RunResult(status: status, stdout: out, stderr: err)
    }

    func testTwoContainersShareTheLayersInodesAndNotTheirWrites() throws {
        let layers = try makeLayers()
        let script = "stat -c '%d %i' /bin/busybox; cat /etc/motd; test -e /etc/mine && echo saw-a-write || echo none-seen; "
            + "echo x > /etc/mine; ls /etc/mine"
        let a = try container("a", layers: layers, args: ["sh", "-c", script])
        let b = try container("b", layers: layers, args: ["sh", "-c", script])
        let (idA, idB) = (uniqueID("ovl-a"), uniqueID("ovl-b"))
        let ra = try run(a, id: idA)
        let rb = try run(b, id: idB)
        XCTAssertEqual(ra.exitCode, 0, "\(ra.stderr)")
        XCTAssertEqual(rb.exitCode, 0, "\(rb.stderr)")
        let lowerIno = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: layers[0].path + "/bin/busybox")[.systemFileNumber] as? Int)
        XCTAssertEqual(ra.stdout.first, rb.stdout.first, "one file, one inode, for both containers")
        XCTAssertEqual(ra.stdout.first?.split(separator: " ").last.map(String.init), String(lowerIno), "the lower layer's inode")
        XCTAssertEqual(Array(ra.stdout.dropFirst()), ["layer two", "none-seen", "/etc/mine"])
        XCTAssertEqual(Array(rb.stdout.dropFirst()), ["layer two", "none-seen", "/etc/mine"], "b does not see a's write")
        XCTAssertTrue(FileManager.default.fileExists(atPath: a.bundle + "/upper/etc/mine"), "the write is in a's upper dir")
        XCTAssertFalse(FileManager.default.fileExists(atPath: layers[1].path + "/etc/mine"), "the layers are not written")

        let sub = try XCTUnwrap(try? Subsystem.read(xml: try runtime.subsystemXML(id: idA)))
        XCTAssertEqual(sub.start("vfs")?.vfs?.overlay?.layers.map(\.chain), ["sha256:1111", "sha256:2222"])
        try runtime.delete(id: idA)
        try runtime.delete(id: idB)
        let mountinfo = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
        XCTAssertFalse(mountinfo.contains(tmp), "no mount is left on the host: \(mountinfo)")
    }

    func testAnOverlayNeedsItsOwnMountNamespace() throws {
        let layers = try makeLayers()
        var c = try container("nomnt", layers: layers, args: ["true"])
        var config = try readConfig(c.bundle)
        if var linux = config["linux"] as? [String: Any], let ns = linux["namespaces"] as? [[String: Any]] {
            linux["namespaces"] = ns.filter { $0["type"] as? String != "mount" }
            config["linux"] = linux
        }
        try writeConfig(c.bundle, config)
        c.overlay.upper = c.bundle + "/upper"
        XCTAssertThrowsError(try run(c, id: uniqueID("ovl-nomnt"))) { error in
            guard case RuntimeError.invalidArgument(let message, let field) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(field, "linux.namespaces")
            XCTAssertTrue(message.contains("overlay"), message)
        }
        XCTAssertTrue(runtime.list().isEmpty, "nothing is left of a refused create")
    }
}
