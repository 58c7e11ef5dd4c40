import Glibc
import NIOCore

/// Who may do what on the control socket, decided from the peer's
/// credentials (`SO_PEERCRED`) and its groups: root and the daemon's own
/// user may write, members of `write_groups` may write, members of
/// `read_groups` may read, anyone else is refused.
struct AccessPolicy: Sendable {
    enum Level: Int, Comparable, Sendable {
        case none = 0, read, write
        static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
    }

    var writeGroups: Set<gid_t>
    var readGroups: Set<gid_t>
    var daemonUID: uid_t

    init(writeGroups: [String], readGroups: [String], daemonUID: uid_t = geteuid()) {
        self.writeGroups = Set(writeGroups.compactMap(Accounts.gid(ofGroup:)))
        self.readGroups = Set(readGroups.compactMap(Accounts.gid(ofGroup:)))
        self.daemonUID = daemonUID
    }

    func level(uid: uid_t, groups: Set<gid_t>) -> Level {
        if uid == 0 || uid == daemonUID { return .write }
        if !groups.isDisjoint(with: writeGroups) { return .write }
        if !groups.isDisjoint(with: readGroups) { return .read }
        return .none
    }
}

/// The peer of a Unix socket, as `SO_PEERCRED` returns it (`struct ucred`,
/// which Swift does not import: three 32-bit fields).
struct PeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0

    /// The credentials of the peer of a Unix-socket channel (nil for another kind of channel).
    static func of(_ channel: any Channel) async throws -> PeerCredentials? {
        guard let provider = channel as? any SocketOptionProvider else { return nil }
        return try await provider.unsafeGetSocketOption(
            level: NIOBSDSocket.OptionLevel(rawValue: SOL_SOCKET), name: NIOBSDSocket.Option(rawValue: SO_PEERCRED)
        ).get()
    }
}

/// User and group lookups through NSS.
enum Accounts {
    static func gid(ofGroup name: String) -> gid_t? {
        if let numeric = gid_t(name) { return numeric }
        var group = group()
        var result: UnsafeMutablePointer<group>? = nil
        var buffer = [CChar](repeating: 0, count: 16384)
        guard getgrnam_r(name, &group, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return group.gr_gid
    }

    /// The primary and supplementary groups of the user with `uid`
    /// (just `primary` when the user has no passwd entry).
    static func groups(ofUID uid: uid_t, primary: gid_t) -> Set<gid_t> {
        var passwd = passwd()
        var result: UnsafeMutablePointer<passwd>? = nil
        var buffer = [CChar](repeating: 0, count: 16384)
        guard getpwuid_r(uid, &passwd, &buffer, buffer.count, &result) == 0, result != nil, let name = passwd.pw_name else {
            return [primary]
        }
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(name, primary, &groups, &count) < 0 {
            groups = [gid_t](repeating: 0, count: Int(count))
            _ = getgrouplist(name, primary, &groups, &count)
        }
        return Set(groups.prefix(Int(max(0, count)))).union([primary])
    }
}
