import Glibc
import CNestShims
import Synchronization

/// A detached thread running `body`: requests that block (waits, followed
/// logs) and the daemon's watchers each get one. When no thread can be had,
/// `body` runs here (`inlineOnFailure`) or not at all; false then.
@discardableResult
func detachThread(stackSize: Int = 1 << 20, inlineOnFailure: Bool = true, _ body: @escaping @Sendable () -> Void) -> Bool {
    final class Box: @unchecked Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
    var attr = pthread_attr_t()
    pthread_attr_init(&attr)
    defer { pthread_attr_destroy(&attr) }
    pthread_attr_setdetachstate(&attr, Int32(PTHREAD_CREATE_DETACHED))
    pthread_attr_setstacksize(&attr, stackSize)
    let box = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let rc = pthread_create(&thread, &attr, { raw in
        let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
        box.body()
        return nil
    }, box)
    if rc != 0 {
        let work = Unmanaged<Box>.fromOpaque(box).takeRetainedValue()
        // No thread to be had: run it here rather than drop the work.
        if inlineOnFailure { work.body() }
        return false
    }
    return true
}

/// The directory part of a path.
func parentDirectory(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
}

/// Decodes %XX escapes (and, in query strings, `+` as a space).
func percentDecoded(_ text: Substring, plusIsSpace: Bool = false) -> String {
    var out: [UInt8] = []
    var bytes = Array(text.utf8)[...]
    while let b = bytes.popFirst() {
        if b == UInt8(ascii: "%"), bytes.count >= 2,
           let v = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16) {
            out.append(v)
            bytes = bytes.dropFirst(2)
        } else if plusIsSpace && b == UInt8(ascii: "+") {
            out.append(UInt8(ascii: " "))
        } else {
            out.append(b)
        }
    }
    return String(decoding: out, as: UTF8.self)
}

/// The threads requests run on. glibc keeps what a burst of requests freed
/// in its arenas (M_ARENA_MAX bounds their number, not their size); when the
/// last request of a burst ends, and at least `trimEvery` have ended since,
/// it is handed back to the kernel.
enum RequestThreads {
    private static let active = Atomic<Int>(0)
    private static let sinceTrim = Atomic<Int>(0)
    private static let trimEvery = 64

    /// False when no thread could be had; `body` has not run then.
    static func detach(_ body: @escaping @Sendable () -> Void) -> Bool {
        active.add(1, ordering: .relaxed)
        let started = detachThread(inlineOnFailure: false) {
            body()
            let left = active.subtract(1, ordering: .acquiringAndReleasing).newValue
            let ended = sinceTrim.add(1, ordering: .relaxed).newValue
            if left == 0, ended >= trimEvery {
                sinceTrim.store(0, ordering: .relaxed)
                _ = nest_trim_heap()
            }
        }
        if !started { active.subtract(1, ordering: .relaxed) }
        return started
    }
}
