import NestAPI

/// nestd's error answers as nestctl's users read them: in the words of the
/// command line, not of the REST API.
public enum ErrorText {
    /// `flags`: the command line's names of API fields (`cwd` → `--workdir`):
    /// a message about such a field is given under the flag's name.
    public static func lines(_ e: ErrorBody, status: Int, flags: [String: String] = [:]) -> [String] {
        if let field = e.field, let flag = flags[field] {
            var message = e.error
            if message.hasPrefix(field + " ") { message.removeFirst(field.count + 1) }
            return [flag + ": " + message]
        }
        // every problem of a bundle on a line of its own, each naming its field
        if let errors = e.errors, errors.count > 1 {
            return errors.map { named($0.message, field: $0.field) }
        }
        switch (status, e.field) {
        case (409, "force"?):
            // DELETE without force=true on a running container
            return [e.error.split(separator: ";").first.map(String.init).map { $0 + "; stop it first or use --force" } ?? e.error]
        case (403, _):
            return [e.error + "; add yourself to the group nest (sudo usermod -aG nest $USER, then log in again), or use sudo"]
        default:
            return [named(e.error, field: e.field)]
        }
    }

    /// The message with its field in front, unless it already names it
    /// (or the flag it came from: `-v: ...`).
    public static func named(_ message: String, field: String?) -> String {
        guard let field, !field.isEmpty, !message.contains(field), !message.hasPrefix("-") else { return message }
        return field + ": " + message
    }
}
