import Foundation
import Glibc
import Logging
import Synchronization
import TomeAPI
import TomeExtract
import TomeStore

/// Disposes of a finished job's file once its results are committed: done
/// files (and duplicates) to the archive, or deleted, as `on_success` says;
/// failed files to the failed folder beside a `NAME.error` sidecar that says
/// why. The file is the claimed one (`ClaimFolder`), never a name in the
/// spool: with `on_success = leave` Tome worked on a copy, which goes, and
/// the spool's file stays. The job is marked disposed afterwards, so a crash
/// in between only repeats the move.
final class Disposer: Sendable {
    private let store: Store
    private let settings: SettingsBox
    private let claims: ClaimFolder
    private let logger: Logger
    /// Told when a move fails (the storage monitor, to notice a full disk).
    private let onFailure: @Sendable (any Error) -> Void
    /// One disposal at a time: a worker and a DELETE may dispose of the same
    /// job, and the second must see the first's result, not move again.
    private let turn = Mutex<Void>(())

    init(store: Store, settings: SettingsBox, claims: ClaimFolder, logger: Logger, onFailure: @escaping @Sendable (any Error) -> Void = { _ in }) {
        self.store = store
        self.settings = settings
        self.claims = claims
        self.logger = logger
        self.onFailure = onFailure
    }

    /// Disposes of every finished job's file still waiting (after a crash).
    func disposeAllPending() {
        for job in (try? store.jobsAwaitingDisposal()) ?? [] { dispose(jobID: job.id) }
    }

    func dispose(jobID: Int64) {
        turn.withLock { _ in
            guard let job = try? store.job(id: jobID), !job.sourceDisposed else { return }
            dispose(job)
        }
    }

    /// Before document `id` is deleted: moves the files of its finished
    /// jobs (and its duplicates') that are still waiting, as `on_success`
    /// says. A worker disposes only after the pipeline's questions are
    /// answered; a DELETE in between would otherwise cascade the job away
    /// first, and its claimed file would stay behind with no row (to be
    /// recorded again at the next start).
    func disposePending(documentID id: Int64) {
        for job in (try? store.jobsAwaitingDisposal(documentID: id)) ?? [] { dispose(jobID: job.id) }
    }

    private func dispose(_ job: JobRecord) {
        let config = settings.current
        let source = job.sourcePath
        // A claimed file, or (a job recorded before claims that could not be adopted) one in the spool.
        let slot = claims.slot(of: source)
        let root = slot == nil ? config.spoolDir : claims.root
        let relative = slot?.relative ?? BeneathPath.components(of: source, under: config.spoolDir)?.joined(separator: "/")
            ?? (source as NSString).lastPathComponent
        do {
            var kept: String? = nil
            var owned = true
            if let (folder, name) = try FolderMoves.openParent(of: source, under: root) {
                defer { close(folder) }
                if FolderMoves.status(folder, name) != nil {
                    switch (job.status, slot?.kind, config.onSuccess) {
                    case (.failed, _, _):
                        let target = try Self.move(folder, name, into: config.resolvedFailedDir, relative: relative)
                        // One field per line: a name or message with a line break cannot add a field.
                        let escape = OneLine.escaped
                        let reason = "error: \(job.errorCode ?? "unknown")\nmessage: \(escape(job.errorMessage ?? ""))\n"
                            + "document: \(job.documentId.map(String.init) ?? "-")\nfile: \(escape(relative))\ntime: \(iso8601(Date()))\n"
                        try Data(reason.utf8).write(to: URL(fileURLWithPath: target + ".error"), options: .atomic)
                        kept = target
                    case (_, .copy?, _):
                        // Tome's copy of a file left in the spool: the spool's file is the one kept.
                        guard unlinkat(folder, name, 0) == 0 || errno == ENOENT else { throw SystemError("unlink \(source)", errno) }
                        kept = config.spoolDir + "/" + relative
                        owned = false
                    case (_, nil, .leave):
                        kept = source
                        owned = false
                    case (_, _, .delete):
                        guard unlinkat(folder, name, 0) == 0 || errno == ENOENT else { throw SystemError("unlink \(source)", errno) }
                    case (_, _, .archive), (_, _, .leave):
                        // An upload, or a file taken before `leave` was set: Tome holds it, so it is kept in the archive.
                        kept = try Self.move(folder, name, into: config.resolvedArchiveDir, relative: relative)
                    }
                }
            }
            try store.markSourceDisposed(jobID: job.id, path: kept, owned: owned)
            if slot != nil { claims.release(source) }
        } catch {
            // Out of space, the storage monitor says so once and the move is done again when space returns.
            if !StorageMonitor.isOutOfSpace(error) {
                logger.error("cannot dispose of source file", metadata: ["path": "\(source)", "job": "\(job.id)", "error": "\(error)"])
            }
            onFailure(error)
        }
    }

    /// Removes a deleted document's kept files (`Store.Deletion.keptFiles`)
    /// that Tome owns: those it moved into its archive or failed folder (the
    /// latter with their `.error` sidecars), wherever those folders are
    /// configured now. A file left in the spool (`on_success = leave`) is the
    /// user's and stays. A file kept before ownership was recorded is Tome's
    /// when it lies in today's archive or failed folder. Without this, a
    /// deleted document would come back with the next `tomed rebuild`.
    func discard(keptFiles: [Store.KeptFile]) {
        let config = settings.current
        for kept in keptFiles {
            let path = kept.path
            let inFailed = Self.isInside(path, config.resolvedFailedDir)
            guard kept.owned ?? (inFailed || Self.isInside(path, config.resolvedArchiveDir)) else { continue }
            let failed = kept.owned == nil ? inFailed : kept.failed
            for file in failed ? [path, path + ".error"] : [path] {
                do {
                    try Self.remove(file, roots: [config.resolvedArchiveDir, config.resolvedFailedDir])
                } catch {
                    logger.error("cannot remove a deleted document's file", metadata: ["path": "\(file)", "error": "\(error)"])
                }
            }
        }
    }

    /// Unlinks `path`: through its folders opened without following a link
    /// when it lies in one of `roots` (a file kept in a folder configured
    /// before it moved is unlinked by name). A file already gone is no error.
    static func remove(_ path: String, roots: [String]) throws {
        if let root = roots.first(where: { isInside(path, $0) }), let (folder, name) = try FolderMoves.openParent(of: path, under: root) {
            defer { close(folder) }
            guard unlinkat(folder, name, 0) == 0 || errno == ENOENT else { throw SystemError("unlink \(path)", errno) }
        } else {
            guard unlink(path) == 0 || errno == ENOENT else { throw SystemError("unlink \(path)", errno) }
        }
    }

    /// Whether `path` lies under `folder`.
    static func isInside(_ path: String, _ folder: String) -> Bool {
        let base = folder.hasSuffix("/") ? folder : folder + "/"
        return path.hasPrefix(base)
    }

    /// Moves `name` from the open folder `source` to `folder/relative`,
    /// adding ` (2)`, ` (3)`… before the extension when the name is taken;
    /// returns the new path. Every folder on the way to the target is opened
    /// (and made, with `folderMode`: readable, not writable, by the group) without following a link; across file systems the copy is
    /// made under a hidden name and renamed into place (`FolderMoves.move`).
    static func move(_ source: Int32, _ name: String, into folder: String, relative: String, folderMode: mode_t = 0o750) throws -> String {
        let parts = relative.split(separator: "/").map(String.init)
        guard let file = parts.last else { throw SystemError("move \(name): an empty target name", EINVAL) }
        // The folder itself is the daemon's (configured, made at start): made again if it was removed meanwhile.
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let target = try FolderMoves.openFolder(Array(parts.dropLast()), under: folder, creating: folderMode)
        defer { close(target) }
        let free = FolderMoves.freeName(file) { FolderMoves.status(target, $0) != nil }
        try FolderMoves.move(from: source, name, to: target, as: free)
        return ([folder] + parts.dropLast() + [free]).joined(separator: "/")
    }
}
