#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import NestRuntime

/// The runtime commands, shared by the ArgumentParser commands and the fast path.
enum Operations {
    /// Only a create asks whether it runs rootless (a read of
    /// /proc/self/uid_map): the other commands never make cgroups.
    static func runtime(_ root: String, creating: Bool = false) -> Runtime {
        var options = RuntimeOptions(root: root)
        if creating { options.rootless = DefaultRoot.rootless }
        options.warn = { message in
            writeStderr("nest: warning: \(message)\n")
            ErrorLog.record(message, arguments: Array(CommandLine.arguments.dropFirst()), level: "warning")
        }
        return Runtime(options: options)
    }

    static func createOptions(bundle: String, pidFile: String?, consoleSocket: String?, preserveFds: Int = 0) -> CreateOptions {
        var options = CreateOptions(bundle: absolute(bundle))
        options.pidFile = pidFile.map(absolute)
        options.consoleSocket = consoleSocket.map(absolute)
        // The caller (an engine's shim) waits for the container's process.
        options.handoff = true
        options.preserveFds = preserveFds
        return options
    }

    static func create(root: String, id: String, options: CreateOptions) throws(RuntimeError) {
        _ = try runtime(root, creating: true).create(id: id, options: options)
    }

    static func create(root: String, id: String, subsystem file: String, options: CreateOptions) throws(RuntimeError) {
        let sub = try Runtime.readSubsystem(path: absolute(file), id: id)
        _ = try runtime(root, creating: true).create(subsystem: sub, options: options)
    }

    /// Returns the exit status `nest run` exits with.
    static func run(root: String, id: String, options: CreateOptions, detach: Bool, keep: Bool,
                    subsystem file: String? = nil) throws(RuntimeError) -> Int32 {
        let runtime = runtime(root, creating: true)
        // Created and started in one: no exec FIFO to hand over through.
        var options = options
        options.startAtOnce = true
        // In the foreground, `nest run` waits through the monitor, which
        // keeps the exit status; detached, the caller gets the init.
        options.handoff = detach
        let created: ContainerStatus
        if let file {
            let sub = try Runtime.readSubsystem(path: absolute(file), id: id)
            guard sub.isSingleProcess else {
                throw .invalidArgument("run takes a subsystem of one process; create and start one of several", field: "--subsystem")
            }
            created = try runtime.create(subsystem: sub, options: options)
        } else {
            created = try runtime.create(id: id, options: options)
        }
        do {
            try runtime.runPoststartHooks(id: id)
        } catch {
            try? runtime.delete(id: id, force: true)
            throw error
        }
        if detach { return 0 }
        forwardTo = created.pid
        for sig in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH] {
            signal(sig) { n in if forwardTo > 0 { Glibc.kill(forwardTo, n) } }
        }
        let final = try runtime.waitForExit(id: id)
        if !keep { try runtime.delete(id: id) }
        return final.exitCode ?? 255
    }

    static func start(root: String, id: String) throws(RuntimeError) { try runtime(root).start(id: id) }

    static func state(root: String, id: String) throws(RuntimeError) {
        let s = try runtime(root).state(id: id)
        print(s.stateJSON())
    }

    static func kill(root: String, id: String, signal: String, all: Bool) throws(RuntimeError) {
        try runtime(root).kill(id: id, signal: try Signals.parse(signal, allowZero: true), all: all)
    }

    static func delete(root: String, id: String, force: Bool) throws(RuntimeError) {
        try runtime(root).delete(id: id, force: force)
    }
}

/// The init pid `nest run` forwards signals to (a signal handler can only
/// read a global).
nonisolated(unsafe) var forwardTo: pid_t = 0
