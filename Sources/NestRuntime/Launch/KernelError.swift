/// A failed step of nest-monitor (docs/launch-plan.md, "Errors"): which
/// step, on which path, with which errno, and the readable message users
/// see (`mount /data: source /x: No such file or directory`).
public struct KernelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The record or stage that failed: `mount`, `pivot_root`, `cgroup-join`, `hook`, `plan`...
    public var step: String
    public var path: String?
    /// 0 when the step failed without one (a hook's exit status, a bad plan).
    public var errno: Int32
    /// `ENOENT`, `EPERM`...; nil without an errno.
    public var errnoName: String?
    public var message: String

    public init(step: String, path: String?, errno: Int32, errnoName: String?, message: String) {
        self.step = step
        self.path = path
        self.errno = errno
        self.errnoName = errnoName
        self.message = message
    }

    public var description: String { message }

    /// Reads the record `error STEP PATH ERRNO ERRNAME MESSAGE` (TAB-separated,
    /// fields escaped as in the plan); nil when the line is not one.
    public init?(record line: String) {
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map { Self.unescape($0) }
        guard fields.count == 6, fields[0] == "error", let number = Int32(fields[3]), number >= 0 else { return nil }
        self.init(step: fields[1], path: fields[2].isEmpty ? nil : fields[2], errno: number,
                  errnoName: fields[4].isEmpty ? nil : fields[4], message: fields[5])
    }

    static func unescape(_ field: Substring) -> String {
        guard field.contains("\\") else { return String(field) }
        var out = ""
        var escaped = false
        for ch in field {
            if escaped {
                out.append(ch == "t" ? "\t" : ch == "n" ? "\n" : ch)
                escaped = false
            } else if ch == "\\" {
                escaped = true
            } else {
                out.append(ch)
            }
        }
        return out
    }
}
