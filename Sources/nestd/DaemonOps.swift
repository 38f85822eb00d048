import Glibc
import NestAPI
import NestOCI
import NestRuntime

// pause, unpause, top and update of a container.

extension Daemon {
    func pause(_ idOrName: String) throws(APIError) -> ContainerInfo {
        listCache.begin(); defer { listCache.end() }
        let r = try record(idOrName)
        do { try runtime.pause(id: r.id) } catch { throw APIError(error) }
        events.emit("paused", id: r.id, name: r.name)
        return try info(r.id)
    }

    func unpause(_ idOrName: String) throws(APIError) -> ContainerInfo {
        listCache.begin(); defer { listCache.end() }
        let r = try record(idOrName)
        do { try runtime.resume(id: r.id) } catch { throw APIError(error) }
        events.emit("unpaused", id: r.id, name: r.name)
        return try info(r.id)
    }

    /// The most ps arguments a request may give, and the longest one: ps
    /// runs with them on the host.
    static let maxPsArgs = 32
    static let maxPsArgLength = 256

    /// The host's `ps` (PS_ARGS split at spaces, else -ef) cut down to the
    /// container's processes.
    func top(_ idOrName: String, psArgs: String?) throws(APIError) -> TopResponse {
        let args = (psArgs ?? "").split(separator: " ").map(String.init)
        if args.count > Self.maxPsArgs || args.contains(where: { $0.utf8.count > Self.maxPsArgLength || $0.utf8.contains(0) }) {
            throw APIError(400, "ps_args: at most \(Self.maxPsArgs) arguments of at most \(Self.maxPsArgLength) bytes", field: "ps_args")
        }
        let r = try record(idOrName)
        let state = (try? runtime.state(id: r.id).status) ?? "stopped"
        guard ["created", "running", "paused"].contains(state) else {
            throw APIError(409, "container \(r.id) is \(state), not running")
        }
        do {
            let table = try ProcessTable.read(psArgs: args, pids: try runtime.pids(id: r.id))
            return TopResponse(titles: table.titles, processes: table.processes)
        } catch {
            if case .invalidArgument(let message, _) = error { throw APIError(400, message, field: "ps_args") }
            throw APIError(error)
        }
    }

    /// BODY is a `linux.resources` object; what it sets replaces the
    /// limits in force. Errors name the field (`memory.limit`).
    func update(_ idOrName: String, body: [UInt8]) throws(APIError) -> ContainerInfo {
        listCache.begin(); defer { listCache.end() }
        let resources: Spec.Linux.Resources
        do { resources = try Spec.Linux.Resources(json: JSONReader.parse(body)) } catch {
            throw APIError(400, "request body: \(error.description)", field: error.path.isEmpty ? nil : error.path)
        }
        let r = try record(idOrName)
        do { try runtime.update(id: r.id, resources: resources) } catch {
            if case .invalidSpec(let errors) = error {
                throw APIError(400, errors.map(\.description).joined(separator: "; "), field: errors.first?.path,
                               errors: errors.map { FieldError(field: $0.path, message: $0.message) })
            }
            throw APIError(error)
        }
        events.emit("updated", id: r.id, name: r.name)
        return try info(r.id)
    }
}
