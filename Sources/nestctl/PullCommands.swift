import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import NestAPI
import NestCtlFormat

struct Pull: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Pull an image from a registry into nestd's image store.",
        discussion: "REF is docker-style: busybox, busybox:1.36, localhost:5000/x/y:tag, name@sha256:…")
    @OptionGroup var options: ClientOptions
    @Flag(help: "Use plain HTTP for a registry on localhost, 127.0.0.1 or ::1.")
    var insecure = false
    @Option(name: .customLong("insecure-registry"), help: "Use plain HTTP for this registry (host[:port]); repeatable.")
    var insecureRegistries: [String] = []
    @Flag(help: "Print no progress, only the image id.")
    var quiet = false
    @Argument(help: "The image reference.")
    var ref: String

    func run() throws {
        let body = try JSONEncoder().encode(PullRequest(ref: ref, insecure: insecure ? true : nil,
                                                        insecureRegistries: insecureRegistries.isEmpty ? nil : insecureRegistries))
        var view = PullProgressView(terminal: isatty(1) == 1)
        var pending: [UInt8] = []
        var status = 0
        var errorBody: [UInt8] = []
        var result: PullLine?
        do {
            try options.client.http.stream("POST", "/v1/images/pull", body: Array(body), onHead: { s, _ in status = s }, onData: { chunk in
                if status >= 400 { errorBody += chunk; return true }
                pending += chunk
                while let nl = pending.firstIndex(of: 0x0a) {
                    let raw = Array(pending[..<nl])
                    pending.removeSubrange(...nl)
                    guard let line = try? JSONDecoder().decode(PullLine.self, from: Data(raw)) else { continue }
                    if line.image != nil || line.error != nil { result = line; continue }
                    if !quiet { writeStdout(view.update(line)) }
                }
                return true
            })
        } catch {
            printError("\(error)")
            throw ExitCode.failure
        }
        if status >= 400 {
            try options.client.fail(.init(status: status, headers: [:], body: errorBody), flags: ["ref": "REF", "insecure": "--insecure"])
        }
        if let error = result?.error {
            printError("pull \(ref): \(error)")
            throw ExitCode.failure
        }
        guard let image = result?.image else {
            printError("pull \(ref): the daemon ended the stream without an answer")
            throw ExitCode.failure
        }
        print(quiet ? image.id : "pulled \(image.name) (\(image.id), \(PullProgressView.bytes(image.size)))")
    }
}

/// `nestctl login` and `logout` write the file nestd reads when it pulls:
/// DATA/auth.json of the daemon (default /var/lib/nest/auth.json), mode 0600.
struct AuthFileOption: ParsableArguments {
    @Option(name: .customLong("auth-file"), help: "The credentials file (default: $NEST_AUTH_FILE, else /var/lib/nest/auth.json, which nestd --data /var/lib/nest reads).")
    var path: String?

    var resolved: String {
        path ?? ProcessInfo.processInfo.environment["NEST_AUTH_FILE"] ?? RegistryCredentials.defaultPath()
    }
}

struct Login: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Store credentials for a registry, for nestd's pulls.",
        discussion: "nestd first asks the registry whether it takes them; refused credentials are not stored.")
    @OptionGroup var options: ClientOptions
    @OptionGroup var file: AuthFileOption
    @Flag(help: "Use plain HTTP for a registry on localhost, 127.0.0.1 or ::1.")
    var insecure = false
    @Option(name: [.short, .long], help: "The user name (asked for when missing).")
    var username: String?
    @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input.")
    var passwordStdin = false
    @Argument(help: "The registry: host[:port], or docker.io.")
    var registry: String

    func run() throws {
        guard !registry.isEmpty, !registry.contains("/") else {
            throw ValidationError("REGISTRY must be a host[:port] such as localhost:5000 or docker.io, got \"\(registry)\"")
        }
        var user = username
        if user == nil {
            guard !passwordStdin, isatty(0) == 1 else { throw ValidationError("--username is needed with --password-stdin or without a terminal") }
            writeStdout("Username: ")
            user = readLine(strippingNewline: true)
        }
        guard let user, !user.isEmpty else { throw ValidationError("--username: empty") }
        let password: String
        if passwordStdin {
            var text = ""
            while let l = readLine(strippingNewline: false) { text += l }
            password = String(text.reversed().drop { $0 == "\n" || $0 == "\r" }.reversed())
        } else {
            guard isatty(0) == 1, let p = getpass("Password: ") else {
                throw ValidationError("no terminal to ask for the password: use --password-stdin")
            }
            password = String(cString: p)
        }
        guard !password.isEmpty else { throw ValidationError("the password is empty") }
        let _: LoginResponse = try options.client.post(
            "/auth", LoginRequest(registry: registry, username: user, password: password, insecure: insecure ? true : nil),
            flags: ["registry": "REGISTRY", "username": "--username", "password": "the password", "insecure": "--insecure"])
        let path = file.resolved
        do {
            var c = try RegistryCredentials.load(path: path)
            c.set(registry: registry, username: user, password: password)
            try c.save(path: path)
        } catch {
            printError(error.message)
            throw ExitCode.failure
        }
        print("Login stored for \(registry) in \(path)")
    }
}

struct Logout: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Remove the stored credentials of a registry.")
    @OptionGroup var file: AuthFileOption
    @Argument(help: "The registry: host[:port], or docker.io.")
    var registry: String

    func run() throws {
        let path = file.resolved
        do {
            var c = try RegistryCredentials.load(path: path)
            guard c.remove(registry: registry) else {
                printError("not logged in to \(registry) (\(path))")
                throw ExitCode.failure
            }
            try c.save(path: path)
        } catch let e as CredentialsError {
            printError(e.message)
            throw ExitCode.failure
        }
        print("Removed login for \(registry)")
    }
}

func writeStdout(_ text: String) {
    guard !text.isEmpty else { return }
    _ = text.withCString { write(1, $0, strlen($0)) }
}
