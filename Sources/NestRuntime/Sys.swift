import Glibc

/// Small wrappers over the calls the runtime makes, each turning errno into
/// a message that names what was being done.
enum Sys {
    static func errorText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

    /// The file's bytes, or nil when it cannot be read for any reason.
    static func readFile(_ path: String, limit: Int = 1 << 24) -> [UInt8]? {
        (try? readExisting(path, limit: limit)) ?? nil
    }

    /// The file's bytes; nil only when it does not exist. Any other failure
    /// (EMFILE, EACCES, EIO) is an error: a state that cannot be read is
    /// never taken for a container that is gone or has stopped.
    static func readExisting(_ path: String, limit: Int = 1 << 24) throws(RuntimeError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw .system("\(path): \(errorText())")
        }
        defer { close(fd) }
        var out: [UInt8] = []
        var failed: Int32 = 0
        // Most files read here (status, /proc/PID/stat, state) are small: one
        // 4 kB read, on the stack.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4096) { buf in
            while out.count < limit {
                let n = read(fd, buf.baseAddress, buf.count)
                if n < 0 && errno == EINTR { continue }
                if n < 0 { failed = errno }
                if n <= 0 { break }
                out.append(contentsOf: buf[0..<n])
            }
        }
        if failed != 0 { throw .system("\(path): \(errorText(failed))") }
        return out
    }

    /// write, fsync, rename: a reader sees the old file or the new one.
    /// `durable: false` leaves out the fsync, for what only a process crash
    /// (not a power loss, which ends every container) must find whole.
    static func writeAtomic(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o600, durable: Bool = true) throws(RuntimeError) {
        let tmp = path + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .system("\(tmp): \(errorText())") }
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno
                close(fd)
                unlink(tmp)
                throw .system("\(tmp): \(errorText(e))")
            }
            off += n
        }
        if durable && fsync(fd) != 0 {
            let e = errno
            close(fd)
            unlink(tmp)
            throw .system("\(tmp): fsync: \(errorText(e))")
        }
        close(fd)
        if rename(tmp, path) != 0 {
            let e = errno
            unlink(tmp)
            throw .system("\(path): \(errorText(e))")
        }
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    static func isAlive(_ pid: Int32) -> Bool { pid > 0 && (kill(pid, 0) == 0 || errno == EPERM) }

    /// Whether `pid` is still the process that started at `startTime` (a
    /// pid is reused once its process is reaped).
    static func isSame(_ pid: Int32, startTime: UInt64) -> Bool {
        pid > 0 && startTime != 0 && Sys.startTime(pid) == startTime
    }

    /// Start time of a process in clock ticks since boot (field 22 of
    /// /proc/PID/stat), to tell a pid from a later process that reuses it.
    static func startTime(_ pid: Int32) -> UInt64? {
        (try? procStat(pid))??.startTime
    }

    /// The state letter (field 3) and start time (field 22) of
    /// /proc/PID/stat; nil when there is no such process. A failure to read
    /// /proc (EMFILE) is an error, never "no such process".
    static func procStat(_ pid: Int32) throws(RuntimeError) -> (state: UInt8, startTime: UInt64)? {
        guard pid > 0 else { return nil }
        let bytes: [UInt8]?
        do { bytes = try readExisting("/proc/\(pid)/stat") } catch {
            // ESRCH: the process went away between open and read
            if kill(pid, 0) != 0 && errno == ESRCH { return nil }
            throw error
        }
        guard let bytes,
              let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        // Fields after the command: state is field 3, starttime field 22.
        var field = 2
        var value: UInt64 = 0
        var state: UInt8 = 0
        var inField = false
        for b in bytes[(close + 1)...] {
            if b == UInt8(ascii: " ") {
                if inField && field == 22 { return (state, value) }
                inField = false
                continue
            }
            if !inField { inField = true; field += 1; value = 0 }
            if field == 3 { state = b }
            if field == 22 {
                guard b >= 48 && b <= 57 else { return nil }
                value = value * 10 + UInt64(b - 48)
            }
        }
        return inField && field == 22 ? (state, value) : nil
    }

    /// Whether `pid` is the process that started at `startTime` and has not
    /// exited (a zombie waiting for a late reaper has exited).
    static func isRunning(_ pid: Int32, startTime: UInt64) throws(RuntimeError) -> Bool {
        guard let st = try procStat(pid) else { return false }
        return st.startTime == startTime && st.state != UInt8(ascii: "Z") && st.state != UInt8(ascii: "X")
    }

    static func removeTree(_ path: String) {
        guard let dir = opendir(path) else {
            unlink(path)
            return
        }
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name == "." || name == ".." { continue }
            let child = path + "/" + name
            var st = stat()
            if lstat(child, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR {
                removeTree(child)
            } else {
                unlink(child)
            }
        }
        closedir(dir)
        rmdir(path)
    }

    static func now() -> String { Timestamp.rfc3339(clock: CLOCK_REALTIME) }
}

enum Timestamp {
    static func rfc3339(clock: clockid_t) -> String {
        var ts = timespec()
        clock_gettime(clock, &ts)
        var t = ts.tv_sec
        var tmv = tm()
        gmtime_r(&t, &tmv)
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(Int(tmv.tm_year) + 1900, 4))-\(pad(Int(tmv.tm_mon) + 1, 2))-\(pad(Int(tmv.tm_mday), 2))T"
            + "\(pad(Int(tmv.tm_hour), 2)):\(pad(Int(tmv.tm_min), 2)):\(pad(Int(tmv.tm_sec), 2)).\(pad(Int(ts.tv_nsec), 9))Z"
    }
}
