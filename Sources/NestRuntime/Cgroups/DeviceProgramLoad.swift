import CNestShims
import Glibc

extension DeviceProgram {
    /// Loads the program of `rules` and attaches it to the cgroup v2 dir
    /// `dir`. The attachment holds the program (its fd is closed here) until
    /// the cgroup is removed; BPF_F_ALLOW_MULTI keeps the programs of the
    /// cgroups above in force too, so a device must pass them all.
    static func attach(_ rules: [Rule], to dir: String) throws(DeviceProgramError) {
        let code = instructions(rules).map {
            nest_bpf_insn(code: $0.code, dst: $0.dst, src: $0.src, off: $0.off, imm: $0.imm)
        }
        var log = [CChar](repeating: 0, count: 16384)
        let prog = nest_bpf_load_device_program(code, Int32(code.count), &log, log.count)
        guard prog >= 0 else {
            let e = errno
            let why = String(decoding: log.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            // The verifier's last line counts what it processed; the
            // reason is the line before.
            let reason = why.split(separator: "\n").last { !$0.hasPrefix("processed ") }.map { " (\($0))" } ?? ""
            throw DeviceProgramError(step: "bpf(BPF_PROG_LOAD)", dir: dir, errno: e, detail: reason)
        }
        defer { close(prog) }
        let cgroup = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard cgroup >= 0 else { throw DeviceProgramError(step: "open", dir: dir, errno: errno) }
        defer { close(cgroup) }
        guard nest_bpf_attach_device_program(prog, cgroup) == 0 else {
            throw DeviceProgramError(step: "bpf(BPF_PROG_ATTACH)", dir: dir, errno: errno)
        }
    }
}

struct DeviceProgramError: Error, CustomStringConvertible {
    var step: String
    var dir: String
    var errno: Int32
    var detail = ""

    var description: String {
        "cgroup \(dir): the device program: \(step): \(String(cString: strerror(errno)))\(detail)"
    }
}
