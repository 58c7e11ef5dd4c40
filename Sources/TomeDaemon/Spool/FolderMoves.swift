import Crypto
import Glibc
import TomeExtract

/// Moves and copies between folders held open as descriptors, never by a
/// path re-read from the name: a folder renamed away and replaced by a
/// symbolic link after it was opened cannot redirect a move, a copy or an
/// unlink (every folder is opened with `BeneathPath`, which follows no link).
enum FolderMoves {
    /// A folder below `root` (the root itself for no parts), opened without
    /// following a link, created with `mode` when missing. The caller closes it.
    static func openFolder(_ parts: [String], under root: String, creating mode: mode_t? = nil) throws -> Int32 {
        do {
            return try BeneathPath.openFolder(parts, under: root, creating: mode)
        } catch {
            throw SystemError("open \(([root] + parts).joined(separator: "/")): \(error.message)", error.code)
        }
    }

    /// The folder holding `path` below `root`, and the file's name in it; nil
    /// when `path` is not below `root`. The caller closes the descriptor.
    static func openParent(of path: String, under root: String, creating mode: mode_t? = nil) throws -> (folder: Int32, name: String)? {
        guard let parts = BeneathPath.components(of: path, under: root), let name = parts.last else { return nil }
        return (try openFolder(Array(parts.dropLast()), under: root, creating: mode), name)
    }

    /// `lstat` of `name` in `folder`, nil when there is nothing by that name.
    static func status(_ folder: Int32, _ name: String) -> stat? {
        var info = stat()
        return fstatat(folder, name, &info, AT_SYMLINK_NOFOLLOW) == 0 ? info : nil
    }

    /// Moves `name` from one folder to another as `target`: a rename, or on
    /// another file system a copy to a hidden `.part` file, synced and
    /// renamed into place, then the original unlinked (a copy cut short —
    /// a full disk — leaves nothing under the real name).
    static func move(from source: Int32, _ name: String, to destination: Int32, as target: String) throws {
        if renameat(source, name, destination, target) == 0 { return }
        guard errno == EXDEV else { throw SystemError("rename \(name) -> \(target)", errno) }
        let input = openat(source, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard input >= 0 else { throw SystemError("open \(name)", errno) }
        defer { close(input) }
        _ = try copy(input, into: destination, as: target)
        guard unlinkat(source, name, 0) == 0 || errno == ENOENT else { throw SystemError("unlink \(name)", errno) }
    }

    /// Copies the open file `input` (from its start) into `folder` as
    /// `target`, through a hidden `.part` file that is synced and renamed
    /// into place; returns the SHA-256 of the bytes copied, in hex.
    @discardableResult
    static func copy(_ input: Int32, into folder: Int32, as target: String) throws -> (sha256: String, bytes: Int64) {
        let part = "." + target + ".part"
        let output = openat(folder, part, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0o640)
        guard output >= 0 else { throw SystemError("open \(part)", errno) }
        do {
            defer { close(output) }
            let digest = try readAll(input) { bytes in try writeAll(output, bytes, name: part) }
            guard fsync(output) == 0 else { throw SystemError("fsync \(part)", errno) }
            guard renameat(folder, part, folder, target) == 0 else { throw SystemError("rename \(part) -> \(target)", errno) }
            return digest
        } catch {
            unlinkat(folder, part, 0)
            throw error
        }
    }

    /// Reads the open file `fd` from its start to its end in 1 MiB chunks,
    /// handing each to `body`; returns the SHA-256 of what was read, in hex, and its size.
    static func readAll(_ fd: Int32, _ body: (UnsafeRawBufferPointer) throws -> Void = { _ in }) throws -> (sha256: String, bytes: Int64) {
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var offset: Int64 = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw SystemError("read", errno) }
            if n == 0 { break }
            try buffer.withUnsafeBytes { all in
                let chunk = UnsafeRawBufferPointer(rebasing: all[0..<n])
                hasher.update(bufferPointer: chunk)
                try body(chunk)
            }
            offset += Int64(n)
        }
        return (hex(hasher.finalize()), offset)
    }

    /// Lowercase hex of a digest.
    static func hex(_ digest: some Sequence<UInt8>) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    /// `name`, or `name (2).ext`, `name (3).ext`… the first that `isTaken` says is free.
    static func freeName(_ name: String, isTaken: (String) -> Bool) -> String {
        guard isTaken(name) else { return name }
        let dot = name.lastIndex(of: ".").flatMap { $0 == name.startIndex ? nil : $0 }
        let (stem, ext) = dot.map { (String(name[..<$0]), String(name[$0...])) } ?? (name, "")
        var n = 2
        while true {
            let candidate = "\(stem) (\(n))\(ext)"
            if !isTaken(candidate) { return candidate }
            n += 1
        }
    }
}
