import Glibc
import NestRuntime

/// Whether a container has really exited. A failed read of its state (out
/// of descriptors, an unreadable /proc) is neither an exit nor a removal:
/// the daemon must not report an exit it did not see, nor remove an
/// auto-remove container that is still running.
enum ExitCheck {
    /// Created or running, with its status.
    case running(ContainerStatus)
    /// Exited, with its status.
    case exited(ContainerStatus)
    /// No longer known to the runtime (removed behind the daemon's back).
    case gone
    /// Its state could not be read; ask again later.
    case unknown

    var isFinal: Bool {
        switch self {
        case .exited, .gone: true
        case .running, .unknown: false
        }
    }

    var status: ContainerStatus? {
        if case .exited(let s) = self { return s }
        return nil
    }
}

extension Runtime {
    func exitCheck(_ id: String) -> ExitCheck {
        let s: ContainerStatus
        do { s = try state(id: id) } catch {
            if case .notFound = error { return .gone }
            return .unknown
        }
        guard s.status == "stopped" else { return .running(s) }
        // The monitor writes the exit status before it exits. "stopped"
        // without one while the monitor lives means the init's liveness
        // could not be read (EMFILE on /proc/PID/stat), not that it exited.
        if s.exitCode == nil, let monitor = s.monitorPid, monitor > 0,
           Glibc.kill(monitor, 0) == 0 || errno == EPERM {
            return .unknown
        }
        return .exited(s)
    }
}
