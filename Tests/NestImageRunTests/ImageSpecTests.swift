import NestImage
import NestOCI
import XCTest

/// Image config + request → spec (docker's rules for entrypoint and cmd,
/// env merged by key, working dir, user, stop signal), without root.
final class ImageSpecTests: XCTestCase {
    static let root = ImageUser(uid: 0, gid: 0, home: "/root")

    func image(entrypoint: [String]? = nil, cmd: [String]? = ["sh"], env: [String]? = nil, workingDir: String? = nil,
               user: String? = nil, stopSignal: String? = nil) -> ImageConfig {
        ImageConfig(config: .init(entrypoint: entrypoint, cmd: cmd, env: env, workingDir: workingDir, user: user,
                                  stopSignal: stopSignal),
                    rootfs: .init(diffIDs: ["sha256:" + String(repeating: "a", count: 64)]), architecture: "amd64", os: "linux")
    }

    func spec(_ image: ImageConfig, _ run: ImageRun = ImageRun(rootfs: "/c/rootfs"),
              users: (String, String) throws(ImageConfigError) -> ImageUser = { _, _ in root }) throws -> Spec {
        try ImageSpec.spec(image, run, users: users)
    }

    func args(_ image: ImageConfig, entrypoint: [String]? = nil, cmd: [String]? = nil) throws -> [String]? {
        try spec(image, ImageRun(rootfs: "/r", entrypoint: entrypoint, cmd: cmd)).process?.args
    }

    func testEntrypointAndCmdFollowDockersRules() throws {
        let both = image(entrypoint: ["/bin/ep", "-x"], cmd: ["a", "b"])
        XCTAssertEqual(try args(both), ["/bin/ep", "-x", "a", "b"])
        XCTAssertEqual(try args(both, cmd: ["c"]), ["/bin/ep", "-x", "c"], "arguments replace Cmd, keep Entrypoint")
        XCTAssertEqual(try args(both, entrypoint: ["/bin/other"]), ["/bin/other"], "--entrypoint drops Cmd")
        XCTAssertEqual(try args(both, entrypoint: ["/bin/other"], cmd: ["z"]), ["/bin/other", "z"])
        XCTAssertEqual(try args(both, entrypoint: [], cmd: ["/bin/sh"]), ["/bin/sh"], "an empty --entrypoint clears it")
        XCTAssertEqual(try args(image(cmd: ["/bin/sh", "-c", "true"])), ["/bin/sh", "-c", "true"])
        XCTAssertEqual(try args(image(cmd: ["sh"]), cmd: []), ["sh"], "no arguments keep Cmd")
        XCTAssertThrowsError(try args(image(cmd: nil))) { error in
            XCTAssertEqual((error as? ImageConfigError)?.field, "cmd")
            XCTAssertTrue("\(error)".contains("no Entrypoint or Cmd"), "\(error)")
        }
        XCTAssertThrowsError(try args(both, entrypoint: [""])) { XCTAssertEqual(($0 as? ImageConfigError)?.field, "entrypoint") }
    }

    func testEnvIsMergedByKeyLaterWins() throws {
        let s = try spec(image(env: ["PATH=/opt/bin:/bin", "A=image", "B=image"]),
                         ImageRun(rootfs: "/r", env: ["B=request", "C=x=y"]))
        XCTAssertEqual(s.process?.env, ["PATH=/opt/bin:/bin", "TERM=xterm", "A=image", "B=request", "C=x=y", "HOME=/root"])
        XCTAssertThrowsError(try spec(image(), ImageRun(rootfs: "/r", env: ["A=1", "NOEQUALS"]))) {
            XCTAssertEqual(($0 as? ImageConfigError)?.field, "env[1]")
        }
        XCTAssertThrowsError(try spec(image(env: ["=x"]))) { XCTAssertEqual(($0 as? ImageConfigError)?.field, "config.Env[0]") }
        let home = try spec(image(env: ["HOME=/data"]))
        XCTAssertEqual(home.process?.env?.filter { $0.hasPrefix("HOME=") }, ["HOME=/data"], "a HOME given is kept")
    }

    func testWorkingDir() throws {
        XCTAssertEqual(try spec(image()).process?.cwd, "/")
        XCTAssertEqual(try spec(image(workingDir: "/srv")).process?.cwd, "/srv")
        XCTAssertEqual(try spec(image(workingDir: "/srv"), ImageRun(rootfs: "/r", workingDir: "/tmp")).process?.cwd, "/tmp")
        XCTAssertThrowsError(try spec(image(), ImageRun(rootfs: "/r", workingDir: "tmp"))) {
            XCTAssertEqual(($0 as? ImageConfigError)?.field, "workingDir")
        }
        XCTAssertThrowsError(try spec(image(workingDir: "srv"))) { XCTAssertEqual(($0 as? ImageConfigError)?.field, "config.WorkingDir") }
    }

    func testUserComesFromRequestOrImageAndIsResolvedByTheCaller() throws {
        var asked: [String] = []
        let users: (String, String) throws(ImageConfigError) -> ImageUser = { spec, field in
            asked.append("\(spec)@\(field)")
            return ImageUser(uid: 1000, gid: 100, additionalGids: [5], home: "/home/app")
        }
        let s = try spec(image(user: "app"), users: users)
        XCTAssertEqual(asked, ["app@config.User"])
        XCTAssertEqual(s.process?.user.uid, 1000)
        XCTAssertEqual(s.process?.user.gid, 100)
        XCTAssertEqual(s.process?.user.additionalGids, [5])
        XCTAssertTrue(s.process?.env?.contains("HOME=/home/app") ?? false)
        XCTAssertEqual(s.process?.capabilities?.ambient, [], "no ambient capabilities for a user other than root")
        XCTAssertEqual(s.process?.capabilities?.effective, [], "a user other than root holds none")
        XCTAssertEqual(s.process?.capabilities?.bounding, ImageSpec.dockerCapabilities)
        _ = try spec(image(user: "app"), ImageRun(rootfs: "/r", user: "other:grp"), users: users)
        XCTAssertEqual(asked.last, "other:grp@user")
        _ = try spec(image(), users: users)
        XCTAssertEqual(asked.last, "0@config.User", "no user is root")
        XCTAssertThrowsError(try spec(image(), ImageRun(rootfs: "/r", user: ""))) { XCTAssertEqual(($0 as? ImageConfigError)?.field, "user") }
    }

    func testRootHoldsTheCapabilitiesImagesExpect() throws {
        let caps = try XCTUnwrap(try spec(image()).process?.capabilities)
        for set in [caps.bounding, caps.effective, caps.permitted] {
            XCTAssertEqual(set, ImageSpec.dockerCapabilities)
        }
        XCTAssertTrue(ImageSpec.dockerCapabilities.contains("CAP_CHOWN"))
        XCTAssertEqual(caps.inheritable, [])
        XCTAssertEqual(caps.ambient, [])
    }

    func testRootTerminalHostnameAndStopSignal() throws {
        let s = try spec(image(stopSignal: "SIGQUIT"), ImageRun(rootfs: "/c/rootfs", hostname: "abc"))
        XCTAssertEqual(s.root, Spec.Root(path: "/c/rootfs", readonly: false))
        XCTAssertEqual(s.process?.terminal, false)
        XCTAssertEqual(s.hostname, "abc")
        XCTAssertEqual(s.annotations?[ImageSpec.stopSignalAnnotation], "SIGQUIT")
        XCTAssertEqual(try spec(image(), ImageRun(rootfs: "/r", tty: true)).process?.terminal, true)
        XCTAssertEqual(s.linux?.namespaces?.contains { $0.type == "mount" && $0.path == nil }, true,
                       "a mount namespace of its own: the overlay is mounted there")
        XCTAssertEqual(s.validate().map(\.description), [])
    }

    func testConfigReaderNamesTheField() throws {
        let good = #"{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/bin/sh"],"Env":["A=1"],"Volumes":{"/data":{}},"ExposedPorts":{"80/tcp":{}}},"rootfs":{"type":"layers","diff_ids":["sha256:aa"]},"history":[]}"#
        let c = try ImageConfig.read(Array(good.utf8))
        XCTAssertEqual(c.config?.entrypoint, ["/bin/sh"])
        XCTAssertEqual(c.config?.volumes, ["/data": ImageConfig.Empty()])
        XCTAssertEqual(c.rootfs.diffIDs, ["sha256:aa"])
        let cases: [(String, String)] = [
            (#"{"os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#, "architecture"),
            (#"{"architecture":"amd64","os":"linux","config":{"Cmd":"sh"},"rootfs":{"type":"layers","diff_ids":[]}}"#, "config.Cmd"),
            (#"{"architecture":"amd64","os":"linux","config":{"Env":["A",1]},"rootfs":{"type":"layers","diff_ids":[]}}"#, "config.Env[1]"),
            (#"{"architecture":"amd64","os":"linux","rootfs":{"type":"tar","diff_ids":[]}}"#, "rootfs.type"),
        ]
        for (json, field) in cases {
            XCTAssertThrowsError(try ImageConfig.read(Array(json.utf8)), json) { XCTAssertEqual(($0 as? ImageConfigError)?.field, field, "\($0)") }
        }
    }
}
