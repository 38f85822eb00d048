import NestRuntime

/// The commands engines call for every container (create, start, state,
/// kill, delete, run) in the grammar runc accepts, parsed without
/// ArgumentParser. ArgumentParser builds its parser by reflection on every
/// start, which costs more CPU than creating the container (see
/// docs/performance.md); anything this parser does not recognize (help,
/// version, a typo) goes to ArgumentParser, which explains it.
enum FastPath {
    struct Parsed {
        var root = "/run/nest"
        var command = ""
        var values: [String: String] = [:]
        var flags: Set<String> = []
        var positional: [String] = []
        /// Options given more than once (exec's --env, --cap, --additional-gids).
        var lists: [String: [String]] = [:]
    }

    static let globalValues: Set<String> = ["--root", "--log", "--log-format", "--criu", "--rootless"]
    static let globalFlags: Set<String> = ["--systemd-cgroup", "--debug"]
    static let commandValues: [String: [String: String]] = [
        "create": ["--bundle": "bundle", "-b": "bundle", "--pid-file": "pid-file", "--console-socket": "console-socket",
                   "--preserve-fds": "preserve-fds"],
        "run": ["--bundle": "bundle", "-b": "bundle", "--pid-file": "pid-file", "--console-socket": "console-socket",
                "--preserve-fds": "preserve-fds"],
        "start": [:], "state": [:], "kill": [:], "delete": [:],
        "exec": ["--process": "process", "-p": "process", "--pid-file": "pid-file", "--console-socket": "console-socket",
                 "--cwd": "cwd", "--env": "env", "-e": "env", "--user": "user", "-u": "user",
                 "--additional-gids": "additional-gids", "-g": "additional-gids", "--cap": "cap", "-c": "cap",
                 "--preserve-fds": "preserve-fds", "--apparmor": "apparmor", "--process-label": "process-label"],
    ]
    static let repeatable: Set<String> = ["env", "additional-gids", "cap"]
    static let commandFlags: [String: [String: String]] = [
        "create": ["--no-pivot": "no-pivot", "--no-new-keyring": "no-new-keyring"],
        "run": ["--no-pivot": "no-pivot", "--no-new-keyring": "no-new-keyring", "--detach": "detach", "-d": "detach",
                "--keep": "keep"],
        "start": [:], "state": [:], "kill": ["--all": "all", "-a": "all"], "delete": ["--force": "force", "-f": "force"],
        "exec": ["--detach": "detach", "-d": "detach", "--tty": "tty", "-t": "tty", "--no-new-privs": "no-new-privs"],
    ]

    static func parse(_ args: [String]) -> Parsed? {
        var p = Parsed()
        var i = 0
        func value(_ arg: String) -> (String, String?)? {
            if let eq = arg.firstIndex(of: "=") { return (String(arg[..<eq]), String(arg[arg.index(after: eq)...])) }
            return (arg, nil)
        }
        while i < args.count {
            let arg = args[i]
            guard let (name, inline) = value(arg) else { return nil }
            if p.command.isEmpty {
                if globalValues.contains(name) {
                    guard let v = inline ?? (i + 1 < args.count ? args[i + 1] : nil) else { return nil }
                    if inline == nil { i += 1 }
                    if name == "--root" { p.root = v }
                } else if globalFlags.contains(arg) {
                } else if commandValues[arg] != nil {
                    p.command = arg
                } else {
                    return nil
                }
            } else if arg.hasPrefix("-") && arg != "-" {
                if let key = commandValues[p.command]?[name] {
                    guard let v = inline ?? (i + 1 < args.count ? args[i + 1] : nil) else { return nil }
                    if inline == nil { i += 1 }
                    if repeatable.contains(key) { p.lists[key, default: []].append(v) } else { p.values[key] = v }
                } else if let key = commandFlags[p.command]?[arg] {
                    p.flags.insert(key)
                } else if globalValues.contains(name) {
                    // runc accepts global options after the command too.
                    guard let v = inline ?? (i + 1 < args.count ? args[i + 1] : nil) else { return nil }
                    if inline == nil { i += 1 }
                    if name == "--root" { p.root = v }
                } else if !globalFlags.contains(arg) {
                    return nil
                }
            } else {
                p.positional.append(arg)
                // exec: what follows the id is the command, options and all
                if p.command == "exec" {
                    p.positional += args[(i + 1)...]
                    break
                }
            }
            i += 1
        }
        let wanted = p.command == "kill" ? 1...2 : p.command == "exec" ? 1...Int.max : 1...1
        guard !p.command.isEmpty, wanted.contains(p.positional.count) else { return nil }
        // anything but a plain count is ArgumentParser's to explain
        if let fds = p.values["preserve-fds"], Int(fds).map({ $0 >= 0 && String($0) == fds }) != true { return nil }
        return p
    }

    /// Runs the command and returns the exit status, or nil when ArgumentParser should take the line.
    static func run(_ args: [String]) -> Int32? {
        guard let p = parse(args) else { return nil }
        let id = p.positional[0]
        let preserveFds = p.values["preserve-fds"].flatMap { Int($0) } ?? 0
        do throws(RuntimeError) {
            switch p.command {
            case "create":
                let options = Operations.createOptions(bundle: p.values["bundle"] ?? ".", pidFile: p.values["pid-file"],
                                                       consoleSocket: p.values["console-socket"], preserveFds: preserveFds)
                try Operations.create(root: p.root, id: id, options: options)
            case "run":
                let options = Operations.createOptions(bundle: p.values["bundle"] ?? ".", pidFile: p.values["pid-file"],
                                                       consoleSocket: p.values["console-socket"], preserveFds: preserveFds)
                return try Operations.run(root: p.root, id: id, options: options, detach: p.flags.contains("detach"),
                                          keep: p.flags.contains("keep"))
            case "start": try Operations.start(root: p.root, id: id)
            case "state": try Operations.state(root: p.root, id: id)
            case "kill":
                // a bad signal is a usage error (exit 2), like a bad option
                do throws(RuntimeError) { _ = try Signals.parse(p.positional.count > 1 ? p.positional[1] : "TERM", allowZero: true) } catch {
                    let m = if case .invalidArgument(let m, _) = error { m } else { error.description }
                    writeStderr("Error: " + m + "\n")
                    ErrorLog.record("Error: " + m, arguments: args)
                    return 2
                }
                try Operations.kill(root: p.root, id: id, signal: p.positional.count > 1 ? p.positional[1] : "TERM",
                                    all: p.flags.contains("all"))
            case "delete": try Operations.delete(root: p.root, id: id, force: p.flags.contains("force"))
            case "exec":
                let options = ExecOptions(
                    processFile: p.values["process"], detach: p.flags.contains("detach"), pidFile: p.values["pid-file"],
                    tty: p.flags.contains("tty"), consoleSocket: p.values["console-socket"], cwd: p.values["cwd"],
                    env: p.lists["env"] ?? [], user: p.values["user"], additionalGids: p.lists["additional-gids"] ?? [],
                    caps: p.lists["cap"] ?? [], noNewPrivs: p.flags.contains("no-new-privs"), preserveFds: preserveFds,
                    apparmor: p.values["apparmor"], processLabel: p.values["process-label"], args: Array(p.positional.dropFirst()))
                return try Operations.exec(root: p.root, id: id, options: options)
            default: return nil
            }
            return 0
        } catch {
            ErrorLog.report(error.description, arguments: args)
            return 1
        }
    }
}
