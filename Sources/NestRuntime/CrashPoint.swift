import Glibc

/// Fault injection: `NEST_CRASH_AT=NAME` makes the process SIGKILL itself
/// when it reaches the point NAME, so that a test can check what a crash
/// there leaves behind (Tests/security/crash-walk.test.sh walks them all).
/// The variable is read once; an unarmed point costs one comparison with nil.
public enum CrashPoint {
    static let armed: String? = getenv("NEST_CRASH_AT").map { String(cString: $0) }

    /// The points of nest and nestd, in the order a create and a delete
    /// reach them (the monitor's are in Sources/nest-monitor/crash.c).
    public static let all = [
        "create:state-dir", "create:creating", "create:cgroups", "create:plan", "create:monitor", "create:state",
        "delete:killed", "delete:cgroups",
        "nestd:data-dir", "nestd:runtime-created", "nestd:record",
    ]

    @inline(__always)
    public static func hit(_ name: StaticString) {
        guard let armed else { return }
        if armed == String(describing: name) { kill(getpid(), SIGKILL) }
    }
}
