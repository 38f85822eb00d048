import XCTest
@testable import NestRuntime

/// OCI mount options as the plan's `mount` record carries them: flags set
/// and cleared in order, one propagation, the rest as fs data. No root.
final class MountOptionsTests: XCTestCase {
    typealias M = MountOptions

    /// The values of <linux/mount.h>: the monitor passes them to mount(2) as they are.
    func testEveryFlagOptionSetsTheKernelBit() {
        let expected: [String: UInt64] = [
            "ro": 0x1, "nosuid": 0x2, "nodev": 0x4, "noexec": 0x8, "sync": 0x10, "remount": 0x20, "mand": 0x40,
            "dirsync": 0x80, "nosymfollow": 0x100, "noatime": 0x400, "nodiratime": 0x800, "bind": 0x1000,
            "rbind": 0x1000 | 0x4000, "silent": 0x8000, "relatime": 0x200000, "iversion": 0x800000,
            "strictatime": 0x1000000, "lazytime": 0x2000000,
        ]
        for (option, bits) in expected {
            let o = M([option])
            XCTAssertEqual(o.flags, bits, option)
            XCTAssertEqual(o.propagation, 0, option)
            XCTAssertEqual(o.data, [], option)
            XCTAssertEqual(o.unsupported, [], option)
        }
    }

    func testEveryClearingOptionRemovesItsBitAndNothingElse() {
        let pairs: [(set: String, clear: String)] = [
            ("ro", "rw"), ("nosuid", "suid"), ("nodev", "dev"), ("noexec", "exec"), ("sync", "async"),
            ("mand", "nomand"), ("nosymfollow", "symfollow"), ("noatime", "atime"), ("nodiratime", "diratime"),
            ("relatime", "norelatime"), ("iversion", "noiversion"), ("strictatime", "nostrictatime"),
            ("lazytime", "nolazytime"), ("silent", "loud"),
        ]
        for (set, clear) in pairs {
            let other = set == "nodev" ? "noexec" : "nodev"
            XCTAssertEqual(M([other, set, clear]), M([other]), "\(set) then \(clear)")
            XCTAssertEqual(M([clear]).flags, 0, clear)
            XCTAssertEqual(M([clear]).data, [], clear)
        }
    }

    func testTheLastOfTwoContraryOptionsWins() {
        XCTAssertFalse(M(["ro", "rw"]).readonly)
        XCTAssertTrue(M(["rw", "ro"]).readonly)
        XCTAssertEqual(M(["noexec", "exec", "noexec"]).flags, M.noexec)
    }

    func testRecursiveSettingVariantsSetThePlainFlag() {
        // The monitor applies these attributes recursively to an rbind's
        // submounts; any other mount has none when made.
        let pairs = ["rro": "ro", "rnosuid": "nosuid", "rnodev": "nodev", "rnoexec": "noexec", "rnoatime": "noatime",
                     "rnodiratime": "nodiratime", "rstrictatime": "strictatime", "rrelatime": "relatime"]
        for (recursive, plain) in pairs {
            XCTAssertEqual(M(["rbind", recursive]), M(["rbind", plain]), recursive)
        }
        XCTAssertTrue(M(["rbind", "rro"]).readonly)
        XCTAssertEqual(M(["rbind", "rro"]).flags, M.bind | M.rec | M.rdonly)
    }

    func testOptionsThePlanCannotCarryAreKeptAsUnsupportedNotDropped() {
        for option in ["rrw", "rsuid", "rdev", "rexec", "ratime", "rdiratime", "rnorelatime", "rnostrictatime",
                       "rsymfollow", "rnosymfollow", "idmap", "ridmap", "tmpcopyup"] {
            let o = M(["rbind", option, "nodev"])
            XCTAssertEqual(o.unsupported, [option], option)
            XCTAssertEqual(o.flags, M.bind | M.rec | M.nodev, option)
            XCTAssertEqual(o.data, [], option)
        }
        XCTAssertEqual(M(["idmap", "ro", "tmpcopyup"]).unsupported, ["idmap", "tmpcopyup"])
    }

    func testPropagationOptionsAndTheirRecursiveForms() {
        let expected: [String: UInt64] = [
            "private": 0x40000, "rprivate": 0x40000 | 0x4000, "shared": 0x100000, "rshared": 0x100000 | 0x4000,
            "slave": 0x80000, "rslave": 0x80000 | 0x4000, "unbindable": 0x20000, "runbindable": 0x20000 | 0x4000,
        ]
        for (option, bits) in expected {
            let o = M(["bind", option])
            XCTAssertEqual(o.propagation, bits, option)
            XCTAssertEqual(o.flags, M.bind, "\(option) is no mount flag")
            XCTAssertEqual(M.propagation(named: option), bits, option)
        }
        XCTAssertEqual(M(["shared", "rslave"]).propagation, M.slave | M.rec, "the last propagation wins")
        XCTAssertNil(M.propagation(named: "ro"))
    }

    func testUnknownOptionsAreFileSystemDataInOrder() {
        let o = M(["nosuid", "mode=755", "size=65536k", "newinstance", "gid=5"])
        XCTAssertEqual(o.flags, M.nosuid)
        XCTAssertEqual(o.data, ["mode=755", "size=65536k", "newinstance", "gid=5"])
        XCTAssertEqual(o.unsupported, [])
    }

    func testDefaultsAndNoOptionsAskForNothing() {
        XCTAssertEqual(M(["defaults"]), M([]))
        XCTAssertEqual(M([]).flags, 0)
        XCTAssertEqual(M([]).data, [])
        XCTAssertFalse(M([]).readonly)
    }
}
