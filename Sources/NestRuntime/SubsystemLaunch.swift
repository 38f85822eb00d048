import Glibc
import NestOCI
import NestSubsystem

// A subsystem of several processes: the holder of what they share, then a
// container per process. The holder is the subsystem's own container (its
// id is the subsystem's name): its init runs no program and keeps the
// shared namespaces, its cgroup is the subsystem's quota node (the parent
// of the processes' cgroups), and its state dir keeps the config and the
// ROM files. Each process is a container `SUB/NAME` that joins the shared
// namespaces and mounts what its routes give it.
extension Runtime {
    /// The cgroup of the subsystem node: its quota's, or `/nest/SUB`.
    static func subsystemCgroup(_ sub: Subsystem) -> String { sub.quota?.cgroupsPath ?? "/nest/\(sub.name)" }

    func createSubsystem(_ sub: Subsystem, opts: CreateOptions) throws(RuntimeError) -> ContainerStatus {
        let id = sub.name
        // The ROM servers' files are the subsystem's, one dir per server
        // (rom/SERVER/NAME): processes routed to one server share its files.
        var romFiles: [ROMModule] = []
        for server in sub.starts where server.rom != nil && sub.processes.contains(where: { p in
            p.routes.contains { $0.service == Service.rom && $0.child == server.name }
        }) {
            for m in server.rom?.modules ?? [] where m.path != nil {
                romFiles.append(ROMModule(name: server.name + "/" + m.name, content: m.content, path: m.path))
            }
        }
        let hostname = sub.shared.contains("uts") ? sub.processes.lazy.compactMap { p in
            (try? sub.layout(of: p.name))?.rom?.module("hostname")
        }.first : nil
        let holder = Unit(
            id: id, sub: sub, cgroupsPath: Self.subsystemCgroup(sub), limits: sub.quota?.limits ?? CgroupLimits(),
            devices: nil, joinLeaf: ".holder", romFiles: romFiles, writesSubsystem: true, stdio: .null, startAtOnce: true,
            poststart: [], poststop: [],
            plan: { ctx throws(RuntimeError) in PlanWriter.holdPlan(sub, hostname: hostname, ctx) })
        // The holder is Nest's, not the caller's: its monitor keeps it.
        var holderOpts = opts
        holderOpts.handoff = false
        var status = try createUnit(holder, opts: holderOpts, early: nil)
        Trace.mark("holder")
        do throws(RuntimeError) {
            let record = try self.record(id)
            for p in sub.processes {
                let server = p.routes.first { $0.service == Service.rom }?.child ?? ""
                let unit = try processUnit(sub, p.name, id: id + "/" + p.name, opts: opts, romDir: store.dir(id) + "/rom/" + server,
                                           holder: record.pid)
                _ = try createUnit(unit, opts: opts, early: nil)
            }
        } catch {
            try? delete(id: id, force: true)
            throw error
        }
        status.status = opts.startAtOnce ? "running" : "created"
        return status
    }
}

extension PlanWriter {
    /// The plan of a subsystem's holder: the shared namespaces, the
    /// hostname when UTS is shared, and no program (`hold`).
    static func holdPlan(_ sub: Subsystem, hostname: String?, _ ctx: PlanContext) -> String {
        // A holder is created running: no exec FIFO; it has no output.
        var ctx = ctx
        ctx.stdio = .null
        ctx.execFifo = nil
        var out = head(sub, ctx)
        // A shared network with a Nic is the net server's namespace file.
        let nicPath = sub.sharedNic.flatMap { sub.start($0)?.net?.netns }
        out += sub.shared.map { line(["namespace", $0, $0 == "network" ? nicPath ?? "-" : "-"]) }.joined()
        if let hostname { out += line(["hostname", hostname]) }
        return out + cgroups(ctx) + layoutAndAnnotations(sub, ctx) + line(["hold"])
    }
}
