/// `USER[:GROUP]` (names or numbers, as docker's `-u`) resolved against a
/// container's /etc/passwd and /etc/group. Pure: the files come as bytes
/// (ContainerUserFiles reads them), so every rule here is tested without
/// root. The files are the container's and may be hostile: a line that does
/// not parse is skipped, names match byte for byte, the first match wins.
public enum ContainerUsers {
    /// One of the container's files as it was found.
    public enum File: Sendable, Equatable {
        case bytes([UInt8])
        case missing
        /// Not read (not a regular file, too large, a link out of the
        /// container): why.
        case refused(String)
    }

    public struct PasswdEntry: Sendable, Equatable {
        public var name: [UInt8]
        public var uid: UInt32
        public var gid: UInt32
        public var home: String
    }

    public struct GroupEntry: Sendable, Equatable {
        public var name: [UInt8]
        public var gid: UInt32
        public var members: [[UInt8]]
    }

    /// What the process runs as. The GID is nil for a UID given as a number
    /// that no passwd entry has, and no GROUP: the process keeps its own.
    /// `home` is nil when no passwd entry was found.
    public struct Resolved: Sendable, Equatable {
        public var uid: UInt32
        public var gid: UInt32?
        public var additionalGids: [UInt32]
        public var home: String?
    }

    /// `name:password:uid:gid[:gecos:home:shell]` lines; comments, NIS
    /// lines (`+`, `-`) and lines without a name or with a bad number are
    /// skipped.
    public static func parsePasswd(_ bytes: [UInt8]) -> [PasswdEntry] {
        lines(bytes).compactMap { fields in
            guard fields.count >= 4, let uid = id(fields[2]), let gid = id(fields[3]) else { return nil }
            // a home that is not an absolute path in UTF-8 is none: "/", as runc has it
            var home = "/"
            if fields.count >= 6, let text = String(validating: fields[5], as: UTF8.self), text.hasPrefix("/") { home = text }
            return PasswdEntry(name: Array(fields[0]), uid: uid, gid: gid, home: home)
        }
    }

    /// `name:password:gid[:member,member...]` lines, skipped as in passwd.
    public static func parseGroup(_ bytes: [UInt8]) -> [GroupEntry] {
        lines(bytes).compactMap { fields in
            guard fields.count >= 3, let gid = id(fields[2]) else { return nil }
            let members = fields.count >= 4
                ? fields[3].split(separator: UInt8(ascii: ","), omittingEmptySubsequences: true).map { Array($0) } : []
            return GroupEntry(name: Array(fields[0]), gid: gid, members: members)
        }
    }

    /// Resolves `spec`. A name must be in its file; a number needs no file.
    /// Without an explicit GROUP the supplementary groups are those whose
    /// member list names the user (as docker and runc have them); with one
    /// there are none. Errors are messages about `spec` (the caller names
    /// its field).
    public static func resolve(_ spec: String, passwd: File, group: File) throws(UserError) -> Resolved {
        let parts = spec.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard !parts[0].isEmpty, parts.count == 1 || !parts[1].isEmpty, !spec.utf8.contains(0) else {
            throw UserError("must be USER or USER:GROUP (a name or a number each), got \"\(spec.prefix(64))\"")
        }
        let user = parts[0], groupPart = parts.count == 2 ? parts[1] : nil

        var entry: PasswdEntry?
        let uid: UInt32
        if let number = id(user.utf8) {
            uid = number
            if case .bytes(let b) = passwd { entry = parsePasswd(b).first { $0.uid == number } }
        } else {
            let entries = try entries(passwd, file: "passwd", wanted: "user \(user.prefix(64))", parsePasswd)
            guard let found = entries.first(where: { $0.name.elementsEqual(user.utf8) }) else {
                throw UserError("no user \(user.prefix(64)) in the container's /etc/passwd")
            }
            entry = found
            uid = found.uid
        }

        var result = Resolved(uid: uid, gid: entry?.gid, additionalGids: [], home: entry?.home)
        if let groupPart {
            if let number = id(groupPart.utf8) {
                result.gid = number
            } else {
                let groups = try entries(group, file: "group", wanted: "group \(groupPart.prefix(64))", parseGroup)
                guard let found = groups.first(where: { $0.name.elementsEqual(groupPart.utf8) }) else {
                    throw UserError("no group \(groupPart.prefix(64)) in the container's /etc/group")
                }
                result.gid = found.gid
            }
        } else if let entry {
            let groups: [GroupEntry]
            switch group {
            case .bytes(let b): groups = parseGroup(b)
            case .missing: groups = []
            case .refused(let why):
                // a user given by number never needs the files
                guard id(user.utf8) == nil else { groups = []; break }
                throw UserError("the groups of \(user.prefix(64)): cannot read the container's /etc/group: \(why)")
            }
            for g in groups where g.members.contains(entry.name) && !result.additionalGids.contains(g.gid) {
                result.additionalGids.append(g.gid)
            }
        }
        return result
    }

    /// The entries of a file a name must be found in.
    private static func entries<T>(_ file: File, file name: String, wanted: String,
                                   _ parse: ([UInt8]) -> [T]) throws(UserError) -> [T] {
        switch file {
        case .bytes(let b): return parse(b)
        case .missing: throw UserError("no \(wanted): the container has no /etc/\(name)")
        case .refused(let why): throw UserError("no \(wanted): cannot read the container's /etc/\(name): \(why)")
        }
    }

    /// The colon-separated fields of each line that can be an entry.
    private static func lines(_ bytes: [UInt8]) -> [[ArraySlice<UInt8>]] {
        bytes.split(separator: UInt8(ascii: "\n")).compactMap { line in
            var line = line
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            guard let first = line.first, first != UInt8(ascii: "#"), first != UInt8(ascii: "+"),
                  first != UInt8(ascii: "-"), first != UInt8(ascii: ":"), !line.contains(0) else { return nil }
            return line.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        }
    }

    /// A decimal id: digits only (no sign, no space), below 2^32 - 1 (which
    /// setuid and setgid take for "no change").
    static func id<S: Sequence<UInt8>>(_ digits: S) -> UInt32? {
        var value: UInt64 = 0
        var count = 0
        for d in digits {
            guard d >= UInt8(ascii: "0"), d <= UInt8(ascii: "9"), count < 10 else { return nil }
            value = value * 10 + UInt64(d - UInt8(ascii: "0"))
            count += 1
        }
        guard count > 0, value < UInt64(UInt32.max) else { return nil }
        return UInt32(value)
    }
}

/// Why a user could not be resolved, without the field (the caller's: `user`,
/// `--user`).
public struct UserError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
