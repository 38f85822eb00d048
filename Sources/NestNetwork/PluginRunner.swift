import Foundation
import CNestShims
import Glibc

/// Runs a CNI config list's plugins for one container. Each plugin is
/// posix_spawned (the daemon is multi-threaded: no fork), with the CNI_*
/// environment and its network config on stdin; its result (or error) is
/// read from stdout.
public struct PluginRunner: Sendable {
    public var pluginDirs: [String]

    public init(pluginDirs: [String]) { self.pluginDirs = pluginDirs }

    public struct Call: Sendable {
        public var containerID: String
        public var netns: String
        public var ifname: String
        /// The conflist document (name, cniVersion, plugins).
        public var conflist: [UInt8]
        /// `portMappings` of the runtime config, for plugins that ask for it.
        public var portMappings: [[String: String]]
        /// CNI_ARGS (`IgnoreUnknown=1;IP=...`: the address host-local gives).
        public var args: String? = nil
    }

    func plugins(_ call: Call) throws(NetworkError) -> (name: String, version: String, plugins: [[String: Any]]) {
        guard let doc = (try? JSONSerialization.jsonObject(with: Data(call.conflist))) as? [String: Any],
              let name = doc["name"] as? String, let plugins = doc["plugins"] as? [[String: Any]] else {
            throw NetworkError(.system, "conflist: not a CNI config list")
        }
        return (name, doc["cniVersion"] as? String ?? Conflist.cniVersion, plugins)
    }

    /// ADD through the chain, each plugin given the previous one's result;
    /// the last result (raw). From plugin `from` on, the first of them given
    /// `prev` (the chain's earlier result, when it repairs the rest).
    public func add(_ call: Call, from: Int = 0, prev before: [UInt8]? = nil) throws(NetworkError) -> [UInt8] {
        let (name, version, plugins) = try plugins(call)
        var prev: Any? = before.flatMap { try? JSONSerialization.jsonObject(with: Data($0)) }
        var last: [UInt8] = before ?? []
        for p in plugins.dropFirst(from) {
            last = try run("ADD", p, name: name, version: version, prev: prev, call)
            prev = try? JSONSerialization.jsonObject(with: Data(last))
        }
        return last
    }

    /// DEL through the chain in reverse, each given the ADD's result when
    /// there is one. Every plugin runs even when one fails; the failures.
    public func del(_ call: Call, result: [UInt8]?, from: Int = 0) -> [NetworkError] {
        let parsed: (String, String, [[String: Any]])
        do throws(NetworkError) { parsed = try plugins(call) } catch { return [error] }
        let prev = result.flatMap { try? JSONSerialization.jsonObject(with: Data($0)) }
        var errors: [NetworkError] = []
        for p in parsed.2.dropFirst(from).reversed() {
            do throws(NetworkError) { _ = try run("DEL", p, name: parsed.0, version: parsed.1, prev: prev, call) } catch { errors.append(error) }
        }
        return errors
    }

    /// CHECK through the chain with the ADD's result: nil when every plugin
    /// passes, else the index of the first that fails and why.
    public func check(_ call: Call, result: [UInt8]) -> (index: Int, error: NetworkError)? {
        let parsed: (String, String, [[String: Any]])
        do throws(NetworkError) { parsed = try plugins(call) } catch { return (0, error) }
        let prev = try? JSONSerialization.jsonObject(with: Data(result))
        for (i, p) in parsed.2.enumerated() {
            do throws(NetworkError) { _ = try run("CHECK", p, name: parsed.0, version: parsed.1, prev: prev, call) } catch {
                return (i, error)
            }
        }
        return nil
    }

    func run(_ command: String, _ plugin: [String: Any], name: String, version: String, prev: Any?,
             _ call: Call) throws(NetworkError) -> [UInt8] {
        guard let type = plugin["type"] as? String, !type.contains("/"), !type.isEmpty else {
            throw NetworkError(.system, "conflist \(name): a plugin without a type")
        }
        guard let binary = pluginDirs.map({ $0 + "/" + type }).first(where: { access($0, X_OK) == 0 }) else {
            throw NetworkError(.plugin, "CNI plugin \(type) not found in \(pluginDirs.joined(separator: ":")) (install containernetworking-plugins)")
        }
        var conf = plugin
        conf["name"] = name
        conf["cniVersion"] = version
        if let prev { conf["prevResult"] = prev }
        if let caps = plugin["capabilities"] as? [String: Any], caps["portMappings"] as? Bool == true, !call.portMappings.isEmpty {
            conf["runtimeConfig"] = ["portMappings": call.portMappings.map { m -> [String: Any] in
                ["hostPort": Int(m["hostPort"] ?? "") ?? 0, "containerPort": Int(m["containerPort"] ?? "") ?? 0,
                 "protocol": m["protocol"] ?? "tcp"]
            }]
        }
        conf.removeValue(forKey: "capabilities")
        guard let stdin = try? JSONSerialization.data(withJSONObject: conf) else {
            throw NetworkError(.system, "conflist \(name): plugin \(type)'s config cannot be written as JSON")
        }
        let env = [
            "CNI_COMMAND=\(command)", "CNI_CONTAINERID=\(call.containerID)", "CNI_NETNS=\(call.netns)",
            "CNI_IFNAME=\(call.ifname)", "CNI_PATH=\(pluginDirs.joined(separator: ":"))",
            "CNI_ARGS=\(call.args ?? "")",
            // the plugins run iptables and sysctl tools by name
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        ]
        let (status, out, err) = try Spawn.run(binary, env: env, stdin: Array(stdin))
        guard status == 0 else {
            throw NetworkError(.plugin, CNIErrorText.describe(plugin: type, command: command, stdout: out, stderr: err, status: status))
        }
        return out
    }
}

/// posix_spawn with stdin given and stdout/stderr read to the end.
enum Spawn {
    static func run(_ path: String, args: [String] = [], env: [String], stdin: [UInt8]) throws(NetworkError) -> (Int32, [UInt8], [UInt8]) {
        var inp: [Int32] = [-1, -1], out: [Int32] = [-1, -1], err: [Int32] = [-1, -1]
        guard nest_pipe2(&inp, O_CLOEXEC) == 0 else { throw NetworkError(.system, "pipe: \(String(cString: strerror(errno)))") }
        guard nest_pipe2(&out, O_CLOEXEC) == 0 else {
            close(inp[0]); close(inp[1])
            throw NetworkError(.system, "pipe: \(String(cString: strerror(errno)))")
        }
        guard nest_pipe2(&err, O_CLOEXEC) == 0 else {
            [inp[0], inp[1], out[0], out[1]].forEach { close($0) }
            throw NetworkError(.system, "pipe: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inp[0], 0)
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)
        nest_spawn_closefrom(&actions, 3)
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + args).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, envp)
        close(inp[0]); close(out[1]); close(err[1])
        guard rc == 0 else {
            close(inp[1]); close(out[0]); close(err[0])
            throw NetworkError(.system, "\(path): \(String(cString: strerror(rc)))")
        }
        // A config is a few KiB: below a pipe's buffer, written before any read.
        var off = 0
        while off < stdin.count {
            let n = stdin[off...].withUnsafeBytes { write(inp[1], $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            off += n
        }
        close(inp[1])
        var bufs: [[UInt8]] = [[], []]
        var fds = [pollfd(fd: out[0], events: Int16(POLLIN), revents: 0), pollfd(fd: err[0], events: Int16(POLLIN), revents: 0)]
        var chunk = [UInt8](repeating: 0, count: 16384)
        while fds.contains(where: { $0.fd >= 0 }) {
            if poll(&fds, nfds_t(fds.count), -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            for i in fds.indices where fds[i].fd >= 0 && fds[i].revents != 0 {
                let n = chunk.withUnsafeMutableBytes { read(fds[i].fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    close(fds[i].fd)
                    fds[i].fd = -1
                } else if bufs[i].count < 1 << 20 {
                    bufs[i] += chunk[0..<n]
                }
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (code, bufs[0], bufs[1])
    }
}
