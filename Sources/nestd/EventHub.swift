#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import NestAPI
import Synchronization

/// Fans container events out to every open GET /v1/events stream.
final class EventHub: Sendable {
    private let subscribers = Mutex<[Int: @Sendable (Event) -> Void]>([:])
    private let nextID = Atomic<Int>(0)

    func subscribe(_ f: @escaping @Sendable (Event) -> Void) -> Int {
        let id = nextID.add(1, ordering: .relaxed).newValue
        subscribers.withLock { $0[id] = f }
        return id
    }

    func unsubscribe(_ id: Int) { _ = subscribers.withLock { $0.removeValue(forKey: id) } }

    func emit(_ type: String, id: String, name: String, exitCode: Int32? = nil) {
        let fs = subscribers.withLock { Array($0.values) }
        // four events per container run; without a listener, no time to format
        guard !fs.isEmpty else { return }
        let e = Event(type: type, id: id, name: name, time: Timestamp.string(Date()), exitCode: exitCode)
        for f in fs { f(e) }
    }
}
