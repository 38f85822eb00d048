import Glibc

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
