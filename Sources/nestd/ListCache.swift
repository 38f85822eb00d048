import Synchronization

/// The bodies of GET /v1/containers, kept while nothing changes.
///
/// Building a listing reads every container's state (its status file,
/// /proc/PID/stat, its freezer, its exec fifo): ~20 ms for 1000 containers,
/// for an answer that is the same until a container is made, started,
/// paused, updated, exits or is removed. Every one of those goes through a
/// daemon method that brackets its work with `begin()`/`end()`, or is seen
/// by the exit watcher, which calls `changed()`. A body is kept only when no
/// change was under way while it was built and none began or ended since.
final class ListCache: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var changing = 0
        var bodies: [String: [UInt8]] = [:]
    }
    private let state = Mutex(State())
    /// Distinct queries (state and label filters) kept at once.
    private let maxBodies = 8

    /// A change starts: no listing is kept until the matching `end()`.
    func begin() {
        state.withLock { s in s.generation &+= 1; s.changing += 1; s.bodies.removeAll() }
    }

    func end() {
        state.withLock { s in s.generation &+= 1; s.changing -= 1; s.bodies.removeAll() }
    }

    /// Something changed that no daemon method made (an init exited).
    func changed() {
        state.withLock { s in s.generation &+= 1; s.bodies.removeAll() }
    }

    /// The kept body for `key`, or `build()`'s, kept if nothing changed meanwhile.
    func body(_ key: String, build: () -> [UInt8]) -> [UInt8] {
        let (generation, kept) = state.withLock { s in (s.generation, s.changing == 0 ? s.bodies[key] : nil) }
        if let kept { return kept }
        let fresh = build()
        state.withLock { s in
            guard s.generation == generation, s.changing == 0 else { return }
            if s.bodies.count >= maxBodies { s.bodies.removeAll() }
            s.bodies[key] = fresh
        }
        return fresh
    }
}
