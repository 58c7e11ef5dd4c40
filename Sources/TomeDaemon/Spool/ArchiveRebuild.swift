import Foundation
import Glibc

/// The way back from a lost database: every file the archive keeps goes back
/// into the spool, to be ingested again. `tomed rebuild`.
///
/// The archive holds the source file of every document done (unless
/// `on_success` deletes or leaves them), under its path in the spool, so a
/// pipeline subfolder stays a pipeline subfolder. A database that is missing
/// or empty while the archive is not is refused at start
/// (`refuseLostDatabase`): starting would show an empty store and ingest
/// nothing. The rebuild keeps what it replaces: a database that still exists
/// is renamed aside, not deleted; the corpus memory, which is derived from
/// the database, is removed and rebuilt by the daemon.
public struct ArchiveRebuild: Sendable {
    /// What a rebuild did.
    public struct Report: Sendable, Equatable {
        /// Files moved from the archive back into the spool.
        public var requeued: Int
        /// Where the database that was there went (nil when there was none or it was empty).
        public var keptDatabase: String?
        /// Files in the failed folder, left where they are.
        public var failedLeft: Int
    }

    public var config: DaemonConfig

    public init(config: DaemonConfig) {
        self.config = config
    }

    /// Refuses to open a missing or zero-length database when the archive
    /// holds files: the store was lost, and an empty one would hide it.
    static func refuseLostDatabase(_ config: DaemonConfig) throws {
        let database = FileStat(config.databasePath)
        guard database == nil || database?.size == 0 else { return }
        let archived = Self.files(under: config.resolvedArchiveDir).count
        guard archived > 0 else { return }
        let state = database == nil ? "missing" : "empty (0 bytes)"
        throw DaemonError(description: """
            the database \(config.databasePath) is \(state), but the archive \(config.resolvedArchiveDir) holds \(archived) \
            file\(archived == 1 ? "" : "s"): the store was lost. Restore it from a backup, or run `tomed rebuild` (with the same \
            options) to put the archived files back in the spool and ingest them again
            """)
    }

    /// Moves the database aside, removes the corpus memory and puts every
    /// archived file back in the spool. Takes the state dir's lock: refused
    /// while a daemon runs.
    public func run() throws -> Report {
        try FileManager.default.createDirectory(atPath: config.stateDir, withIntermediateDirectories: true)
        let lock = try PIDLock(path: config.stateDir + "/tomed.lock", guarding: "the state dir \(config.stateDir)")
        defer { withExtendedLifetime(lock) {} }

        var kept: String? = nil
        if let database = FileStat(config.databasePath), database.size > 0 {
            let aside = config.stateDir + "/" + FolderMoves.freeName("tome.sqlite.before-rebuild") { FileStat(config.stateDir + "/" + $0) != nil }
            // The WAL holds committed transactions not yet in the main file: it goes with it.
            for suffix in ["-wal", "-shm"] where FileStat(config.databasePath + suffix) != nil {
                guard rename(config.databasePath + suffix, aside + suffix) == 0 else { throw SystemError("rename \(config.databasePath + suffix)", errno) }
            }
            guard rename(config.databasePath, aside) == 0 else { throw SystemError("rename \(config.databasePath)", errno) }
            kept = aside
        } else {
            for suffix in ["", "-wal", "-shm"] { unlink(config.databasePath + suffix) }
        }
        for derived in [config.stateDir + "/engram.mem", config.stateDir + "/engram.mem.journal"] {
            guard unlink(derived) == 0 || errno == ENOENT else { throw SystemError("unlink \(derived)", errno) }
        }

        var requeued = 0
        for relative in Self.files(under: config.resolvedArchiveDir) {
            guard let (folder, name) = try FolderMoves.openParent(of: config.resolvedArchiveDir + "/" + relative, under: config.resolvedArchiveDir)
            else { continue }
            defer { close(folder) }
            _ = try Disposer.move(folder, name, into: config.spoolDir, relative: relative, folderMode: 0o2770)
            requeued += 1
        }
        let failed = Self.files(under: config.resolvedFailedDir).filter { !$0.hasSuffix(".error") }
        return Report(requeued: requeued, keptDatabase: kept, failedLeft: failed.count)
    }

    /// The regular files under `folder`, as paths relative to it, in name
    /// order; what the spool ignores (hidden files, such as a `.part` copy cut
    /// short) and anything not a regular file or folder are skipped.
    static func files(under folder: String) -> [String] {
        FileStat.regularFiles(under: folder) { !SpoolWatcher.isIgnored(name: $0) }
    }
}
