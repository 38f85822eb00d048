import Glibc

/// With NEST_TRACE set, each mark prints the milliseconds since the last
/// one to stderr: where the time of a create or delete goes.
public enum Trace {
    nonisolated(unsafe) static var last: timespec = {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return t
    }()
    static let enabled = getenv("NEST_TRACE") != nil

    public static func mark(_ what: @autoclosure () -> String) {
        guard enabled else { return }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let ms = Double(now.tv_sec - last.tv_sec) * 1000 + Double(now.tv_nsec - last.tv_nsec) / 1e6
        last = now
        let line = "nest-trace: \(what()) \(Int(ms * 1000)) us\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
    }
}
