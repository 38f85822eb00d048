import Glibc
import Synchronization

/// What a crash or a hang leaves behind: the input being run is copied to a
/// buffer before each run; a fatal signal or the watchdog writes it to
/// ARTIFACTS/crash-TARGET (or hang-TARGET) with plain write(2), the only
/// thing a signal handler may do here.
enum Guard {
    nonisolated(unsafe) static var buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    nonisolated(unsafe) static var capacity = 1
    nonisolated(unsafe) static var length = 0
    nonisolated(unsafe) static var crashFD: Int32 = -1
    nonisolated(unsafe) static var hangFD: Int32 = -1
    /// Start of the input being run, in ms since the loop began (0 = idle).
    static let started = Atomic<Int64>(0)
    static let inputs = Atomic<Int64>(0)

    static func setUp(artifacts: String, target: String, timeoutMS: Int64) {
        crashFD = open("\(artifacts)/crash-\(target)", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        hangFD = open("\(artifacts)/hang-\(target)", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        // empty files are noise: they are removed at a clean exit
        var ss = stack_t()
        ss.ss_sp = UnsafeMutableRawPointer.allocate(byteCount: 1 << 16, alignment: 16)
        ss.ss_size = 1 << 16
        sigaltstack(&ss, nil)
        for sig in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE] {
            var sa = sigaction()
            sa.__sigaction_handler.sa_handler = onFatalSignal
            sa.sa_flags = Int32(SA_ONSTACK) | Int32(bitPattern: UInt32(SA_RESETHAND))
            sigaction(sig, &sa, nil)
        }
        let t0 = now()
        timeout = timeoutMS
        var th = pthread_t()
        pthread_create(&th, nil, watchdog, nil)
        start0 = t0
    }

    nonisolated(unsafe) static var start0: Int64 = 0
    nonisolated(unsafe) static var timeout: Int64 = 0

    static func begin(_ input: [UInt8]) {
        if input.count > capacity {
            buffer.deallocate()
            capacity = max(input.count, capacity * 2)
            buffer = .allocate(capacity: capacity)
        }
        input.withUnsafeBufferPointer { p in
            if let base = p.baseAddress { buffer.update(from: base, count: p.count) }
        }
        length = input.count
        started.store(max(1, now() - start0), ordering: .relaxed)
    }

    static func end() {
        started.store(0, ordering: .relaxed)
        inputs.add(1, ordering: .relaxed)
    }

    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

private func onFatalSignal(_ sig: Int32) {
    write(Guard.crashFD, Guard.buffer, Guard.length)
    let msg = "nest-fuzz: fatal signal while running an input; it is saved as crash-*\n"
    _ = msg.withCString { write(2, $0, strlen($0)) }
    signal(sig, SIG_DFL)
    raise(sig)
}

private func watchdog(_: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    while true {
        usleep(50_000)
        let s = Guard.started.load(ordering: .relaxed)
        if s != 0 && Guard.now() - Guard.start0 - s > Guard.timeout {
            write(Guard.hangFD, Guard.buffer, Guard.length)
            let msg = "nest-fuzz: an input ran longer than \(Guard.timeout) ms (input #\(Guard.inputs.load(ordering: .relaxed))); it is saved as hang-*\n"
            _ = msg.withCString { write(2, $0, strlen($0)) }
            _exit(3)
        }
    }
}
