import Foundation
import Glibc
import TomeExtract

/// The daemon's own folder, `STATE_DIR/claimed`, where a file is moved the
/// moment it is taken from the spool, and where uploads are written.
///
/// The spool is shared: whoever may write into it may rename its folders
/// and put symbolic links in their place. So a file is claimed once, through
/// the descriptors of its spool folders (opened without following a link),
/// and from then on Tome reads, hashes, archives and deletes only the claimed
/// file, which no spool writer can reach: nothing done in the spool
/// afterwards can redirect or change what Tome works on.
///
/// Each claim is a slot of its own, `claimed/KIND-UUID/RELATIVE/PATH`: the
/// file keeps its spool path below the slot, so a claim a kill left without
/// a job is recorded again under its name at the next start (`orphans`).
/// `KIND` says what the slot holds:
/// - `taken`: the spool file itself, moved (renamed: same file system) or,
///   across file systems, copied and then unlinked from the spool;
/// - `copy`: a copy, the spool file left where it is (`on_success = leave`);
/// - `upload`: a file written by `POST /v1/documents`.
///
/// A spool file is taken only when it is a regular file with one link
/// (a hard link's other name could change it; `Refused.linked`) that the
/// daemon can read.
struct ClaimFolder: Sendable {
    /// What a slot holds.
    enum Kind: String, Sendable, CaseIterable {
        case taken, copy, upload
    }

    /// A file in a slot of its own.
    struct Claimed: Sendable, Equatable {
        /// Where the claimed file is.
        var path: String
        /// Its path in the spool (the document's name).
        var relative: String
        var kind: Kind
        var sha256: String
        var bytes: Int64
    }

    /// Why a spool file was left where it is, for the log.
    struct Refused: Error, CustomStringConvertible {
        var description: String
    }

    let root: String

    init(stateDir: String) {
        root = stateDir + "/claimed"
    }

    /// Creates the folder, readable by the daemon's user only.
    func prepare() throws {
        if mkdir(root, 0o700) != 0 && errno != EEXIST { throw SystemError("mkdir \(root)", errno) }
        guard let info = FileStat(root), info.isDirectory else { throw SystemError("\(root) is not a folder", ENOTDIR) }
    }

    // MARK: Claiming

    /// Claims the spool file at `parts` below `spool`: moves it into a slot
    /// of its own, or copies it there when `copy` is set, and hashes it.
    /// Throws `Refused` for a file Tome leaves where it is (a link, a hard
    /// link, not readable, gone), `SystemError` when a system call fails.
    func claim(_ parts: [String], in spool: String, copy: Bool) throws -> Claimed {
        guard let name = parts.last else { throw Refused(description: "an empty path") }
        let folder: Int32
        do {
            folder = try FolderMoves.openFolder(Array(parts.dropLast()), under: spool)
        } catch let error as SystemError where [ELOOP, ENOTDIR, ENOENT].contains(error.code) {
            throw Refused(description: "a folder on its path is gone, a symbolic link or not a folder")
        }
        defer { close(folder) }
        guard let seen = FolderMoves.status(folder, name) else { throw Refused(description: "it is gone") }
        try Self.vet(seen)
        // Open before moving: a file the daemon cannot read stays in the spool for its owner to see.
        let source = openat(folder, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard source >= 0 else {
            let code = errno
            throw Refused(description: code == EACCES ? "the daemon's user may not read it (permission denied)" : String(cString: strerror(code)))
        }
        defer { close(source) }
        var opened = stat()
        guard fstat(source, &opened) == 0 else { throw SystemError("fstat \(name)", errno) }
        try Self.vet(opened)

        let kind: Kind = copy ? .copy : .taken
        let (target, path) = try makeSlot(kind, parts)
        defer { close(target) }
        var digest: (sha256: String, bytes: Int64)
        if copy {
            digest = try FolderMoves.copy(source, into: target, as: name)
        } else {
            if renameat(folder, name, target, name) == 0 {
                // The name may have been given to another file between the open and the rename:
                // what was moved is kept only if it is the file vetted; anything else goes back.
                guard let moved = FolderMoves.status(target, name), moved.st_dev == opened.st_dev, moved.st_ino == opened.st_ino else {
                    _ = renameat(target, name, folder, name)
                    release(path)
                    throw Refused(description: "it was replaced while it was taken; it is taken again at the next scan")
                }
                digest = try FolderMoves.readAll(source)
            } else if errno == EXDEV {
                // Another file system: copy what was vetted, then unlink the spool's name if it is still that file.
                digest = try FolderMoves.copy(source, into: target, as: name)
                if let still = FolderMoves.status(folder, name), still.st_dev == opened.st_dev, still.st_ino == opened.st_ino {
                    unlinkat(folder, name, 0)
                }
            } else {
                let code = errno
                release(path)
                throw SystemError("rename \(parts.joined(separator: "/")) into \(root)", code)
            }
        }
        return Claimed(path: path, relative: parts.joined(separator: "/"), kind: kind, sha256: digest.sha256, bytes: digest.bytes)
    }

    /// A regular file with one link, or a refusal saying what it is.
    private static func vet(_ info: stat) throws {
        let type = info.st_mode & S_IFMT
        guard type == S_IFREG else {
            throw Refused(description: type == S_IFLNK ? "a symbolic link" : type == S_IFDIR ? "a folder" : "not a regular file")
        }
        guard info.st_nlink == 1 else {
            throw Refused(description: "the file has \(info.st_nlink) hard links (another name could change it): copy or move it in instead")
        }
    }

    /// A new slot for `parts` (its folders made): the folder the file goes
    /// in, open (the caller closes it), and the file's path.
    func makeSlot(_ kind: Kind, _ parts: [String]) throws -> (folder: Int32, path: String) {
        let slot = "\(kind.rawValue)-\(UUID().uuidString.lowercased())"
        let folder = try FolderMoves.openFolder([slot] + parts.dropLast(), under: root, creating: 0o700)
        return (folder, ([root, slot] + parts).joined(separator: "/"))
    }

    // MARK: Slots

    /// The slot of a claimed path: its kind and the file's path in the spool;
    /// nil for a path outside this folder.
    func slot(of path: String) -> (kind: Kind, relative: String)? {
        guard let parts = BeneathPath.components(of: path, under: root), parts.count >= 2,
              let dash = parts[0].firstIndex(of: "-"), let kind = Kind(rawValue: String(parts[0][..<dash]))
        else { return nil }
        return (kind, parts.dropFirst().joined(separator: "/"))
    }

    /// Removes the folders left empty between a claimed path's file and its
    /// slot, the slot included, once the file has gone (moved or deleted).
    func release(_ path: String) {
        guard let parts = BeneathPath.components(of: path, under: root), parts.count >= 2 else { return }
        for depth in stride(from: parts.count - 1, through: 1, by: -1) {
            guard rmdir(([root] + parts.prefix(depth)).joined(separator: "/")) == 0 else { return }
        }
    }

    /// The claimed files (a file per slot), sorted; with `removingPartials`
    /// (at start, when no upload can be under way) after removing the slots
    /// a kill left without a file (an upload cut short, a claim not
    /// finished) with their hidden `.part` files; `removed` counts those.
    func sweep(removingPartials: Bool) -> (files: [String], removed: Int) {
        guard let slots = try? FileManager.default.contentsOfDirectory(atPath: root) else { return ([], 0) }
        var found: [String] = []
        var removed = 0
        for slot in slots.sorted() {
            let folder = root + "/" + slot
            let inside = FileStat.regularFiles(under: folder) { _ in true }
            let isHidden = { (path: String) in (path as NSString).lastPathComponent.hasPrefix(".") }
            if let file = inside.first(where: { !isHidden($0) }) {
                found.append(folder + "/" + file)
            } else if removingPartials {
                for part in inside { unlink(folder + "/" + part) }
                Self.removeTree(folder)
                removed += 1
            }
        }
        return (found, removed)
    }

    /// Removes a folder holding only folders (bottom up); stops at anything else.
    private static func removeTree(_ folder: String) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
            let path = folder + "/" + name
            if FileStat(path)?.isDirectory == true { removeTree(path) }
        }
        rmdir(folder)
    }
}
