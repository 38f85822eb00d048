/// Query parameters read as the API document declares them: a value
/// outside a parameter's enum is a 400 naming it, never quietly taken for
/// the default (`attach=yes` must not mean "do not attach").
extension Request {
    /// A boolean flag: absent, `true`/`1` or `false`/`0`.
    func flag(_ name: String) throws(APIError) -> Bool {
        guard let v = query[name] else { return false }
        switch v {
        case "true", "1": return true
        case "false", "0": return false
        default: throw APIError(400, "\(name) must be true, 1, false or 0, got \"\(v.prefix(32))\"", field: name)
        }
    }

    /// A value from ALLOWED, or nil when absent.
    func oneOf(_ name: String, _ allowed: [String]) throws(APIError) -> String? {
        guard let v = query[name] else { return nil }
        guard allowed.contains(v) else {
            throw APIError(400, "\(name) must be one of \(allowed.joined(separator: ", ")), got \"\(v.prefix(32))\"", field: name)
        }
        return v
    }
}
