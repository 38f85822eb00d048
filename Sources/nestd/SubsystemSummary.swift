import NestAPI
import NestSubsystem

/// The components of a subsystem config and what each provides, for
/// GET /v1/containers/{id}; the full config is served as XML.
enum SubsystemSummary {
    static func components(_ xml: String) -> [ComponentSummary] {
        guard let sub = try? Subsystem.read(xml: xml) else { return [] }
        return components(sub)
    }

    static func components(_ sub: Subsystem) -> [ComponentSummary] {
        sub.starts.map { start in
            var resources: [String: String] = [:]
            if let q = start.container?.resources {
                if let limit = q.memory?.limit { resources["RAM"] = String(limit) }
                if let shares = q.cpu?.shares { resources["CPU"] = "shares=\(shares)" }
                if let quota = q.cpu?.quota, let period = q.cpu?.period { resources["CPU"] = "quota=\(quota),period=\(period)" }
                if let pids = q.pids?.limit { resources["PIDS"] = String(pids) }
                resources["cgroup"] = q.cgroupsPath
            }
            return ComponentSummary(name: start.name, provides: start.provides, resources: resources.isEmpty ? nil : resources)
        }
    }
}
