import Crypto

/// A content digest, "sha256:" and 64 lower-case hex digits. Only sha256:
/// every path under blobs/ is built from a validated digest, so a digest
/// can never name a file outside the store.
public enum Digest {
    public static func validate(_ digest: String, what: String = "digest") throws(ImageError) -> String {
        guard digest.hasPrefix("sha256:") else {
            throw ImageError(.invalid, "\(what) \(digest.prefix(80)): only sha256 digests are supported")
        }
        let hex = digest.dropFirst(7)
        guard hex.utf8.count == 64, hex.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) else {
            throw ImageError(.invalid, "\(what) \(digest.prefix(80)): not sha256: followed by 64 lower-case hex digits")
        }
        return String(hex)
    }

    static func isValid(_ digest: String) -> Bool { (try? validate(digest)) != nil }

    public static func sha256(_ bytes: some Sequence<UInt8>) -> String {
        var h = SHA256()
        h.update(data: Array(bytes))
        return render(h.finalize())
    }

    static func render(_ d: SHA256.Digest) -> String {
        "sha256:" + d.map { b in
            let s = String(b, radix: 16)
            return b < 16 ? "0" + s : s
        }.joined()
    }
}

/// Chain IDs as the image-spec defines them: ChainID(L0) = DiffID(L0),
/// ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)). A layer dir is
/// keyed by its chain ID, so one unpacked layer is the same stack of
/// content for every image that has it, whatever layers sit above.
public enum ChainID {
    public static func chain(_ diffIDs: [String]) -> [String] {
        var out: [String] = []
        for d in diffIDs {
            if let last = out.last {
                out.append(Digest.sha256(Array((last + " " + d).utf8)))
            } else {
                out.append(d)
            }
        }
        return out
    }
}
