import Foundation
import XCTest
@testable import NestImage
import CArchive

/// Builds the tars the tests unpack with python's tarfile: any name (the
/// hostile ones too), any type, owner, mode, time and xattr, which `tar`
/// the command would refuse or rewrite.
enum TarTool {
    struct Entry: Encodable {
        var name: String
        var type = "file"
        var data = ""
        var mode = 0o644
        var uid = 0
        var gid = 0
        var mtime = 1_500_000_000
        var link = ""
        var major = 0
        var minor = 0
        var xattrs: [String: String] = [:]
        var from = ""   // a host file whose bytes are the data

        static func dir(_ n: String, mode: Int = 0o755, mtime: Int = 1_500_000_000) -> Entry { Entry(name: n, type: "dir", mode: mode, mtime: mtime) }
        static func file(_ n: String, _ data: String, mode: Int = 0o644) -> Entry { Entry(name: n, data: data, mode: mode) }
        static func symlink(_ n: String, _ to: String) -> Entry { Entry(name: n, type: "symlink", mode: 0o777, link: to) }
        static func hardlink(_ n: String, _ to: String) -> Entry { Entry(name: n, type: "hardlink", link: to) }
    }

    static let script = #"""
import json, sys, tarfile, io
out, entries = sys.argv[1], json.load(sys.stdin)
types = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE,
         "char": tarfile.CHRTYPE, "block": tarfile.BLKTYPE, "fifo": tarfile.FIFOTYPE}
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
    for e in entries:
        i = tarfile.TarInfo(e["name"])
        i.type = types[e["type"]]
        i.mode, i.uid, i.gid, i.mtime = e["mode"], e["uid"], e["gid"], e["mtime"]
        i.linkname = e["link"]
        i.devmajor, i.devminor = e["major"], e["minor"]
        i.pax_headers = {"SCHILY.xattr." + k: v for k, v in e["xattrs"].items()}
        data = open(e["from"], "rb").read() if e["from"] else e["data"].encode()
        if i.type == tarfile.REGTYPE:
            i.size = len(data)
            t.addfile(i, io.BytesIO(data))
        else:
            t.addfile(i)
"""#

    /// Writes the tar of ENTRIES to PATH.
    static func write(_ path: String, _ entries: [Entry]) throws {
        let s = NSTemporaryDirectory() + "nest-tartool.py"
        try script.write(toFile: s, atomically: true, encoding: .utf8)
        let input = try JSONEncoder().encode(entries)
        try sh(["python3", s, path], input: input)
    }

    @discardableResult
    static func sh(_ args: [String], input: Data? = nil, cwd: String? = nil) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        let inPipe = Pipe(), outPipe = Pipe()
        p.standardInput = inPipe
        p.standardOutput = outPipe
        p.standardError = outPipe
        try p.run()
        if let input { inPipe.fileHandleForWriting.write(input) }
        try inPipe.fileHandleForWriting.close()
        let out = String(decoding: outPipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw NSError(domain: "sh", code: Int(p.terminationStatus), userInfo: [NSLocalizedDescriptionKey: "\(args.joined(separator: " ")): \(out)"])
        }
        return out
    }
}

/// A store in a temp dir, and images made of tars the test builds.
class StoreTestCase: XCTestCase {
    var dir = ""
    var store: ImageStore!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "nest-image-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        store = try ImageStore(root: dir + "/images")
    }

    override func tearDownWithError() throws {
        if !dir.isEmpty { try FileOps.removeTree(dir) }
    }

    func requireRoot() throws {
        try XCTSkipUnless(getuid() == 0, "unpacking devices, owners and trusted xattrs needs root")
    }

    var tarCount = 0

    /// A layer: its blob's path (compressed as asked) and its DiffID.
    func layer(_ entries: [TarTool.Entry], compress: String? = nil) throws -> (path: String, diffID: String, mediaType: String) {
        tarCount += 1
        let p = dir + "/layer\(tarCount).tar"
        try TarTool.write(p, entries)
        let diffID = Digest.sha256(try Data(contentsOf: URL(fileURLWithPath: p)))
        if let compress {
            try TarTool.sh(compress == "zstd" ? ["zstd", "-q", "-f", "--rm", p] : ["gzip", "-f", p])
            try FileManager.default.moveItem(atPath: p + (compress == "gzip" ? ".gz" : ".zst"), toPath: p)
        }
        let type = compress == "gzip" ? MediaType.ociLayerGzip : compress == "zstd" ? MediaType.ociLayerZstd : MediaType.ociLayer
        return (p, diffID, type)
    }

    /// The config, manifest and blobs of an image of LAYERS, in the store's
    /// blobs; returns the manifest and config digests.
    func ingestImage(_ layers: [(path: String, diffID: String, mediaType: String)], diffIDs: [String]? = nil,
                     cmd: [String] = ["sh"]) throws -> (manifest: String, config: String) {
        var process = ImageConfig.Process()
        process.cmd = cmd
        let cfg = ImageConfig(config: process, rootfs: .init(diffIDs: diffIDs ?? layers.map(\.diffID)), architecture: "amd64", os: "linux")
        let cfgBytes = Array(try JSONEncoder().encode(cfg))
        let c = try store.blobs.ingest(bytes: cfgBytes)
        var descs: [Descriptor] = []
        for l in layers {
            let d = try store.blobs.ingest(digest: nil, size: nil, file: l.path)
            descs.append(Descriptor(mediaType: l.mediaType, digest: d.digest, size: d.size))
        }
        let m = Manifest(mediaType: MediaType.ociManifest, config: Descriptor(mediaType: MediaType.ociConfig, digest: c.digest, size: c.size), layers: descs)
        let md = try store.blobs.ingest(bytes: Array(try JSONEncoder().encode(m)))
        return (md.digest, c.digest)
    }

    func commit(_ layers: [(path: String, diffID: String, mediaType: String)], name: String?) throws -> ImageRecord {
        let (m, c) = try ingestImage(layers)
        return try store.commit(manifest: m, config: c, name: name)
    }

    func names(_ sub: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: store.root + "/" + sub)) ?? []).sorted()
    }

    func lstatOf(_ path: String) -> stat? {
        var st = stat()
        return lstat(path, &st) == 0 ? st : nil
    }

    func xattr(_ path: String, _ name: String) -> String? {
        var buf = [UInt8](repeating: 0, count: 256)
        let n = lgetxattr(path, name, &buf, buf.count)
        return n < 0 ? nil : String(decoding: buf[0..<n], as: UTF8.self)
    }

    func assertThrows(_ body: () throws -> Void, kind: ImageError.Kind, contains: String..., file: StaticString = #filePath, line: UInt = #line) {
        do {
            try body()
            XCTFail("no error; expected one containing \(contains)", file: file, line: line)
        } catch let e as ImageError {
            XCTAssertEqual(e.kind, kind, e.message, file: file, line: line)
            for c in contains { XCTAssertTrue(e.message.contains(c), "\"\(e.message)\" does not contain \"\(c)\"", file: file, line: line) }
        } catch {
            XCTFail("not an ImageError: \(error)", file: file, line: line)
        }
    }
}
