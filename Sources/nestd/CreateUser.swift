import NestAPI
import NestRuntime
import NestSubsystem

extension Subsystem {
    /// A create request's `user` (`nestctl run -u`): the process's user,
    /// names resolved in its rootfs's /etc/passwd and /etc/group (the files
    /// of the image: the container's mounts are not made yet). HOME becomes
    /// the user's home, as the request sets no environment.
    mutating func setUser(_ spec: String) throws(APIError) {
        guard let index = starts.firstIndex(where: { $0.binary == Binary.initProcess }),
              var process = starts[index].container?.process else {
            throw APIError(400, "the subsystem has no process to run as a user", field: "user")
        }
        let rootfs: String
        do { rootfs = try layout(of: starts[index].name).root } catch {
            throw APIError(400, "subsystem: \(error.description)", field: error.path.isEmpty ? "subsystem" : error.path)
        }
        do throws(RuntimeError) {
            try ContainerUsers.resolve(spec, rootfs: rootfs, field: "user").apply(to: &process, keepHome: false)
        } catch {
            throw APIError(error)
        }
        starts[index].container?.process = process
    }
}
