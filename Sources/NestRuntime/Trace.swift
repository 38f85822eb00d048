import Glibc
import Synchronization

/// With NEST_TRACE set, each mark prints the microseconds since the last
/// one to stderr: where the time of a create or delete goes.
public enum Trace {
    /// The last mark's time; nestd marks from many threads.
    static let last = Mutex<timespec>({
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return t
    }())
    static let enabled = getenv("NEST_TRACE") != nil

    public static func mark(_ what: @autoclosure () -> String) {
        guard enabled else { return }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let us = last.withLock { last in
            defer { last = now }
            return (now.tv_sec - last.tv_sec) * 1_000_000 + (now.tv_nsec - last.tv_nsec) / 1000
        }
        let line = "nest-trace: \(what()) \(us) us\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
    }
}
