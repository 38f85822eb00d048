import Glibc

/// Finds the C programs: $NEST_LIBEXEC, else beside the running executable,
/// else /usr/local/libexec/nest.
enum Libexec {
    static func dir(_ configured: String?) throws(RuntimeError) -> String {
        var candidates: [String] = []
        if let configured { candidates.append(configured) }
        if let env = getenv("NEST_LIBEXEC") { candidates.append(String(cString: env)) }
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        if n > 0 {
            let exe = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if let slash = exe.lastIndex(of: "/") { candidates.append(String(exe[..<slash])) }
        }
        candidates.append("/usr/local/libexec/nest")
        for dir in candidates where access(dir + "/nest-monitor", X_OK) == 0 && access(dir + "/nest-init", X_OK) == 0 {
            return dir
        }
        throw .system("nest-monitor and nest-init not found in \(candidates.joined(separator: ", ")) (set NEST_LIBEXEC)")
    }
}
