import Glibc

/// Opens paths below a root folder without following a symbolic link
/// anywhere on the way: each component is opened with `openat` and
/// `O_NOFOLLOW` from the one before. A link planted in a shared folder (the
/// spool is group-writable) cannot send a read or a write elsewhere, even if
/// it appears between a check and the use.
public enum BeneathPath {
    /// Why a path was refused: it is not below the root, a component is a
    /// symbolic link or not a folder, or a system call failed.
    public struct Refused: Error, CustomStringConvertible {
        public var message: String
        public var code: Int32
        public var description: String { message }
    }

    /// The components of `path` below `root` ("a/b/c.txt" → ["a", "b", "c.txt"]),
    /// or nil when it is not below it or has an empty, "." or ".." component.
    public static func components(of path: String, under root: String) -> [String]? {
        let prefix = root.hasSuffix("/") ? root : root + "/"
        guard path.hasPrefix(prefix) else { return nil }
        let parts = path.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard !parts.isEmpty, parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else { return nil }
        return parts
    }

    /// A descriptor of the folder `folders` below `root` (the root itself for
    /// none), creating missing ones with `mode` when it is given. The caller closes it.
    public static func openFolder(_ folders: [String], under root: String, creating mode: mode_t? = nil) throws(Refused) -> Int32 {
        var fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw Refused(message: "cannot open \(root): \(String(cString: strerror(errno)))", code: errno) }
        for name in folders {
            var next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0, errno == ENOENT, let mode {
                if mkdirat(fd, name, mode) != 0 && errno != EEXIST {
                    let code = errno
                    close(fd)
                    throw Refused(message: "cannot create the folder \(name): \(String(cString: strerror(code)))", code: code)
                }
                next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            guard next >= 0 else {
                let code = errno
                close(fd)
                // ELOOP: the component is a symbolic link; ENOTDIR: a file, or a link to one.
                let why = code == ELOOP || code == ENOTDIR ? "is a symbolic link or not a folder" : String(cString: strerror(code))
                throw Refused(message: "\(name) \(why)", code: code)
            }
            close(fd)
            fd = next
        }
        return fd
    }

    /// Opens the file at `path` below `root` with `flags` (O_NOFOLLOW added).
    public static func openFile(_ path: String, under root: String, flags: Int32, mode: mode_t = 0o640) throws(Refused) -> Int32 {
        guard let parts = components(of: path, under: root), let name = parts.last else {
            throw Refused(message: "\(path) is not below \(root)", code: EINVAL)
        }
        let folder = try openFolder(Array(parts.dropLast()), under: root)
        defer { close(folder) }
        let fd = openat(folder, name, flags | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else {
            let code = errno
            let why = code == ELOOP ? "is a symbolic link" : String(cString: strerror(code))
            throw Refused(message: "\(path) \(why)", code: code)
        }
        return fd
    }
}
