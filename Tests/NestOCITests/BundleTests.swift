import Foundation
import Testing
@testable import NestOCI

@Suite struct BundleTests {
    @Test func loadsBundleAndResolvesRootfs() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/rootfs", withIntermediateDirectories: false)
        try Data(Fixtures.bytes("runc-spec.json")).write(to: URL(fileURLWithPath: dir + "/config.json"))
        let bundle = try BundleLoader.load(dir + "/./")
        #expect(bundle.path == dir)
        #expect(bundle.rootfsPath == dir + "/rootfs")
        #expect(bundle.spec.process?.args == ["sh"])

        // A relative bundle path is taken from the working directory (not
        // changed here: tests run in parallel in one process).
        let depth = FileManager.default.currentDirectoryPath.split(separator: "/").count
        let relative = String(repeating: "../", count: depth) + dir.dropFirst()
        #expect(try BundleLoader.load(relative).rootfsPath == dir + "/rootfs")
    }

    @Test func absoluteRootPathIsKept() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(config(#""root": {"path": "/tmp"}"#).utf8).write(to: URL(fileURLWithPath: dir + "/config.json"))
        #expect(try BundleLoader.load(dir).rootfsPath == "/tmp")
    }

    @Test func missingConfigNamesThePath() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: SpecErrors([SpecError(path: "", message: "\(dir)/config.json: No such file or directory")])) {
            try BundleLoader.load(dir)
        }
        #expect(throws: SpecErrors([SpecError(path: "", message: "bundle \(dir)/nope: No such file or directory")])) {
            try BundleLoader.load(dir + "/nope")
        }
    }

    @Test func missingRootfsAndSpecProblemsAreReportedTogether() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(config(#""hostname": "x""#).utf8).write(to: URL(fileURLWithPath: dir + "/config.json"))
        #expect(throws: SpecErrors([
            SpecError(path: "hostname", message: "requires a uts namespace in linux.namespaces"),
            SpecError(path: "root.path", message: "rootfs \(dir)/rootfs: No such file or directory"),
        ])) {
            try BundleLoader.load(dir)
        }
    }

    @Test func brokenJSONNamesTheFile() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data("{\n\"ociVersion\": ".utf8).write(to: URL(fileURLWithPath: dir + "/config.json"))
        #expect(throws: SpecErrors([SpecError(path: "", message: "\(dir)/config.json: invalid JSON at line 2, column 15: unexpected end of input")])) {
            try BundleLoader.load(dir)
        }
    }
}

@Suite struct PlatformSectionTests {
    func load(_ members: String) throws -> NestOCI.Bundle {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/rootfs", withIntermediateDirectories: false)
        try Data(config(members).utf8).write(to: URL(fileURLWithPath: dir + "/config.json"))
        return try BundleLoader.load(dir)
    }

    @Test func aVMSectionIsRefusedByName() throws {
        #expect(throws: SpecErrors([SpecError(path: "vm", message: "virtual-machine-based containers are not supported: Nest runs the process in namespaces of this kernel")])) {
            try load(#""vm": {"kernel": {"path": "/boot/vmlinuz"}}"#)
        }
    }

    @Test func otherPlatformsSectionsAndANullVMPass() throws {
        _ = try load(#""vm": null, "windows": {"layerFolders": []}, "solaris": {}, "zos": {}, "annotations": {"vm": "x"}"#)
    }
}
