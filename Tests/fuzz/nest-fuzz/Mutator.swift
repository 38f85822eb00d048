/// A deterministic byte mutator: the same seed and corpus give the same
/// inputs, so a failure found at input N is found again by a run of N.
struct RNG {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    // SplitMix64: fast, and every seed (0 included) gives a full sequence
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
}

struct Mutator {
    var rng: RNG
    /// Tokens of the input's grammar, spliced in whole (`"mounts"`, `</`, `%00`...).
    let dictionary: [[UInt8]]
    let maxLength: Int

    private static let interesting: [[UInt8]] = [
        [0], [0xff], [0x7f], [0x80], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80],
        Array("-1".utf8), Array("0".utf8), Array("2147483647".utf8), Array("2147483648".utf8),
        Array("-2147483649".utf8), Array("4294967296".utf8), Array("9223372036854775807".utf8),
        Array("18446744073709551616".utf8), Array("1e400".utf8), Array("-0".utf8), Array("NaN".utf8),
        Array("1.5".utf8), Array("\\u0000".utf8), Array("\\ud800".utf8), Array("\\udc00".utf8),
        Array("\"".utf8), Array("\\".utf8), Array("\n".utf8), Array("\r\n".utf8), Array("\t".utf8),
        Array("null".utf8), Array("true".utf8), Array("[]".utf8), Array("{}".utf8),
        Array("../".utf8), Array("/proc/self/fd/3".utf8), Array(String(repeating: "A", count: 300).utf8),
    ]

    mutating func mutate(_ input: [UInt8], corpus: [[UInt8]]) -> [UInt8] {
        var b = input
        for _ in 0..<(1 + rng.below(5)) { step(&b, corpus) }
        if b.count > maxLength { b.removeLast(b.count - maxLength) }
        return b
    }

    private mutating func token() -> [UInt8] {
        if !dictionary.isEmpty && rng.chance(70) { return dictionary[rng.below(dictionary.count)] }
        return Self.interesting[rng.below(Self.interesting.count)]
    }

    private mutating func step(_ b: inout [UInt8], _ corpus: [[UInt8]]) {
        let at = rng.below(b.count + 1)
        switch rng.below(11) {
        case 0 where !b.isEmpty:        // flip a bit
            let i = rng.below(b.count); b[i] ^= UInt8(1 << rng.below(8))
        case 1 where !b.isEmpty:        // a random byte
            b[rng.below(b.count)] = UInt8(truncatingIfNeeded: rng.next())
        case 2 where !b.isEmpty:        // delete a run
            let n = min(1 + rng.below(16), b.count - min(at, b.count - 1))
            let s = min(at, b.count - 1)
            b.removeSubrange(s..<(s + n))
        case 3:                          // insert a token
            b.insert(contentsOf: token(), at: at)
        case 4 where !b.isEmpty:        // overwrite with a token
            let t = token(); let s = min(at, b.count - 1)
            b.replaceSubrange(s..<min(b.count, s + t.count), with: t)
        case 5 where !b.isEmpty:        // duplicate a run (nesting, repeated keys)
            let s = rng.below(b.count), n = 1 + rng.below(min(64, b.count - s))
            b.insert(contentsOf: b[s..<(s + n)], at: at)
        case 6 where !corpus.isEmpty:   // splice another input in
            let o = corpus[rng.below(corpus.count)]
            guard !o.isEmpty else { return }
            let s = rng.below(o.count), n = 1 + rng.below(o.count - s)
            b.insert(contentsOf: o[s..<(s + n)], at: at)
        case 7 where !b.isEmpty:        // truncate
            b.removeSubrange(rng.below(b.count)..<b.count)
        case 8 where !b.isEmpty:        // an ASCII digit run changed (numbers are where overflows live)
            if let i = b.indices.dropFirst(rng.below(b.count)).first(where: { (0x30...0x39).contains(b[$0]) }) {
                var j = i
                while j < b.count, (0x30...0x39).contains(b[j]) { j += 1 }
                b.replaceSubrange(i..<j, with: Self.interesting[3 + rng.below(14)])
            }
        case 9 where !b.isEmpty:        // swap two bytes
            b.swapAt(rng.below(b.count), rng.below(b.count))
        default:                         // a repeated token: deep nesting, long names
            let t = token()
            for _ in 0..<(1 + rng.below(80)) { b.insert(contentsOf: t, at: min(at, b.count)) }
        }
    }
}
