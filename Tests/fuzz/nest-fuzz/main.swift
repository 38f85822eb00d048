// nest-fuzz: a mutation fuzz loop over Nest's parsers, with no dependency
// beyond the modules it fuzzes. Deterministic: the same --seed, seeds and
// --runs give the same inputs.
//
//   nest-fuzz TARGET [--runs N] [--seconds S] [--seed N] [--seeds DIR]... [--seed-ext EXT]
//             [--artifacts DIR] [--timeout-ms MS] [--max-len N]
//             [--socket PATH --pid NESTD_PID]      (target http)
//   TARGET: spec (config.json), xml (subsystem XML), api (REST JSON models),
//           http (raw requests to a running nestd)
//   nest-fuzz TARGET --replay FILE...   runs the given inputs once each
//
// Exit status: 0 clean, 1 an oracle failed (the input is saved as
// ARTIFACTS/finding-TARGET), 3 an input hung, a signal when one crashed
// (saved as crash-TARGET).
import Glibc
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

struct Options {
    var target = ""
    var runs = Int.max
    var seconds = 0.0
    var seed: UInt64 = 1
    var seedDirs: [String] = []
    var artifacts = "."
    var timeoutMS: Int64 = 2000
    var maxLength = 64 << 10
    var socket = ""
    var pid: Int32 = 0
    var replay: [String] = []
    var seedExt = ""
}

func writeErr(_ s: String) { _ = s.withCString { write(2, $0, strlen($0)) } }

func usage(_ msg: String) -> Never {
    writeErr("nest-fuzz: \(msg)\nusage: nest-fuzz spec|xml|api|http [--runs N] [--seconds S] [--seed N] [--seeds DIR]... [--seed-ext EXT] [--artifacts DIR] [--timeout-ms MS] [--max-len N] [--socket PATH --pid PID] [--replay FILE...]\n")
    exit(2)
}

func parseOptions() -> Options {
    var o = Options()
    var args = CommandLine.arguments.dropFirst()
    guard let t = args.popFirst() else { usage("no target") }
    o.target = t
    func value(_ name: String) -> String {
        guard let v = args.popFirst() else { usage("\(name) needs a value") }
        return v
    }
    while let a = args.popFirst() {
        switch a {
        case "--runs": guard let n = Int(value(a)), n >= 0 else { usage("--runs: a count") }; o.runs = n
        case "--seconds": guard let s = Double(value(a)), s >= 0, s < 1e7 else { usage("--seconds: a duration") }; o.seconds = s
        case "--seed": guard let s = UInt64(value(a)) else { usage("--seed: an unsigned number") }; o.seed = s
        case "--seeds": o.seedDirs.append(value(a))
        case "--seed-ext": o.seedExt = value(a)
        case "--artifacts": o.artifacts = value(a)
        case "--timeout-ms": guard let t = Int64(value(a)), t > 0, t < 3_600_000 else { usage("--timeout-ms: 1..3600000") }; o.timeoutMS = t
        case "--max-len": guard let n = Int(value(a)), n > 0, n <= 16 << 20 else { usage("--max-len: 1..16M") }; o.maxLength = n
        case "--socket": o.socket = value(a)
        case "--pid": guard let p = Int32(value(a)), p > 0 else { usage("--pid: a pid") }; o.pid = p
        case "--replay": o.replay = Array(args); args = []
        default: usage("unknown option \(a)")
        }
    }
    if o.runs == Int.max && o.seconds == 0 && o.replay.isEmpty { usage("give --runs or --seconds") }
    return o
}

func readFile(_ path: String) -> [UInt8]? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&buf, 1, buf.count, f)
        if n <= 0 { break }
        out += buf[0..<n]
    }
    return out
}

func loadSeeds(_ dirs: [String], ext: String) -> [[UInt8]] {
    var seeds: [[UInt8]] = []
    for d in dirs {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: d) else {
            writeErr("nest-fuzz: cannot read seed directory \(d)\n"); exit(2)
        }
        for n in names.sorted() where ext.isEmpty || n.hasSuffix("." + ext) {
            if let b = readFile(d + "/" + n) { seeds.append(b) }
        }
    }
    return seeds
}

func save(_ input: [UInt8], _ path: String) {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { return }
    _ = input.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
}

let o = parseOptions()
var target: any Target
switch o.target {
case "spec": target = SpecTarget()
case "xml": target = XMLTarget()
case "api": target = APITarget()
case "http":
    guard !o.socket.isEmpty, o.pid > 0 else { usage("http needs --socket and --pid") }
    target = HTTPTarget(socketPath: o.socket, daemonPID: o.pid, readTimeoutMS: 1000)
default: usage("unknown target \(o.target)")
}
Guard.setUp(artifacts: o.artifacts, target: o.target, timeoutMS: o.timeoutMS)

func fail(_ f: Finding, _ input: [UInt8], _ n: Int) -> Never {
    let path = "\(o.artifacts)/finding-\(o.target)"
    save(input, path)
    print("nest-fuzz \(o.target): FAIL at input #\(n): \(f.message)\n  input saved as \(path)")
    exit(1)
}

if !o.replay.isEmpty {
    for (i, p) in o.replay.enumerated() {
        guard let input = readFile(p) else { usage("cannot read \(p)") }
        Guard.begin(input)
        do { _ = try target.run(input) } catch { fail(error, input, i) }
        Guard.end()
    }
    unlink("\(o.artifacts)/crash-\(o.target)"); unlink("\(o.artifacts)/hang-\(o.target)")
    print("nest-fuzz \(o.target): replayed \(o.replay.count) input(s), all passed")
    exit(0)
}

var corpus = loadSeeds(o.seedDirs, ext: o.seedExt)
if corpus.isEmpty { corpus = [[]] }
var mutator = Mutator(rng: RNG(seed: o.seed), dictionary: target.dictionary, maxLength: o.maxLength)
var seen = Set<String>()
let t0 = Guard.now()
let deadline = o.seconds > 0 ? t0 + Int64(o.seconds * 1000) : Int64.max
var n = 0
var lastReport = t0
// the seeds first, as they are, then mutations of the corpus
while n < o.runs {
    let input = n < corpus.count ? corpus[n] : mutator.mutate(corpus[mutator.rng.below(corpus.count)], corpus: corpus)
    Guard.begin(input)
    let sig: String
    do { sig = try target.run(input) } catch { fail(error, input, n) }
    Guard.end()
    n += 1
    if seen.insert(sig).inserted && n > corpus.count && corpus.count < 20_000 && input.count <= o.maxLength {
        corpus.append(input)
    }
    if n & 255 == 0 {
        let now = Guard.now()
        if now >= deadline { break }
        if now - lastReport >= 10_000 {
            lastReport = now
            print("nest-fuzz \(o.target): \(n) inputs, \(Int(Double(n) * 1000 / Double(max(1, now - t0))))/s, corpus \(corpus.count)")
        }
    }
}
let ms = max(1, Guard.now() - t0)
unlink("\(o.artifacts)/crash-\(o.target)"); unlink("\(o.artifacts)/hang-\(o.target)")
var extra = ""
if let h = target as? HTTPTarget {
    extra = ", timeouts \(h.timeouts), statuses " + h.statuses.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: " ")
}
print("nest-fuzz \(o.target): \(n) inputs in \("\(ms / 1000).\(ms % 1000 / 100)") s (\(Int(Double(n) * 1000 / Double(ms)))/s), seed \(o.seed), corpus \(corpus.count), signatures \(seen.count)\(extra), no failure")
