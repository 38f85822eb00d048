import Glibc

public enum Signals {
    static let names: [String: Int32] = [
        "HUP": SIGHUP, "INT": SIGINT, "QUIT": SIGQUIT, "ILL": SIGILL, "TRAP": SIGTRAP, "ABRT": SIGABRT,
        "IOT": SIGIOT, "BUS": SIGBUS, "FPE": SIGFPE, "KILL": SIGKILL, "USR1": SIGUSR1, "SEGV": SIGSEGV,
        "USR2": SIGUSR2, "PIPE": SIGPIPE, "ALRM": SIGALRM, "TERM": SIGTERM, "STKFLT": SIGSTKFLT,
        "CHLD": SIGCHLD, "CONT": SIGCONT, "STOP": SIGSTOP, "TSTP": SIGTSTP, "TTIN": SIGTTIN, "TTOU": SIGTTOU,
        "URG": SIGURG, "XCPU": SIGXCPU, "XFSZ": SIGXFSZ, "VTALRM": SIGVTALRM, "PROF": SIGPROF,
        "WINCH": SIGWINCH, "IO": SIGIO, "POLL": SIGPOLL, "PWR": SIGPWR, "SYS": SIGSYS,
    ]

    /// Linux's real-time signals as the kernel numbers them; glibc keeps
    /// the first two for itself, so user code sees 34-64.
    static let rtmin: Int32 = 34, rtmax: Int32 = 64

    /// A signal by number (`15`), name (`TERM`, `SIGTERM`, `sigterm`) or
    /// real-time name (`RTMIN+3`, `RTMAX-2`). Untrusted input (a REST query,
    /// a command line): every number is parsed as at most three decimal
    /// digits and compared before any arithmetic, so nothing can overflow;
    /// anything outside 1-64 is an error naming the signal. `allowZero`
    /// takes 0, the signal that only asks whether the process exists
    /// (`nest kill ID 0`, as runc's and crun's).
    public static func parse(_ text: String, allowZero: Bool = false) throws(RuntimeError) -> Int32 {
        if let n = smallNumber(Substring(text)) {
            if n == 0 && allowZero && text == "0" { return 0 }
            guard n >= 1 && n <= rtmax else { throw .invalidArgument("signal \(text) is out of range 1-64", field: "signal") }
            return n
        }
        if text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) && !text.isEmpty {
            throw .invalidArgument("signal \(text) is out of range 1-64", field: "signal")
        }
        var name = text.uppercased()
        if name.hasPrefix("SIG") { name.removeFirst(3) }
        if let n = names[name] { return n }
        if name == "RTMIN" { return rtmin }
        if name == "RTMAX" { return rtmax }
        let span = rtmax - rtmin
        for (prefix, sign): (String, Int32) in [("RTMIN+", 1), ("RTMAX-", -1)] where name.hasPrefix(prefix) {
            let rest = name.dropFirst(prefix.count)
            guard let k = smallNumber(rest), k <= span else {
                throw .invalidArgument("signal \(text): the offset must be 0-\(span)", field: "signal")
            }
            return sign > 0 ? rtmin + k : rtmax - k
        }
        throw .invalidArgument("unknown signal \(text)", field: "signal")
    }

    /// 1-3 ASCII digits (no sign, no spaces) as a number; nil otherwise.
    static func smallNumber(_ s: Substring) -> Int32? {
        let bytes = s.utf8
        guard !bytes.isEmpty, bytes.count <= 3 else { return nil }
        var v: Int32 = 0
        for b in bytes {
            guard b >= 0x30 && b <= 0x39 else { return nil }
            v = v * 10 + Int32(b - 0x30)
        }
        return v
    }
}
