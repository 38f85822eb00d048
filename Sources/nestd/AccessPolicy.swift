#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// Who may talk to nestd: root, and members of the group `nest` when it
/// exists (as the primary group or a supplementary one).
struct AccessPolicy: Sendable {
    let groupName: String
    let groupID: gid_t?

    init(groupName: String = "nest") {
        self.groupName = groupName
        groupID = getgrnam(groupName).map { $0.pointee.gr_gid }
    }

    func allows(uid: UInt32) -> Bool {
        if uid == 0 { return true }
        guard let gid = groupID, let pw = getpwuid(uid) else { return false }
        if pw.pointee.pw_gid == gid { return true }
        let user = String(cString: pw.pointee.pw_name)
        guard let gr = getgrgid(gid), var mem = gr.pointee.gr_mem else { return false }
        while let m = mem.pointee {
            if String(cString: m) == user { return true }
            mem += 1
        }
        return false
    }
}
