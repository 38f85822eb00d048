import CNestShims
import Glibc

/// The host's `ps` cut down to a container's processes: runc's `ps` table
/// (the header and ps's own lines) and docker's `top` (the same split into
/// columns, the last one, the command, keeping its spaces).
public struct ProcessTable: Sendable, Equatable {
    public var header: String
    public var titles: [String]
    public var lines: [String]
    public var processes: [[String]]

    /// Runs `ps ARGS` (`-ef` when none) and keeps the lines of `pids`.
    public static func read(psArgs: [String], pids: [Int32]) throws(RuntimeError) -> ProcessTable {
        let args = psArgs.isEmpty ? ["-ef"] : psArgs
        let (status, output) = try run(["ps"] + args)
        guard status == 0 else {
            let text = output.split(separator: "\n").joined(separator: "; ")
            throw .invalidArgument("ps \(args.joined(separator: " ")) failed (\(Self.describe(status))): \(text)", field: "ps arguments")
        }
        return try parse(output, pids: pids, args: args)
    }

    static func parse(_ output: String, pids: [Int32], args: [String]) throws(RuntimeError) -> ProcessTable {
        let all = output.split(separator: "\n", omittingEmptySubsequences: false)
        let header = String(all.first ?? "")
        let titles = header.split(separator: " ").map(String.init)
        guard let pidColumn = titles.firstIndex(of: "PID") else {
            throw .invalidArgument("ps \(args.joined(separator: " ")) shows no PID column", field: "ps arguments")
        }
        let wanted = Set(pids)
        var table = ProcessTable(header: header, titles: titles, lines: [], processes: [])
        for line in all.dropFirst() where !line.isEmpty {
            let fields = line.split(separator: " ").map(String.init)
            guard pidColumn < fields.count, let pid = Int32(fields[pidColumn]) else {
                throw .system("ps: no pid in column \(pidColumn + 1) of \"\(line)\"")
            }
            guard wanted.contains(pid) else { continue }
            table.lines.append(String(line))
            let last = titles.count - 1
            table.processes.append(fields.count > last ? Array(fields[..<last]) + [fields[last...].joined(separator: " ")] : fields)
        }
        return table
    }

    static func describe(_ status: Int32) -> String {
        status & 0x7f == 0 ? "exit status \((status >> 8) & 0xff)" : "killed by signal \(status & 0x7f)"
    }

    /// Spawns ARGV (found in PATH) with stdout and stderr into one pipe,
    /// reads it to the end and reaps the child: its wait status and output.
    static func run(_ argv: [String]) throws(RuntimeError) -> (Int32, String) {
        var fds: [Int32] = [-1, -1]
        guard nest_pipe2(&fds, O_CLOEXEC) == 0 else { throw .system("pipe: \(Sys.errorText())") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        nest_spawn_closefrom(&actions, 3)
        var pid: pid_t = 0
        let cargv: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { cargv.forEach { free($0) } }
        let rc = posix_spawnp(&pid, argv[0], &actions, nil, cargv, environ)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw .system("\(argv[0]): \(Sys.errorText(rc))")
        }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { Glibc.read(fds[0], $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            // The host's whole process list is a few MiB at most; beyond
            // that, the rest is drained and dropped.
            if out.count < 64 << 20 { out += buf[0..<n] }
        }
        close(fds[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status, String(decoding: out, as: UTF8.self))
    }
}
