import Glibc

/// Lets go of the pages of nestd's own code that only its start ran.
///
/// The executable is ~27 MB of code. Each page fault on it maps up to 16
/// pages around the one asked for (the kernel's fault-around), so the dynamic
/// loader's pass over 120,000 relocations, the Swift runtime's first look at
/// its conformance records and the recovery of containers leave ~20 MB of
/// code mapped, most of which never runs again. The pages stay in the page
/// cache: code a request needs later is mapped again by a minor fault.
/// Only the read-only, executable mapping: it is never written, so nothing
/// is lost (the relocated, read-only data beside it was written, and stays).
enum StartupPages {
    static func drop() {
        var exe = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &exe, exe.count - 1)
        guard n > 0 else { return }
        let path = String(decoding: exe[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let f = fopen("/proc/self/maps", "re") else { return }
        defer { fclose(f) }
        var line: UnsafeMutablePointer<CChar>?
        var cap = 0
        defer { free(line) }
        while getline(&line, &cap, f) > 0, let line {
            // START-END PERMS OFFSET DEV INODE PATH
            let fields = String(cString: line).split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, fields[1] == "r-xp",
                  fields[5...].joined(separator: " ").split(separator: "\n").first.map(String.init) == path else { continue }
            let range = fields[0].split(separator: "-")
            guard range.count == 2, let start = UInt(range[0], radix: 16), let end = UInt(range[1], radix: 16),
                  end > start, let base = UnsafeMutableRawPointer(bitPattern: start) else { continue }
            _ = madvise(base, Int(end - start), MADV_DONTNEED)
        }
    }
}
