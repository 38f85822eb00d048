import Foundation
import Glibc
import NestOCI
import XCTest
@testable import NestRuntime

/// USER[:GROUP] against a container's /etc/passwd and /etc/group: the pure
/// parser and resolver (no root), and the reading of the files under a
/// root directory that they must not leave.
final class ContainerUsersTests: XCTestCase {
    typealias Users = ContainerUsers

    static let passwd = """
        root:x:0:0:root:/root:/bin/sh
        # a comment
        www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin
        www:x:80:81:web:/srv/www:/bin/sh
        nobody:x:65534:65534:nobody:/nonexistent:/bin/false
        app:x:1000:1000:App,,,:/home/app:/bin/sh
        app:x:2000:2000:the second app:/home/app2:/bin/sh
        bad uid:x:12a:1:::
        short:x:7
        :x:5:5::/empty-name:
        +nis::0:0:::
        big:x:4294967295:1::/big:
        nohome:x:1500:1500
        relhome:x:1600:1600::home/rel:/bin/sh
        crlf:x:1700:1700::/home/crlf:/bin/sh\r
        """
    static let group = """
        root:x:0:
        staff:x:50:app,www
        web:x:81:www-data
        users:x:100:nobody,app,,appx
        wheel:x:10:ap,app2
        dup:x:100:app
        broken:x:notanumber:app
        video:x:44:app
        """

    func resolve(_ spec: String, passwd: Users.File = .bytes(Array(passwd.utf8)),
                 group: Users.File = .bytes(Array(group.utf8))) throws -> Users.Resolved {
        try Users.resolve(spec, passwd: passwd, group: group)
    }

    func error(_ spec: String, passwd: Users.File = .bytes(Array(passwd.utf8)),
               group: Users.File = .bytes(Array(group.utf8))) -> String? {
        do {
            _ = try Users.resolve(spec, passwd: passwd, group: group)
            return nil
        } catch {
            return error.message
        }
    }

    // MARK: parsing

    func testPasswdSkipsWhatDoesNotParse() {
        let entries = Users.parsePasswd(Array(Self.passwd.utf8))
        XCTAssertEqual(entries.map { String(decoding: $0.name, as: UTF8.self) },
                       ["root", "www-data", "www", "nobody", "app", "app", "nohome", "relhome", "crlf"])
        let app = entries[4]
        XCTAssertEqual(app.uid, 1000)
        XCTAssertEqual(app.gid, 1000)
        XCTAssertEqual(app.home, "/home/app")
        XCTAssertEqual(entries.first { $0.name == Array("nohome".utf8) }?.home, "/", "no home field: /")
        XCTAssertEqual(entries.first { $0.name == Array("relhome".utf8) }?.home, "/", "a relative home is none")
        XCTAssertEqual(entries.first { $0.name == Array("crlf".utf8) }?.home, "/home/crlf")
    }

    func testGroupSkipsWhatDoesNotParse() {
        let groups = Users.parseGroup(Array(Self.group.utf8))
        XCTAssertEqual(groups.map(\.gid), [0, 50, 81, 100, 10, 100, 44])
        XCTAssertEqual(groups[3].members.map { String(decoding: $0, as: UTF8.self) }, ["nobody", "app", "appx"])
        XCTAssertEqual(groups[0].members, [])
    }

    func testBinaryAndNULLinesAreSkipped() {
        let bytes: [UInt8] = Array("evil:x:0:0::/:/bin/sh".utf8) + [0] + Array("\nok:x:9:9::/ok:\n".utf8) + [0xff, 0xfe, 0x0a]
        XCTAssertEqual(Users.parsePasswd(bytes).map(\.uid), [9])
        XCTAssertEqual(Users.parsePasswd([]), [])
    }

    // MARK: names

    func testANameGivesItsIdsGroupsAndHome() throws {
        let app = try resolve("app")
        XCTAssertEqual(app, Users.Resolved(uid: 1000, gid: 1000, additionalGids: [50, 100, 44], home: "/home/app"),
                       "the first entry of a name wins; its groups in file order, each once")
        XCTAssertEqual(try resolve("www-data"), Users.Resolved(uid: 33, gid: 33, additionalGids: [81], home: "/var/www"))
        XCTAssertEqual(try resolve("root"), Users.Resolved(uid: 0, gid: 0, additionalGids: [], home: "/root"))
    }

    func testANameThatIsAPrefixOfAnotherMatchesOnlyItself() throws {
        // www is a prefix of www-data and a member of staff; www-data is not
        XCTAssertEqual(try resolve("www"), Users.Resolved(uid: 80, gid: 81, additionalGids: [50], home: "/srv/www"))
        XCTAssertEqual(try resolve("www-data").additionalGids, [81])
        // "ap" (a member of wheel) is no user; "app" is not a member of wheel
        XCTAssertEqual(error("ap"), "no user ap in the container's /etc/passwd")
        XCTAssertFalse(try resolve("app").additionalGids.contains(10))
        XCTAssertEqual(error("App"), "no user App in the container's /etc/passwd", "names are case-sensitive")
        XCTAssertEqual(error("app "), "no user app  in the container's /etc/passwd")
    }

    func testGroupsByNameAndNumber() throws {
        XCTAssertEqual(try resolve("app:staff"), Users.Resolved(uid: 1000, gid: 50, additionalGids: [], home: "/home/app"),
                       "an explicit group: no supplementary groups")
        XCTAssertEqual(try resolve("app:7"), Users.Resolved(uid: 1000, gid: 7, additionalGids: [], home: "/home/app"))
        XCTAssertEqual(try resolve("1000:staff"), Users.Resolved(uid: 1000, gid: 50, additionalGids: [], home: "/home/app"))
        XCTAssertEqual(error("app:nosuch"), "no group nosuch in the container's /etc/group")
        XCTAssertEqual(error("app:staf"), "no group staf in the container's /etc/group")
        XCTAssertEqual(error("app:broken"), "no group broken in the container's /etc/group", "a group with a bad gid is skipped")
    }

    // MARK: numbers

    func testNumbersNeedNoFile() throws {
        XCTAssertEqual(try resolve("4242", passwd: .missing, group: .missing),
                       Users.Resolved(uid: 4242, gid: nil, additionalGids: [], home: nil))
        XCTAssertEqual(try resolve("4242:17", passwd: .refused("a FIFO"), group: .refused("a FIFO")),
                       Users.Resolved(uid: 4242, gid: 17, additionalGids: [], home: nil))
        // a refused file is ignored for a number, even one it has an entry for
        XCTAssertEqual(try resolve("1000", group: .refused("a FIFO")),
                       Users.Resolved(uid: 1000, gid: 1000, additionalGids: [], home: "/home/app"))
    }

    func testANumberFoundInPasswdIsThatUser() throws {
        XCTAssertEqual(try resolve("1000"), try resolve("app"))
        XCTAssertEqual(try resolve("65534"), Users.Resolved(uid: 65534, gid: 65534, additionalGids: [100], home: "/nonexistent"))
        XCTAssertEqual(try resolve("4242"), Users.Resolved(uid: 4242, gid: nil, additionalGids: [], home: nil))
    }

    func testMalformedSpecs() {
        let usage = "must be USER or USER:GROUP (a name or a number each), got "
        for bad in ["", ":", ":50", "app:", "a\u{0}b"] {
            XCTAssertEqual(error(bad), usage + "\"\(bad)\"", bad)
        }
        // not numbers: names, which are not there
        XCTAssertEqual(error("+5"), "no user +5 in the container's /etc/passwd")
        XCTAssertEqual(error("-1"), "no user -1 in the container's /etc/passwd")
        XCTAssertEqual(error("4294967295"), "no user 4294967295 in the container's /etc/passwd", "(uid_t)-1 is no uid")
        XCTAssertEqual(error("99999999999"), "no user 99999999999 in the container's /etc/passwd")
        XCTAssertEqual(error("app:1:2"), "no group 1:2 in the container's /etc/group")
    }

    func testNamesWithoutFiles() {
        XCTAssertEqual(error("app", passwd: .missing), "no user app: the container has no /etc/passwd")
        XCTAssertEqual(error("app", passwd: .refused("a FIFO; it must be a regular file")),
                       "no user app: cannot read the container's /etc/passwd: a FIFO; it must be a regular file")
        XCTAssertEqual(error("app:staff", group: .missing), "no group staff: the container has no /etc/group")
        XCTAssertEqual(try? resolve("app", group: .missing), Users.Resolved(uid: 1000, gid: 1000, additionalGids: [], home: "/home/app"),
                       "no /etc/group: no supplementary groups")
        XCTAssertEqual(error("app", group: .refused("larger than 1 MiB")),
                       "the groups of app: cannot read the container's /etc/group: larger than 1 MiB")
    }

    // MARK: applying

    func testApplySetsUserGroupsAndHome() throws {
        var p = Spec.Process(user: .init(uid: 0, gid: 0, additionalGids: [10, 11]), env: ["PATH=/bin", "HOME=/root"])
        try resolve("app").apply(to: &p, keepHome: false)
        XCTAssertEqual(p.user.uid, 1000)
        XCTAssertEqual(p.user.gid, 1000)
        XCTAssertEqual(p.user.additionalGids, [50, 100, 44])
        XCTAssertEqual(p.env, ["PATH=/bin", "HOME=/home/app"])

        var kept = Spec.Process(user: .init(uid: 0, gid: 5, additionalGids: [10]), env: ["HOME=/mine"])
        try resolve("4242").apply(to: &kept, keepHome: false)
        XCTAssertEqual(kept.user, .init(uid: 4242, gid: 5, additionalGids: nil), "a UID of no entry keeps the GID, not the groups")
        XCTAssertEqual(kept.env, ["HOME=/mine"], "no entry, no home: HOME stays")

        var none = Spec.Process(env: ["PATH=/bin"])
        try resolve("4242").apply(to: &none, keepHome: false)
        XCTAssertEqual(none.env, ["PATH=/bin", "HOME=/"], "no entry and no HOME: /")

        var asked = Spec.Process(env: ["HOME=/asked"])
        try resolve("app").apply(to: &asked, keepHome: true)
        XCTAssertEqual(asked.env, ["HOME=/asked"])
    }

    // MARK: reading under a root

    var tmp = ""

    override func setUpWithError() throws {
        var template = Array("/tmp/nest-users-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        tmp = String(cString: made)
    }

    override func tearDown() {
        if !tmp.isEmpty { try? FileManager.default.removeItem(atPath: tmp) }
        super.tearDown()
    }

    /// A root directory with /etc made by `setUp`, and what reading its
    /// /etc/passwd gives.
    func readPasswd(_ setUp: (String) throws -> Void) throws -> Users.File {
        let root = tmp + "/root-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        try setUp(root)
        let fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        return ContainerUserFiles.read(root: fd, "/etc/passwd")
    }

    func testFilesAreReadUnderTheRootOnly() throws {
        // the host's file the links point at, with a marker user
        let host = tmp + "/host-passwd"
        try "marker:x:4242:4242::/marker:/bin/sh\n".write(toFile: host, atomically: false, encoding: .utf8)
        let inside = "inside:x:7:7::/in:/bin/sh\n"

        XCTAssertEqual(try readPasswd { r in try inside.write(toFile: r + "/etc/passwd", atomically: false, encoding: .utf8) },
                       .bytes(Array(inside.utf8)))
        XCTAssertEqual(try readPasswd { _ in }, .missing)
        // an absolute link to the host's path: that path in the root, where there is none
        XCTAssertEqual(try readPasswd { r in try FileManager.default.createSymbolicLink(atPath: r + "/etc/passwd", withDestinationPath: host) },
                       .missing)
        // the same path inside the root: that file, not the host's
        XCTAssertEqual(try readPasswd { r in
            try FileManager.default.createDirectory(atPath: r + self.tmp, withIntermediateDirectories: true)
            try inside.write(toFile: r + host, atomically: false, encoding: .utf8)
            try FileManager.default.createSymbolicLink(atPath: r + "/etc/passwd", withDestinationPath: host)
        }, .bytes(Array(inside.utf8)))
        // dot-dots stop at the root
        XCTAssertEqual(try readPasswd { r in
            try FileManager.default.createSymbolicLink(atPath: r + "/etc/passwd", withDestinationPath: "../../../../../../.." + host)
        }, .missing)
        // a root's link to /proc is to its own /proc
        XCTAssertEqual(try readPasswd { r in
            try FileManager.default.createSymbolicLink(atPath: r + "/etc/passwd", withDestinationPath: "/proc/self/root" + host)
        }, .missing)
    }

    func testOnlyASmallRegularFileIsRead() throws {
        XCTAssertEqual(try readPasswd { r in XCTAssertEqual(mkfifo(r + "/etc/passwd", 0o644), 0) },
                       .refused("a FIFO; it must be a regular file"), "a FIFO is not opened: nothing blocks")
        XCTAssertEqual(try readPasswd { r in try FileManager.default.createDirectory(atPath: r + "/etc/passwd", withIntermediateDirectories: false) },
                       .refused("a directory; it must be a regular file"))
        XCTAssertEqual(try readPasswd { r in try FileManager.default.createSymbolicLink(atPath: r + "/etc/passwd", withDestinationPath: "/dev/zero") },
                       .missing, "/dev/zero of the root, which has none")
        XCTAssertEqual(try readPasswd { r in
            try FileManager.default.createSymbolicLink(atPath: r + "/etc/passwd", withDestinationPath: "passwd")
        }, .refused("a symlink loop, or a /proc link out of the container"))
        XCTAssertEqual(try readPasswd { r in
            XCTAssertTrue(FileManager.default.createFile(atPath: r + "/etc/passwd", contents: Data(count: (1 << 20) + 1)))
        }, .refused("larger than 1 MiB"))
        guard case .bytes(let b) = try readPasswd({ r in
            XCTAssertTrue(FileManager.default.createFile(atPath: r + "/etc/passwd", contents: Data(count: 1 << 20)))
        }) else { return XCTFail("1 MiB was refused") }
        XCTAssertEqual(b.count, 1 << 20)
    }

    /// Under the host's root, where /proc is a procfs: a magic link is
    /// refused even when it would lead back to the root, and a file of
    /// /proc reached without one (/proc/self is a plain symlink) is
    /// refused as no file of an image.
    func testProcLinksAndFilesAreRefused() throws {
        let host = tmp + "/host-passwd"
        try "marker:x:4242:4242::/marker:/bin/sh\n".write(toFile: host, atomically: false, encoding: .utf8)
        let root = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        defer { close(root) }
        XCTAssertEqual(ContainerUserFiles.read(root: root, host), .bytes(Array("marker:x:4242:4242::/marker:/bin/sh\n".utf8)))
        for path in ["/proc/self/root" + host, "/proc/\(getpid())/root" + host, "/proc/self/cwd" + host, "/proc/self/fd/\(root)" + host] {
            XCTAssertEqual(ContainerUserFiles.read(root: root, path), .refused("a symlink loop, or a /proc link out of the container"), path)
        }
        XCTAssertEqual(ContainerUserFiles.read(root: root, "/proc/self/environ"), .refused("a file of /proc or /sys"))
        XCTAssertEqual(ContainerUserFiles.read(root: root, "/sys/kernel/uevent_seqnum"), .refused("a file of /proc or /sys"))
    }
}
