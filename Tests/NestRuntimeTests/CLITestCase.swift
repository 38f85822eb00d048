import Foundation
import XCTest

/// Base of the tests that drive the `nest` command itself, as an engine or
/// a person runs it: each gets the binary, its own state root, and at the
/// end every container the command left is deleted with the command.
class CLITestCase: RootTestCase {
    var nestBinary = ""

    override func setUpWithError() throws {
        try super.setUpWithError()
        guard let found = TestEnv.nestBinary else { throw XCTSkip("no nest binary (set NEST_BIN or run scripts/build.sh)") }
        nestBinary = found
    }

    override func tearDown() {
        if !tmp.isEmpty, let ids = try? FileManager.default.contentsOfDirectory(atPath: stateRoot) {
            for id in ids { _ = try? nest(["delete", "--force", id]) }
        }
        super.tearDown()
    }

    /// Runs `nest --root STATE GLOBAL... ARGS...`; stdout and stderr go to
    /// files, so that a container which inherits them does not hold a pipe
    /// open.
    func nest(_ args: [String], global: [String] = []) throws -> HostResult {
        let out = tmp + "/nest.out", err = tmp + "/nest.err"
        let quoted = ([nestBinary, "--root", stateRoot] + global + args).map { "'" + $0 + "'" }.joined(separator: " ")
        let r = try runHost(["/bin/sh", "-c", "\(quoted) </dev/null >'\(out)' 2>'\(err)'"],
                            env: ["NEST_LIBEXEC": TestEnv.libexec])
        return HostResult(code: r.code, stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
                          stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }
}
