// The undo log of a live update: a limit the kernel refuses half-way
// through must not leave the ones written before it changed.

import Synchronization

final class CgroupJournal: Sendable {
    /// (file, what it held), in the order written.
    private let undo = Mutex<[(path: String, old: String)]>([])

    /// Reads what the file holds, then writes the new value; a write the
    /// kernel took is recorded. A file that cannot be read is written all
    /// the same, with nothing to restore.
    func write(_ path: String, _ value: String) throws {
        let old = CgroupFS.readTrimmed(path)
        try CgroupFS.write(path, value)
        if let old { undo.withLock { $0.append((path, old)) } }
    }

    /// Writes the old contents back, last written first (the order that
    /// undoes the memory/memsw and period/quota pairs: each was written in
    /// an order the kernel took, so the reverse is one too).
    func rollBack() {
        for entry in undo.withLock({ $0 }).reversed() {
            try? CgroupFS.write(entry.path, Self.writable(entry.path, entry.old))
        }
    }

    /// A file's contents in the form it takes them back. Most read back
    /// what they take (`max 100000`, v1's page-rounded "unlimited");
    /// `io.weight` lists per-device weights after its `default N` line.
    static func writable(_ path: String, _ old: String) -> String {
        if path.hasSuffix("/io.weight") { return String(old.split(separator: "\n").first ?? "") }
        return old
    }
}
