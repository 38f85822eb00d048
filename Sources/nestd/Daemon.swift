#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import Dispatch
import Logging
import NestAPI
import NestImage
import NestNetwork
import NestOCI
import NestRuntime
import NestSubsystem
import NestVolume
import Synchronization

/// Owns the host's containers: the daemon's records joined with the runtime's
/// state. Every method blocks and is called off the event loops.
final class Daemon: Sendable {
    let runtime: Runtime
    let records: RecordStore
    let events = EventHub()
    /// GET /v1/containers's bodies while nothing changes; every method that
    /// changes a container's state or record brackets its work with it.
    let listCache = ListCache()
    let root: String
    let data: String
    let logger: Logger
    /// Where `image` of a create is looked up: the store under DATA/images.
    let images: StoreImageSource
    /// The layers creates in progress hold, by a token of each (DaemonImages).
    let imageClaims = Mutex<[String: LayerUse]>([:])
    /// Lock order: `known`, then `waiters` (onExit registers a waiter only
    /// while the container is known, so a removal cannot miss it).
    let known = Mutex<[String: ContainerRecord]>([:])
    let waiters = Mutex<[String: [@Sendable (ContainerStatus?) -> Void]]>([:])
    /// Held around a record write that must not follow a delete's claim (and
    /// around the claim); taken before `known`.
    private let recordWrites = Mutex(())
    private let watcherBox = Mutex<ExitWatcher?>(nil)
    private let summaries = Mutex<[String: [ComponentSummary]]>([:])
    /// The stdin pipes and pty masters the daemon holds (ContainerIO).
    let streams = Mutex<[String: ContainerIO]>([:])
    /// Names and ids of containers being created, so that two creates with
    /// one name cannot both pass the check.
    private let reservedNames = Mutex<[String: String]>([:])
    /// DATA/volumes; `volumeUse` serializes volume operations and counts
    /// the creates in progress per volume (DaemonVolumes).
    let volumes: VolumeStore
    let volumeUse = Mutex<[String: Int]>([:])
    /// DATA/pods; the pods by id; `podLock` is held around every change of
    /// a pod's config (Pods.swift).
    let podStore: PodStore
    let pods = Mutex<[String: PodRecord]>([:])
    let podLock = Mutex(())
    /// DATA/networks, namespace files under RUN/.nestd/netns (DaemonNetworks).
    let networks: NetworkStore

    private func reserve(name: String, id: String) -> Bool {
        reservedNames.withLock { taken in
            if !name.isEmpty, taken.values.contains(name) { return false }
            taken[id] = name
            return true
        }
    }

    private func release(id: String) {
        _ = reservedNames.withLock { $0.removeValue(forKey: id) }
    }

    init(root: String, data: String, logger: Logger) {
        self.root = root
        self.data = data
        self.logger = logger
        // Monitors are forked from a zygote: no exec per container.
        var options = RuntimeOptions(root: root, monitorZygote: true)
        // The zygote is the daemon's child: the bounding set the runtime
        // checks capabilities against is the one its monitors have.
        options.warn = { message in logger.warning("\(message)") }
        runtime = Runtime(options: options)
        records = RecordStore(dir: data + "/containers", ephemeralDir: root + "/.nestd/containers")
        images = StoreImageSource(root: data + "/images")
        volumes = VolumeStore(root: data + "/volumes")
        podStore = PodStore(dir: data + "/pods")
        networks = NetworkStore(root: data + "/networks", runDir: root + "/.nestd/netns")
    }

    var watcher: ExitWatcher { watcherBox.withLock { $0! } }

    /// Loads the records, finishes or removes what a killed daemon left
    /// half-done, and watches every container that has not exited.
    func recover() {
        try? FileManager.default.createDirectory(atPath: records.dir, withIntermediateDirectories: true)
        try? FileManager.default.createDirectory(atPath: records.ephemeralDir, withIntermediateDirectories: true)
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let w = ExitWatcher(root: root, isStopped: { [runtime] id in
            // Gone from the runtime counts as stopped too; a state that
            // could not be read does not (see ExitCheck).
            runtime.exitCheck(id).isFinal
        }, openPidfd: { [runtime] id in runtime.exitWatch(id: id) },
        noteExit: { [runtime] id, pidfd in (try? runtime.noteExit(id: id, pidfd: pidfd)) ?? false },
        onExit: { [weak self] id in self?.exited(id) },
        changed: { [weak self] in self?.listCache.changed() })
        watcherBox.withLock { $0 = w }
        for var r in records.loadAll() {
            let st = try? runtime.state(id: r.id)
            switch (r.phase, st) {
            case (.creating, _), (.deleting, _):
                // the daemon died inside create or delete: undo or finish it
                if st != nil { try? runtime.delete(id: r.id, force: true) }
                records.remove(r.id)
                logger.info("removed half-made container", metadata: ["id": "\(r.id)", "phase": "\(r.phase.rawValue)"])
            case (.created, nil):
                records.remove(r.id)
                logger.warning("container vanished from the runtime", metadata: ["id": "\(r.id)"])
            case (.created, let s?):
                if s.status == "running", r.started == nil { r.started = Date(); try? records.save(r, durable: false) }
                known.withLock { $0[r.id] = r }
            }
        }
        // The pods' holders are the pods' (their containers are known now).
        let holders = recoverPods()
        // Runtime containers without a record: a create the daemon did not
        // finish. Remove them, as a create that failed would have.
        let recorded = Set(known.withLock { Array($0.keys) }).union(holders)
        // Those being made are listed too (a creating record, or only a
        // state directory): their cgroups, processes and dirs are undone.
        for status in runtime.list() where !recorded.contains(status.id) {
            do {
                try runtime.delete(id: status.id, force: true)
                records.remove(status.id)
                logger.info("removed half-made container", metadata: ["id": "\(status.id)", "phase": "\(status.status)"])
            } catch {
                logger.warning("could not remove half-made container", metadata: ["id": "\(status.id)", "error": "\(error)"])
            }
        }
        // Data directories without a record: made by a create the daemon
        // did not finish (the record is written last).
        for id in records.unrecordedDirs() where !recorded.contains(id) {
            if (try? runtime.state(id: id)) == nil {
                records.remove(id)
                logger.info("removed the data of a half-made container", metadata: ["id": "\(id)"])
            }
        }
        do { try volumes.prepare() } catch { logger.warning("volumes", metadata: ["error": "\(error)"]) }
        logVolumeUsers()
        recoverNetworks()
        w.start()
        for id in known.withLock({ Array($0.keys) }) { w.watch(id) }
        logger.info("recovered containers", metadata: ["count": "\(known.withLock { $0.count })"])
    }

    // MARK: lookups

    func record(_ idOrName: String) throws(APIError) -> ContainerRecord {
        let r = known.withLock { k in k[idOrName] ?? k.values.first { $0.name == idOrName } }
        guard let r else { throw .notFound(idOrName) }
        return r
    }

    func info(_ idOrName: String) throws(APIError) -> ContainerInfo {
        let r = try record(idOrName)
        return info(r, (try? runtime.state(id: r.id)))
    }

    func info(_ r: ContainerRecord, _ s: ContainerStatus?) -> ContainerInfo {
        ContainerInfo(id: r.id, name: r.name, state: s?.status ?? "stopped", pid: s?.pid ?? 0,
                      exitCode: s?.exitCode, oomKilled: s?.oomKilled,
                      created: Timestamp.string(r.created), started: r.started.map(Timestamp.string),
                      finished: s?.finishedAt, bundle: r.bundle, command: r.command,
                      labels: r.labels, subsystem: summary(r.id), resources: s?.resources)
    }

    func list(state: String?, label: String?) -> [ContainerInfo] {
        let all = known.withLock { Array($0.values) }.sorted { $0.created < $1.created }
        var out: [ContainerInfo] = []
        out.reserveCapacity(all.count)
        for r in all {
            if let label {
                // "KEY=" asks for an empty value, "KEY" for any value
                if let eq = label.firstIndex(of: "=") {
                    if r.labels[String(label[..<eq])] != String(label[label.index(after: eq)...]) { continue }
                } else if r.labels[label] == nil { continue }
            }
            // once per container: each reads the status file and /proc
            let s = try? runtime.state(id: r.id)
            if let state, (s?.status ?? "stopped") != state { continue }
            out.append(info(r, s))
        }
        return out
    }

    private func stateName(_ id: String) -> String { (try? runtime.state(id: id).status) ?? "stopped" }

    /// The components of the subsystem and what they provide, from its config.
    /// A subsystem never changes after create, so each is read once.
    func summary(_ id: String) -> [ComponentSummary] {
        if let known = summaries.withLock({ $0[id] }) { return known }
        // a pod's container shows its pod's config
        let configID = id.split(separator: "/").first.map(String.init) ?? id
        guard let xml = try? runtime.subsystemXML(id: configID) else { return [] }
        let components = SubsystemSummary.components(xml)
        // Only for a container still known: a lookup that raced its removal
        // must not leave an entry that nothing would ever remove.
        known.withLock { k in
            if k[id] != nil { summaries.withLock { $0[id] = components } }
        }
        return components
    }

    /// A pod's config changes with each container: its containers' summaries go with it.
    func setSummary(_ id: String, _ components: [ComponentSummary]) {
        listCache.begin(); defer { listCache.end() }
        summaries.withLock { s in
            if let slash = id.firstIndex(of: "/") {
                let prefix = id[...slash]
                for key in s.keys where key.hasPrefix(prefix) { s[key] = components }
            }
            s[id] = components
        }
    }

    // MARK: lifecycle

    func create(_ req: CreateRequest) throws(APIError) -> CreateResponse {
        listCache.begin(); defer { listCache.end() }
        if let pod = req.pod { return try addToPod(pod, req) }
        let given = try req.subsystem.map { text throws(APIError) in try Self.handWritten(text) }
        if let given, !given.isSingleProcess { return try createPod(from: given, req) }
        try Self.checkImageFields(req)
        if req.image != nil, given != nil || !req.bundle.isEmpty {
            throw APIError(400, "give one of image, bundle and subsystem", field: "image")
        }
        if given == nil, req.image == nil, !req.bundle.hasPrefix("/") { throw APIError(400, "bundle must be an absolute path", field: "bundle") }
        if given != nil, !req.bundle.isEmpty { throw APIError(400, "give a bundle or a subsystem, not both", field: "bundle") }
        // held until the config naming its layers is on disk (or the create failed)
        let imageToken = UUID().uuidString
        let image = try req.image.map { ref throws(APIError) in (ref: ref, image: try claimImage(ref, token: imageToken)) }
        defer { if image != nil { releaseImage(imageToken) } }
        let name = req.name ?? ""
        try Self.checkName(name)
        var id = ""
        let reserved = known.withLock { k -> Bool in
            if !name.isEmpty, k.values.contains(where: { $0.name == name }) { return false }
            repeat { id = Self.randomID() } while k[id] != nil || reservedNames.withLock({ $0[id] != nil })
            return true
        }
        guard reserved, reserve(name: name, id: id) else { throw APIError(409, "name \(name) is already in use", field: "name") }
        defer { release(id: id) }
        var opts = CreateOptions(bundle: req.bundle)
        let ephemeral = req.autoRemove == true
        opts.stdio = .log(path: records.logPath(id, ephemeral: ephemeral))
        // The runtime checks the whole spec before it makes anything (its
        // monitor, started first to overlap the translation, is reaped on
        // failure); the data directory holds the log the monitor writes.
        var sub: Subsystem
        let io: ContainerIO?
        var labels = req.labels ?? [:]
        let stopSignal: String?
        do {
            try records.makeContainerDir(id, ephemeral: ephemeral)
            CrashPoint.hit("nestd:data-dir")
            if var given {
                given.name = id
                given.fillLogFiles(opts.stdio.logFile ?? "")
                sub = given
            } else if let image {
                let made = try ImageBundle.make(req, ref: image.ref, image: image.image,
                                                dataDir: records.containerDir(id, ephemeral: ephemeral), id: id)
                opts.bundle = made.bundle
                opts.overlay = made.overlay
                labels = made.labels
                sub = try runtime.translate(id: id, options: opts)
            } else {
                sub = try runtime.translate(id: id, options: opts)
            }
            // an image's user is the spec's already, resolved in its layers
            if let user = req.user, image == nil { try sub.setUser(user) }
            try Self.applyLimits(req, &sub)
            stopSignal = try Self.stopSignal(sub, image: image != nil)
            var volumeClaim = try claimVolumes(req.mounts ?? [], layers: image?.image.layers.reversed().map(\.path), into: &sub)
            // after the runtime has written the config (or failed): from
            // then on the config names the container as a volume user
            defer { releaseVolumes(volumeClaim) }
            try attachNetworks(req, id: id, name: name.isEmpty ? "nest-" + id.prefix(8) : name, into: &sub)
            var stdio = try StdioSetup(req, &sub, &opts, consoleDir: root + "/.nestd/console", id: id)
            do {
                _ = try runtime.create(subsystem: sub, options: opts)
            } catch {
                stdio.abandon()
                throw error
            }
            CrashPoint.hit("nestd:runtime-created")
            do throws(APIError) {
                io = try stdio.finish(id: id)
            } catch {
                try? runtime.delete(id: id, force: true)
                throw error
            }
            volumeClaim.succeeded = true
        } catch let error as APIError {
            detachNetworks(id)
            records.remove(id)
            throw error
        } catch {
            detachNetworks(id)
            records.remove(id)
            throw APIError(error)
        }
        if let io {
            io.startCopier(logPath: records.logPath(id, ephemeral: ephemeral))
            streams.withLock { $0[id] = io }
        }
        var r = ContainerRecord(id: id, name: name.isEmpty ? "nest-" + id.prefix(8) : name, bundle: opts.bundle,
                                labels: labels,
                                command: sub.processes.first?.container?.process?.args ?? [],
                                created: Date(), started: nil, phase: .created,
                                autoRemove: ephemeral ? true : nil)
        r.image = req.image
        r.stopSignal = stopSignal
        // No record before the container exists: a daemon killed in between
        // leaves a runtime container without a record, which recover() removes.
        do {
            // The fsync (two, with the directory's) is there so that a stopped
            // container's record survives a power loss. An auto-remove
            // container has nothing to keep across one: the crash killed it,
            // and it would have been removed when it exited. Atomic either way.
            try records.save(r, durable: !r.removesItself)
            CrashPoint.hit("nestd:record")
        } catch {
            try? runtime.delete(id: id, force: true)
            streams.withLock { $0.removeValue(forKey: id) }?.close()
            detachNetworks(id)
            records.remove(id)
            throw APIError(error)
        }
        // its neighbours learn its name
        refreshHosts(networks.neighbours(of: id))
        r.phase = .created
        summaries.withLock { $0[id] = SubsystemSummary.components(sub) }
        known.withLock { $0[id] = r }
        events.emit("created", id: id, name: r.name)
        watcher.watch(id)
        return CreateResponse(id: id, name: r.name)
    }

    /// A client's subsystem config: read and checked here, so that a bad
    /// one is a 400 naming its node before an id is reserved. One of
    /// several processes (or with <share> or a quota of its own) is a pod.
    static func handWritten(_ text: String) throws(APIError) -> Subsystem {
        let sub: Subsystem
        do { sub = try Subsystem.read(xml: text) } catch {
            throw APIError(400, "subsystem: \(error.description)", field: "subsystem")
        }
        let problems = sub.check()
        if let first = problems.first {
            throw APIError(400, "subsystem: " + problems.map(\.description).joined(separator: "; "), field: first.path.isEmpty ? "subsystem" : first.path)
        }
        return sub
    }

    func start(_ idOrName: String) throws(APIError) {
        listCache.begin(); defer { listCache.end() }
        let r = try record(idOrName)
        do { try runtime.start(id: r.id) } catch { throw APIError(error) }
        let now = Date()
        // The container may have exited and been removed (auto-remove)
        // already: then its record must not come back. delete() claims the
        // container under `recordWrites` too.
        recordWrites.withLock { _ in
            let updated = known.withLock { k -> ContainerRecord? in
                guard var cur = k[r.id], cur.phase == .created else { return nil }
                cur.started = now
                k[r.id] = cur
                return cur
            }
            if let updated { try? records.save(updated, durable: false) }
        }
        events.emit("started", id: r.id, name: r.name)
    }

    func kill(_ idOrName: String, signal: String) throws(APIError) {
        listCache.begin(); defer { listCache.end() }
        // the signal first: a bad one is a 400 whether or not the container exists
        let sig: Int32
        do { sig = try Signals.parse(signal) } catch { throw APIError(error) }
        let r = try record(idOrName)
        do { try runtime.kill(id: r.id, signal: sig) } catch { throw APIError(error) }
    }

    /// TERM, then KILL when the container has not exited after `timeout` seconds.
    func stop(_ idOrName: String, timeout: Double) throws(APIError) -> ContainerInfo {
        listCache.begin(); defer { listCache.end() }
        let r = try record(idOrName)
        let state = stateName(r.id)
        guard state == "running" || state == "created" || state == "paused" else { return try info(r.id) }
        // A created container runs no program yet, and its init, PID 1 of
        // its namespace, ignores a TERM it has no handler for: nothing to
        // stop gracefully, so no reason to wait out the timeout.
        // the image's StopSignal (checked at create), as containerd has it
        let term = r.stopSignal.flatMap { try? Signals.parse($0) } ?? SIGTERM
        try? runtime.kill(id: r.id, signal: state == "created" ? SIGKILL : term)
        // a process stopped by SIGSTOP would hold the TERM until the timeout
        if state != "created" { try? runtime.kill(id: r.id, signal: SIGCONT) }
        // a paused one gets its TERM once thawed
        if state == "paused" { try? runtime.resume(id: r.id) }
        if waitExit(r.id, timeout: state == "created" ? 10 : timeout) == nil {
            try? runtime.kill(id: r.id, signal: SIGKILL)
            _ = waitExit(r.id, timeout: 10)
        }
        return try info(r.id)
    }

    /// `autoRemoval`: the daemon removes an auto-remove container that has
    /// exited; `exitStatus` is what the exit watcher saw, for the waiters.
    /// `inPod`: called by a pod's removal, which holds `podLock`.
    func delete(_ idOrName: String, force: Bool, autoRemoval: Bool = false, exitStatus: ContainerStatus? = nil,
                inPod: Bool = false) throws(APIError) {
        listCache.begin(); defer { listCache.end() }
        var r = try record(idOrName)
        let status: ContainerStatus?
        if autoRemoval {
            status = exitStatus
        } else {
            // An unreadable state is not "stopped": a delete without force
            // must not remove a container it could not see had stopped.
            switch runtime.exitCheck(r.id) {
            case .running(let s), .exited(let s): status = s
            case .gone: status = nil
            case .unknown:
                if !force { throw APIError(503, "container \(r.id): its state could not be read; try again") }
                status = nil
            }
        }
        let st = status?.status ?? "stopped"
        if !force, st != "stopped", st != "created" {
            throw APIError(409, "container \(r.id) is \(st); stop it first or use force=true", field: "force")
        }
        // One delete at a time: a DELETE may come while the daemon removes
        // an auto-remove container that has just exited.
        let claimed = recordWrites.withLock { _ in
            known.withLock { k -> Bool in
                guard k[r.id]?.phase == .created else { return false }
                k[r.id]?.phase = .deleting
                return true
            }
        }
        guard claimed else { throw APIError(409, "container \(r.id) is being removed") }
        r.phase = .deleting
        // For recover() to finish the delete. An auto-remove container needs
        // no mark: recover() removes it anyway once it has exited.
        if !r.removesItself { try? records.save(r, durable: false) }
        watcher.unwatch(r.id)
        do { try runtime.delete(id: r.id, force: true) } catch {
            if case RuntimeError.notFound = error {} else {
                r.phase = .created
                if autoRemoval { r.autoRemove = nil }     // see removeExited
                known.withLock { $0[r.id] = r }
                try? records.save(r, durable: false)
                if !autoRemoval { watcher.watch(r.id) }
                throw APIError(error)
            }
        }
        // after the runtime's delete: its processes are gone from the namespace
        detachNetworks(r.id)
        records.remove(r.id)
        forgetMember(r, lockHeld: inPod)
        _ = known.withLock { $0.removeValue(forKey: r.id) }
        _ = summaries.withLock { $0.removeValue(forKey: r.id) }
        streams.withLock { $0.removeValue(forKey: r.id) }?.close()
        let pending = waiters.withLock { $0.removeValue(forKey: r.id) } ?? []
        // deleted after it exited: the waiters learn how it exited
        let final = st == "stopped" ? status : nil
        for w in pending { w(final) }
        events.emit("deleted", id: r.id, name: r.name)
    }

    /// The fields that apply to an image only.
    static func checkImageFields(_ req: CreateRequest) throws(APIError) {
        guard req.image == nil else { return }
        let given = [("entrypoint", req.entrypoint != nil), ("cmd", req.cmd != nil), ("env", req.env != nil),
                     ("workingDir", req.workingDir != nil)].filter(\.1).map(\.0)
        if let first = given.first {
            throw APIError(400, "\(given.joined(separator: ", ")) apply to an image only; a bundle's config.json says them", field: first)
        }
    }

    /// The signal `stop` sends first: the spec's (an image's StopSignal)
    /// `org.opencontainers.image.stopSignal` annotation, or nil for SIGTERM.
    static func stopSignal(_ sub: Subsystem, image: Bool) throws(APIError) -> String? {
        guard let signal = sub.annotations.first(where: { $0.key == ImageSpec.stopSignalAnnotation })?.value else { return nil }
        do { _ = try Signals.parse(signal) } catch {
            throw APIError(400, "stop signal \(signal.prefix(32)): \(error.description)",
                           field: image ? "config.StopSignal" : "annotations")
        }
        return signal
    }

    /// `[A-Za-z0-9][A-Za-z0-9_.-]{0,127}`
    static func isValidName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        func alnum(_ b: UInt8) -> Bool { (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) }
        guard let first = bytes.first, alnum(first), bytes.count <= 128 else { return false }
        return bytes.allSatisfy { alnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    /// An optional name a client gives (a container's, a pod's, a
    /// container's in its pod): empty, or [A-Za-z0-9][A-Za-z0-9_.-]*.
    static func checkName(_ name: String) throws(APIError) {
        if !name.isEmpty, !isValidName(name) {
            throw APIError(400, "name must match [A-Za-z0-9][A-Za-z0-9_.-]*", field: "name")
        }
    }

    static func randomID() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<6).map { _ in
            let b = UInt8.random(in: 0...255, using: &g)
            return String(b >> 4, radix: 16) + String(b & 15, radix: 16)
        }.joined()
    }
}
