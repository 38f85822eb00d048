import NestOCI

// The state record, the monitor's status file and the OCI state, written
// with NestOCI's JSONWriter and read with its JSONReader rather than
// Foundation's JSONEncoder/JSONDecoder: every create, start, state and
// delete reads or writes one of them, and the Codable machinery cost more
// CPU than the rest of the work. The text is what JSONEncoder wrote (sorted
// keys, absent optionals left out), so files of either version read in the
// other; the Codable conformances stay so that tests can check exactly that.

extension StateRecord {
    func json() -> [UInt8] {
        var w = JSONWriter(pretty: true)
        w.beginObject()
        if let annotations {
            w.key("annotations")
            w.stringMap(annotations)
        }
        w.key("bundle"); w.string(bundle)
        w.key("cgroups"); cgroups.write(to: &w)
        if let cgroupsMade { w.key("cgroupsMade"); w.strings(cgroupsMade) }
        w.key("created"); w.string(created)
        w.key("id"); w.string(id)
        w.key("monitorPid"); w.integer(monitorPid)
        w.key("ociVersion"); w.string(ociVersion)
        w.key("pid"); w.integer(pid)
        w.key("pidStartTime"); w.integer(pidStartTime)
        w.key("poststart"); w.hooks(poststart)
        w.key("poststop"); w.hooks(poststop)
        if let resources { w.key("resources"); resources.write(to: &w) }
        w.endObject()
        return w.bytes
    }

    init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        id = try o.required("id").string()
        ociVersion = try o.required("ociVersion").string()
        bundle = try o.required("bundle").string()
        annotations = try o.optional("annotations")?.stringMap()
        created = try o.required("created").string()
        pid = try o.required("pid").integer()
        pidStartTime = try o.required("pidStartTime").integer()
        monitorPid = try o.required("monitorPid").integer()
        cgroups = try CgroupPaths(json: o.required("cgroups"))
        cgroupsMade = try o.optional("cgroupsMade")?.strings()
        poststart = try o.required("poststart").array(Spec.Hook.init(json:))
        poststop = try o.required("poststop").array(Spec.Hook.init(json:))
        resources = try o.optional("resources").map(Spec.Linux.Resources.init(json:))
    }
}

extension CreatingRecord {
    func json() -> [UInt8] {
        var w = JSONWriter(pretty: true)
        w.beginObject()
        w.key("bundle"); w.string(bundle)
        w.key("cgroups"); cgroups.write(to: &w)
        w.key("cgroupsMade"); w.strings(cgroupsMade)
        w.key("created"); w.string(created)
        w.key("id"); w.string(id)
        w.key("monitorPid"); w.integer(monitorPid)
        w.key("monitorStartTime"); w.integer(monitorStartTime)
        w.key("ociVersion"); w.string(ociVersion)
        w.key("status"); w.string("creating")
        w.endObject()
        return w.bytes
    }

    init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        id = try o.required("id").string()
        ociVersion = try o.required("ociVersion").string()
        bundle = try o.required("bundle").string()
        created = try o.required("created").string()
        cgroups = try CgroupPaths(json: o.required("cgroups"))
        cgroupsMade = try o.required("cgroupsMade").strings()
        monitorPid = try o.required("monitorPid").integer()
        monitorStartTime = try o.required("monitorStartTime").integer()
    }
}

extension ExitRecord {
    /// What the monitor writes, for the daemon that writes it in the
    /// monitor's stead (a monitor killed before its init exited).
    func json() -> [UInt8] {
        var w = JSONWriter(pretty: false)
        w.beginObject()
        w.key("exitCode"); w.integer(exitCode)
        w.key("finishedAt"); w.string(finishedAt)
        w.key("oomKilled"); w.bool(oomKilled)
        w.key("signal"); w.integer(signal)
        w.endObject()
        return w.bytes + [UInt8(ascii: "\n")]
    }

    /// The monitor writes this file (monitor.c); Nest only reads it.
    init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        exitCode = try o.required("exitCode").integer()
        signal = try o.required("signal").integer()
        oomKilled = try o.required("oomKilled").bool()
        finishedAt = try o.required("finishedAt").string()
    }
}

extension CgroupPaths {
    func write(to w: inout JSONWriter) {
        w.beginObject()
        w.key("dirs"); w.strings(dirs)
        w.key("joinDirs"); w.strings(joinDirs)
        if let memoryDir { w.key("memoryDir"); w.string(memoryDir) }
        if let oomFile { w.key("oomFile"); w.string(oomFile) }
        if let pidsDir { w.key("pidsDir"); w.string(pidsDir) }
        if let unifiedDir { w.key("unifiedDir"); w.string(unifiedDir) }
        w.endObject()
    }

    init(json: JSONReader) throws(SpecError) {
        let o = try json.object()
        dirs = try o.required("dirs").strings()
        joinDirs = try o.required("joinDirs").strings()
        oomFile = try o.optional("oomFile")?.string()
        memoryDir = try o.optional("memoryDir")?.string()
        pidsDir = try o.optional("pidsDir")?.string()
        unifiedDir = try o.optional("unifiedDir")?.string()
    }
}

extension ContainerStatus {
    /// The OCI state document (the fields the runtime-spec names), on one
    /// line: what hooks read on stdin.
    public func ociState() -> [UInt8] {
        var w = JSONWriter(pretty: false)
        writeState(to: &w, created: false)
        return w.bytes
    }

    /// What `nest state` prints: the OCI state plus the creation time and,
    /// once stopped, the exit code, as runc does.
    public func stateJSON() -> String {
        var w = JSONWriter(pretty: true)
        writeState(to: &w, created: true)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    private func writeState(to w: inout JSONWriter, created withCreated: Bool) {
        w.beginObject()
        if let annotations {
            w.key("annotations")
            w.stringMap(annotations)
        }
        w.key("bundle"); w.string(bundle)
        if withCreated {
            w.key("created"); w.string(created)
            if let exitCode { w.key("exitCode"); w.integer(exitCode) }
        }
        w.key("id"); w.string(id)
        w.key("ociVersion"); w.string(ociVersion)
        w.key("pid"); w.integer(pid)
        // What runc's state does not have: the limits in force, for
        // `nest state` (not for hooks, which get the OCI state).
        if withCreated, let resources { w.key("resources"); resources.write(to: &w) }
        w.key("status"); w.string(status)
        w.endObject()
    }
}

extension JSONWriter {
    mutating func strings(_ list: [String]) {
        beginArray()
        list.forEach { string($0) }
        endArray()
    }

    /// Keys in byte order, as JSONEncoder's `.sortedKeys`.
    mutating func stringMap(_ map: [String: String]) {
        beginObject()
        for (k, v) in map.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
            key(k)
            string(v)
        }
        endObject()
    }

    mutating func hooks(_ hooks: [Spec.Hook]) {
        beginArray()
        for hook in hooks {
            beginObject()
            if let args = hook.args { key("args"); strings(args) }
            if let env = hook.env { key("env"); strings(env) }
            key("path"); string(hook.path)
            if let timeout = hook.timeout { key("timeout"); integer(timeout) }
            endObject()
        }
        endArray()
    }
}
