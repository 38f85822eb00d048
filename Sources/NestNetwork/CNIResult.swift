import Foundation

/// What a plugin chain's ADD gave the container, read from the CNI result:
/// its first IPv4 address (CIDR) and gateway.
public struct CNIResult: Sendable, Equatable {
    public var address: String?
    public var gateway: String?

    /// The address without its prefix: what /etc/hosts names.
    public var ip: String? { address.map { String($0.split(separator: "/")[0]) } }

    public static func parse(_ bytes: [UInt8]) throws(NetworkError) -> CNIResult {
        guard let doc = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else {
            throw NetworkError(.plugin, "the plugin's result is not a JSON object: \(String(decoding: bytes.prefix(200), as: UTF8.self))")
        }
        let ips = doc["ips"] as? [[String: Any]] ?? []
        let v4 = ips.first { ($0["address"] as? String)?.contains(".") == true }
        return CNIResult(address: v4?["address"] as? String, gateway: v4?["gateway"] as? String)
    }
}

/// A plugin's error (CNI spec: `{"code", "msg", "details"}` on stdout, exit
/// status not 0) as one line.
enum CNIErrorText {
    static func describe(plugin: String, command: String, stdout: [UInt8], stderr: [UInt8], status: Int32) -> String {
        if let doc = (try? JSONSerialization.jsonObject(with: Data(stdout))) as? [String: Any], let msg = doc["msg"] as? String {
            var text = "\(plugin) \(command): \(msg)"
            if let details = doc["details"] as? String, !details.isEmpty { text += ": \(details)" }
            if let code = doc["code"] as? Int { text += " (CNI error \(code))" }
            return text
        }
        let err = String(decoding: stderr.suffix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let out = String(decoding: stdout.suffix(500), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return "\(plugin) \(command): exit status \(status)" + (err.isEmpty ? "" : ": \(err)") + (out.isEmpty ? "" : ": \(out)")
    }
}
