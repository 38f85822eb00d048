import CNestShims
import Glibc
import NestOCI

/// Runs poststart and poststop hooks: the OCI state on stdin, the hook's
/// timeout enforced with SIGKILL. (The monitor runs the hooks that must run
/// inside the container's setup.)
enum HookRunner {
    static func run(_ hook: Spec.Hook, kind: String, state: [UInt8]) throws(RuntimeError) {
        var fds: [Int32] = [-1, -1]
        guard nest_pipe2(&fds, O_CLOEXEC) == 0 else { throw .system("\(kind) hook: pipe: \(Sys.errorText())") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[0], 0)
        nest_spawn_closefrom(&actions, 3)
        let args = hook.args ?? [hook.path]
        let env = hook.env ?? []
        let argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, hook.path, &actions, nil, argv, envp)
        close(fds[0])
        guard rc == 0 else {
            close(fds[1])
            throw .system("\(kind) hook \(hook.path): \(Sys.errorText(rc))")
        }
        _ = state.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
        close(fds[1])
        let deadline = hook.timeout.map { Double($0) } ?? 0
        var waited = 0.0
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, deadline > 0 ? WNOHANG : 0)
            if r == pid { break }
            if r < 0 && errno != EINTR { throw .system("\(kind) hook \(hook.path): wait: \(Sys.errorText())") }
            if r == 0 {
                if waited >= deadline {
                    Glibc.kill(pid, SIGKILL)
                    waitpid(pid, &status, 0)
                    throw .system("\(kind) hook \(hook.path): timed out after \(hook.timeout ?? 0) s")
                }
                usleep(5000)
                waited += 0.005
            }
        }
        let exited = status & 0x7f == 0
        let code = (status >> 8) & 0xff
        if !exited || code != 0 {
            throw .system("\(kind) hook \(hook.path): " + (exited ? "exit status \(code)" : "killed by signal \(status & 0x7f)"))
        }
    }
}
