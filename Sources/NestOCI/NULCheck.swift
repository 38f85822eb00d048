/// A JSON string may hold U+0000 (`\u0000`), but nothing Nest hands a
/// string to can: an argument, a path or a mount option becomes a C string
/// (cut at the NUL), and the subsystem XML cannot hold one. `validate()`
/// checks the fields it knows; this finds a NUL anywhere in the document,
/// keys included, so that no field is missed. Documents without the escape
/// (all but hostile ones) cost one scan of their bytes.
extension Spec {
    /// Every problem of `validate()`, and every string of the document
    /// `bytes` (this spec's config.json) that holds a NUL.
    public func validate(json bytes: [UInt8]) -> [SpecError] {
        var problems = validate()
        guard Self.mayHoldNUL(bytes), let value = try? JSONParser.parse(bytes) else { return problems }
        let named = Set(problems.map(\.path))
        var found: [String] = []
        Self.nulPaths(value, "", &found)
        for path in found where !named.contains(path) {
            problems.append(SpecError(path: path, message: "must not contain a NUL character"))
        }
        return problems
    }

    static func mayHoldNUL(_ bytes: [UInt8]) -> Bool {
        let escape: [UInt8] = Array(#"\u0000"#.utf8)
        guard bytes.count >= escape.count else { return false }
        var i = 0
        while i <= bytes.count - escape.count {
            if bytes[i] == 0x5C, bytes[i + 1] == 0x75, bytes[i + 2] == 0x30, bytes[i + 3] == 0x30,
               bytes[i + 4] == 0x30, bytes[i + 5] == 0x30 { return true }
            i += 1
        }
        return false
    }

    private static func nulPaths(_ value: JSONValue, _ path: String, _ found: inout [String]) {
        switch value {
        case .string(let s):
            if s.utf8.contains(0) { found.append(path) }
        case .array(let items):
            for (i, item) in items.enumerated() { nulPaths(item, JSONPath.index(path, i), &found) }
        case .object(let members):
            for (key, item) in members.sorted(by: { $0.key < $1.key }) {
                let p = JSONPath.member(path, key)
                if key.utf8.contains(0) { found.append(p) }
                nulPaths(item, p, &found)
            }
        case .null, .bool, .number:
            break
        }
    }
}
