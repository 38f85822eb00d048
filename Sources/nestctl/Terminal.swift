import Glibc
import NestAPI

/// nestctl's own terminal while it is attached to a container's: raw (every
/// key goes to the container, ^C included) and put back as it was however
/// nestctl ends; its size is the container's, and SIGWINCH sends the new one.
enum Terminal {
    nonisolated(unsafe) private static var saved = termios()
    nonisolated(unsafe) private static var isRaw = false

    static func size(_ fd: Int32) -> TerminalSize? {
        var ws = winsize()
        guard ioctl(fd, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_row > 0 else { return nil }
        return TerminalSize(height: ws.ws_row, width: ws.ws_col)
    }

    /// The size of whichever of stdin, stdout is a terminal.
    static var current: TerminalSize? { size(0) ?? size(1) }

    /// Raw mode on stdin until `restore()` (or a signal that ends nestctl).
    static func makeRaw() {
        guard isatty(0) == 1, tcgetattr(0, &saved) == 0 else { return }
        var raw = saved
        cfmakeraw(&raw)
        guard tcsetattr(0, TCSADRAIN, &raw) == 0 else { return }
        isRaw = true
        for sig in [SIGTERM, SIGHUP, SIGQUIT, SIGINT] {
            signal(sig) { n in
                // async-signal-safe: tcsetattr, signal, raise
                Terminal.restore()
                signal(n, SIG_DFL)
                raise(n)
            }
        }
    }

    static func restore() {
        if isRaw { _ = tcsetattr(0, TCSADRAIN, &saved) }
    }

    /// A pipe that turns SIGWINCH into something poll can wait for.
    nonisolated(unsafe) static var winch: (read: Int32, write: Int32) = (-1, -1)

    static func watchResize() {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return }
        for fd in fds {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        winch = (fds[0], fds[1])
        signal(SIGWINCH) { _ in
            var b: UInt8 = 1
            _ = write(Terminal.winch.write, &b, 1)
        }
    }
}
