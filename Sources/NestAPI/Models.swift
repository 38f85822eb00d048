#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc
import NestOCI

/// The JSON bodies of nestd's REST API, shared by the daemon and nestctl so
/// both sides decode exactly what the other encodes.
public enum API {
    public static let version = "v1"
}

public struct CreateRequest: Codable, Sendable {
    public var name: String?
    /// Empty when `subsystem` or `image` is given.
    public var bundle: String
    public var labels: [String: String]?
    /// Start the container as soon as it is created (one request instead of two).
    public var start: Bool?
    /// The daemon removes the container itself once it has exited.
    public var autoRemove: Bool?
    /// A subsystem config (XML) to launch instead of translating a bundle;
    /// `bundle` is then empty.
    public var subsystem: String?
    /// The process reads a pipe the daemon keeps open, written by attached
    /// clients, instead of /dev/null (`nestctl run -i`).
    public var openStdin: Bool?
    /// Overrides the process's `terminal`: a pty whose master the daemon
    /// holds (`nestctl run -t`). Its output still goes to the log.
    public var tty: Bool?
    /// The pty's size at start (the process's `consoleSize`).
    public var consoleSize: TerminalSize?
    /// Overrides the process's user: USER[:GROUP], names looked up in the
    /// rootfs's /etc/passwd and /etc/group, or numbers (`nestctl run -u`).
    public var user: String?
    /// An image to run instead of a bundle (a name, name:tag, digest or
    /// short id); the fields below apply to it only.
    public var image: String?
    /// Replaces the image's Entrypoint (and drops its Cmd unless `cmd` is given).
    public var entrypoint: [String]?
    /// Replaces the image's Cmd.
    public var cmd: [String]?
    /// KEY=VALUE entries over the image's Env.
    public var env: [String]?
    /// Replaces the image's WorkingDir.
    public var workingDir: String?
    /// Volumes, binds and tmpfs mounts added to the container's (`-v`, `--tmpfs`).
    public var mounts: [MountRequest]?
    /// The pod (its name or id) the container joins as one more process of
    /// its subsystem (`nestctl run --pod`).
    public var pod: String?
    /// The container's own quota (`--memory`, `--cpus`, `--pids`): in a pod,
    /// its child cgroup's, at most the pod's.
    public var memory: Int64?
    public var cpus: Double?
    public var pids: Int64?
    /// Networks to attach the container to (`--network NAME`); absent: the
    /// spec's network namespace as it is (none or the host's).
    public var networks: [String]?
    /// Ports published on the host through the first network (`-p`).
    public var ports: [PortRequest]?

    public init(name: String? = nil, bundle: String, labels: [String: String]? = nil, start: Bool? = nil,
                autoRemove: Bool? = nil, subsystem: String? = nil, openStdin: Bool? = nil, tty: Bool? = nil,
                consoleSize: TerminalSize? = nil, user: String? = nil, image: String? = nil, entrypoint: [String]? = nil,
                cmd: [String]? = nil, env: [String]? = nil, workingDir: String? = nil,
                mounts: [MountRequest]? = nil, networks: [String]? = nil, ports: [PortRequest]? = nil) {
        self.name = name; self.bundle = bundle; self.labels = labels; self.start = start; self.autoRemove = autoRemove
        self.subsystem = subsystem; self.openStdin = openStdin; self.tty = tty; self.consoleSize = consoleSize
        self.user = user; self.image = image; self.entrypoint = entrypoint; self.cmd = cmd; self.env = env
        self.workingDir = workingDir; self.mounts = mounts; self.networks = networks; self.ports = ports
    }

    enum CodingKeys: String, CodingKey {
        case name, bundle, labels, start, autoRemove, subsystem, openStdin, tty, consoleSize, user, image, entrypoint, cmd
        case env, workingDir, mounts, pod, memory, cpus, pids, networks, ports
    }

    /// `bundle` may be left out when an image or a subsystem is given.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        image = try c.decodeIfPresent(String.self, forKey: .image)
        subsystem = try c.decodeIfPresent(String.self, forKey: .subsystem)
        if image != nil || subsystem != nil {
            bundle = try c.decodeIfPresent(String.self, forKey: .bundle) ?? ""
        } else {
            bundle = try c.decode(String.self, forKey: .bundle)
        }
        name = try c.decodeIfPresent(String.self, forKey: .name)
        labels = try c.decodeIfPresent([String: String].self, forKey: .labels)
        start = try c.decodeIfPresent(Bool.self, forKey: .start)
        autoRemove = try c.decodeIfPresent(Bool.self, forKey: .autoRemove)
        openStdin = try c.decodeIfPresent(Bool.self, forKey: .openStdin)
        tty = try c.decodeIfPresent(Bool.self, forKey: .tty)
        consoleSize = try c.decodeIfPresent(TerminalSize.self, forKey: .consoleSize)
        user = try c.decodeIfPresent(String.self, forKey: .user)
        entrypoint = try c.decodeIfPresent([String].self, forKey: .entrypoint)
        cmd = try c.decodeIfPresent([String].self, forKey: .cmd)
        env = try c.decodeIfPresent([String].self, forKey: .env)
        workingDir = try c.decodeIfPresent(String.self, forKey: .workingDir)
        mounts = try c.decodeIfPresent([MountRequest].self, forKey: .mounts)
        pod = try c.decodeIfPresent(String.self, forKey: .pod)
        memory = try c.decodeIfPresent(Int64.self, forKey: .memory)
        cpus = try c.decodeIfPresent(Double.self, forKey: .cpus)
        pids = try c.decodeIfPresent(Int64.self, forKey: .pids)
        networks = try c.decodeIfPresent([String].self, forKey: .networks)
        ports = try c.decodeIfPresent([PortRequest].self, forKey: .ports)
    }
}

/// A terminal's size in characters.
public struct TerminalSize: Codable, Sendable, Equatable {
    public var height: UInt16
    public var width: UInt16
    public init(height: UInt16, width: UInt16) { self.height = height; self.width = width }
}

/// The body of POST /v1/containers/{id}/exec: a process to start in the
/// container, attached to the upgraded connection.
public struct ExecBody: Codable, Sendable {
    /// The program and its arguments (required, not empty).
    public var args: [String]
    /// KEY=VALUE, added to (and overriding) the container's environment.
    public var env: [String]?
    /// Absolute; default the container's.
    public var cwd: String?
    /// USER[:GROUP], names (the container's /etc/passwd and /etc/group) or
    /// numbers; default the container's user.
    public var user: String?
    /// A pty for the process (its output is then all stdout).
    public var tty: Bool?
    /// Stdin frames reach the process; without, its stdin is /dev/null.
    public var stdin: Bool?
    public var consoleSize: TerminalSize?
    public init(args: [String], env: [String]? = nil, cwd: String? = nil, user: String? = nil, tty: Bool? = nil,
                stdin: Bool? = nil, consoleSize: TerminalSize? = nil) {
        self.args = args; self.env = env; self.cwd = cwd; self.user = user; self.tty = tty; self.stdin = stdin
        self.consoleSize = consoleSize
    }
}

public struct CreateResponse: Codable, Sendable {
    public var id: String
    public var name: String
    public init(id: String, name: String) { self.id = id; self.name = name }
}

public struct FieldError: Codable, Sendable, Equatable {
    public var field: String
    public var message: String
    public init(field: String, message: String) { self.field = field; self.message = message }
}

public struct ErrorBody: Codable, Sendable, Error {
    public var error: String
    public var field: String?
    public var errors: [FieldError]?
    /// A failed setup step of the container: the step (`mount`, `cgroup-join`...),
    /// the path it failed on and the errno's name (`EPERM`, `ENOENT`).
    public var step: String?
    public var path: String?
    public var errno: String?
    public init(error: String, field: String? = nil, errors: [FieldError]? = nil,
                step: String? = nil, path: String? = nil, errno: String? = nil) {
        self.error = error; self.field = field; self.errors = errors
        self.step = step; self.path = path; self.errno = errno
    }
}

public struct ComponentSummary: Codable, Sendable, Equatable {
    public var name: String
    public var provides: [String]
    public var resources: [String: String]?
    public init(name: String, provides: [String], resources: [String: String]? = nil) {
        self.name = name; self.provides = provides; self.resources = resources
    }
}

/// One container as the API shows it. `state` uses the OCI state names.
public struct ContainerInfo: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var state: String
    public var pid: Int32
    public var exitCode: Int32?
    public var oomKilled: Bool?
    public var created: String
    public var started: String?
    public var finished: String?
    public var bundle: String
    public var command: [String]
    public var labels: [String: String]
    public var subsystem: [ComponentSummary]
    /// The limits in force (`linux.resources`, the fields Nest applies): the
    /// bundle's, changed by updates. Absent when there are none.
    public var resources: Spec.Linux.Resources?
    public init(id: String, name: String, state: String, pid: Int32, exitCode: Int32?, oomKilled: Bool?,
                created: String, started: String?, finished: String?, bundle: String, command: [String],
                labels: [String: String], subsystem: [ComponentSummary], resources: Spec.Linux.Resources? = nil) {
        self.id = id; self.name = name; self.state = state; self.pid = pid; self.exitCode = exitCode
        self.oomKilled = oomKilled; self.created = created; self.started = started; self.finished = finished
        self.bundle = bundle; self.command = command; self.labels = labels; self.subsystem = subsystem
        self.resources = resources
    }
}

/// GET /v1/containers/{id}/top: the host's `ps` cut down to the
/// container's processes (as docker's top); `processes` has one row per
/// process, a string per title, the last (the command) with its spaces.
public struct TopResponse: Codable, Sendable, Equatable {
    public var titles: [String]
    public var processes: [[String]]
    public init(titles: [String], processes: [[String]]) { self.titles = titles; self.processes = processes }
}

public struct WaitResponse: Codable, Sendable {
    public var exitCode: Int32
    public var oomKilled: Bool
    public init(exitCode: Int32, oomKilled: Bool) { self.exitCode = exitCode; self.oomKilled = oomKilled }

    /// As JSONEncoder with sorted keys writes it; the exit record of an
    /// attached start carries it.
    public var json: String { #"{"exitCode":\#(exitCode),"oomKilled":\#(oomKilled)}"# }

    /// Reads what `json` writes (and the same object with other spacing).
    public init?(json: Substring) {
        // Byte by byte: a nestctl run reads one of these per container, and
        // the generic substring search costs more than the rest of the parse.
        let bytes = Array(json.utf8)
        func value(_ key: String) -> Substring? {
            let pattern = Array(("\"" + key + "\"").utf8)
            guard pattern.count <= bytes.count,
                  let at = (0...(bytes.count - pattern.count)).first(where: { bytes[$0..<($0 + pattern.count)].elementsEqual(pattern) })
            else { return nil }
            var i = at + pattern.count
            while i < bytes.count, bytes[i] == UInt8(ascii: " ") || bytes[i] == UInt8(ascii: ":") { i += 1 }
            var j = i
            while j < bytes.count, bytes[j] != UInt8(ascii: ","), bytes[j] != UInt8(ascii: "}"), bytes[j] != UInt8(ascii: " ") { j += 1 }
            return Substring(String(decoding: bytes[i..<j], as: UTF8.self))
        }
        guard let code = value("exitCode").flatMap({ Int32($0) }) else { return nil }
        exitCode = code
        oomKilled = value("oomKilled") == "true"
    }
}

public struct VersionInfo: Codable, Sendable {
    public var name: String
    public var version: String
    public var apiVersion: String
    public init(name: String, version: String, apiVersion: String) {
        self.name = name; self.version = version; self.apiVersion = apiVersion
    }
}

public struct DaemonInfo: Codable, Sendable {
    public var runtime: String
    public var version: String
    public var cgroupVersion: String
    public var root: String
    public var data: String
    public var containers: Int
    public var states: [String: Int]
    public init(runtime: String, version: String, cgroupVersion: String, root: String, data: String,
                containers: Int, states: [String: Int]) {
        self.runtime = runtime; self.version = version; self.cgroupVersion = cgroupVersion
        self.root = root; self.data = data; self.containers = containers; self.states = states
    }
}

/// A line of GET /v1/events.
public struct Event: Codable, Sendable, Equatable {
    public var type: String          // created, started, paused, unpaused, updated, exited, oom, deleted
    public var id: String
    public var name: String
    public var time: String
    public var exitCode: Int32?
    public init(type: String, id: String, name: String, time: String, exitCode: Int32? = nil) {
        self.type = type; self.id = id; self.name = name; self.time = time; self.exitCode = exitCode
    }
}

public enum Timestamp {
    /// RFC 3339 with fractional seconds, UTC; what every time field of the API uses.
    /// Byte for byte what Date.ISO8601FormatStyle(includingFractionalSeconds:
    /// true) writes (milliseconds cut, not rounded), without it: the style
    /// builds a Calendar, whose time zone loads ICU's tables into the daemon
    /// at its first request, and costs microseconds per time of a listing.
    public static func string(_ date: Date) -> String {
        // from the reference date, as Foundation's calendar counts: the
        // milliseconds of a time before 1970 come out the same
        let t = date.timeIntervalSinceReferenceDate
        let whole = t.rounded(.down)
        var ms = Int(((t - whole) * 1000).rounded(.down))
        var seconds = Int(whole) + 978_307_200
        if ms >= 1000 { ms -= 1000; seconds += 1 }
        var clock = time_t(seconds)
        var parts = tm()
        gmtime_r(&clock, &parts)
        var out: [UInt8] = []
        out.reserveCapacity(24)
        func digits(_ value: Int, _ width: Int) {
            var v = value, buf: [UInt8] = []
            repeat { buf.append(UInt8(48 + v % 10)); v /= 10 } while v > 0
            for _ in buf.count..<max(width, buf.count) { buf.append(48) }
            out.append(contentsOf: buf.reversed())
        }
        digits(Int(parts.tm_year) + 1900, 4); out.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, 2); out.append(UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), 2); out.append(UInt8(ascii: "T"))
        digits(Int(parts.tm_hour), 2); out.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_min), 2); out.append(UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), 2); out.append(UInt8(ascii: "."))
        digits(ms, 3); out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }
    public static func parse(_ s: String) -> Date? {
        (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(s))
            ?? (try? Date.ISO8601FormatStyle().parse(s))
    }
}

public let nestVersion = "0.1.0"
