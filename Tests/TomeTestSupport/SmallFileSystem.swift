import Foundation
import Glibc

/// A tmpfs of a given size mounted on a folder for the life of the value: a
/// full disk the test can make. Mounting needs root (CAP_SYS_ADMIN); where it
/// is impossible, `available` is false and the tests that need it are skipped
/// with that reason.
public final class SmallFileSystem {
    public let path: String

    public init(at path: String, megabytes: Int) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard mount("tmpfs", path, "tmpfs", 0, "size=\(megabytes)m,mode=0755") == 0 else {
            throw UnixHTTP.Failure(description: "mount tmpfs on \(path): \(String(cString: strerror(errno)))")
        }
    }

    deinit { umount2(path, Int32(MNT_DETACH)) }

    /// Fills the file system up, leaving about `leaving` bytes free; returns the filler's path.
    @discardableResult
    public func fill(leaving: Int = 0, name: String = "filler") -> String {
        let filler = path + "/" + name
        let fd = open(filler, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0x61, count: 64 << 10)
        var info = statvfs()
        while statvfs(path, &info) == 0, Int(info.f_bavail) * Int(info.f_frsize) > leaving + chunk.count {
            guard chunk.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 else { break }
        }
        return filler
    }

    /// Whether this process may mount a tmpfs (tried once, on a scratch folder).
    public static let available: Bool = {
        let probe = NSTemporaryDirectory() + "tome-mount-probe-\(getpid())"
        try? FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: probe) }
        guard mount("tmpfs", probe, "tmpfs", 0, "size=1m") == 0 else { return false }
        umount2(probe, Int32(MNT_DETACH))
        return true
    }()
}
