import Foundation
import Glibc
import Logging
import Synchronization
import TomeAPI
import TomeStore

/// Moves a finished job's source file out of the spool, once its results are
/// committed: done files (and duplicates) to the archive, or deleted, or left,
/// as `on_success` says; failed files to the failed folder beside a
/// `NAME.error` sidecar that says why. The job is marked disposed afterwards,
/// so a crash in between only repeats the move.
final class Disposer: Sendable {
    private let store: Store
    private let settings: SettingsBox
    private let logger: Logger
    /// Told when a move fails (the storage monitor, to notice a full disk).
    private let onFailure: @Sendable (any Error) -> Void
    /// One disposal at a time: a worker and a DELETE may dispose of the same
    /// job, and the second must see the first's result, not move again.
    private let turn = Mutex<Void>(())

    init(store: Store, settings: SettingsBox, logger: Logger, onFailure: @escaping @Sendable (any Error) -> Void = { _ in }) {
        self.store = store
        self.settings = settings
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
    /// first, and its file would stay in the spool to come back as a new
    /// document (or land in the archive with no row, for a rebuild to bring back).
    func disposePending(documentID id: Int64) {
        for job in (try? store.jobsAwaitingDisposal(documentID: id)) ?? [] { dispose(jobID: job.id) }
    }

    private func dispose(_ job: JobRecord) {
        let config = settings.current
        let source = job.sourcePath
        let relative = Intake.relativePath(source, in: config.spoolDir)
        do {
            var kept: String? = nil
            var owned = true
            if FileStat(source) != nil {
                switch (job.status, config.onSuccess) {
                case (.failed, _):
                    let target = try Self.move(source, into: config.resolvedFailedDir, relative: relative)
                    // One field per line: a name or message with a line break cannot add a field.
                    let escape = OneLine.escaped
                    let reason = "error: \(job.errorCode ?? "unknown")\nmessage: \(escape(job.errorMessage ?? ""))\n"
                        + "document: \(job.documentId.map(String.init) ?? "-")\nfile: \(escape(relative))\ntime: \(iso8601(Date()))\n"
                    try Data(reason.utf8).write(to: URL(fileURLWithPath: target + ".error"), options: .atomic)
                    kept = target
                case (_, .archive):
                    kept = try Self.move(source, into: config.resolvedArchiveDir, relative: relative)
                case (_, .delete):
                    if unlink(source) != 0 && errno != ENOENT { throw SystemError("unlink \(source)", errno) }
                case (_, .leave):
                    kept = source
                    owned = false
                }
            }
            try store.markSourceDisposed(jobID: job.id, path: kept, owned: owned)
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
            for file in failed ? [path, path + ".error"] : [path] where unlink(file) != 0 && errno != ENOENT {
                logger.error("cannot remove a deleted document's file", metadata: ["path": "\(file)", "error": "\(SystemError("unlink", errno))"])
            }
        }
    }

    /// Whether `path` lies under `folder`.
    static func isInside(_ path: String, _ folder: String) -> Bool {
        let base = folder.hasSuffix("/") ? folder : folder + "/"
        return path.hasPrefix(base)
    }

    /// Moves `source` to `folder/relative`, adding ` (2)`, ` (3)`… before the
    /// extension when the name is taken; returns the new path. Across file
    /// systems the copy goes to a hidden `.part` file, is synced, and is
    /// renamed into place before the original is removed: a copy cut short
    /// (a full disk) leaves no partial file under the real name, and the
    /// move is simply tried again.
    static func move(_ source: String, into folder: String, relative: String) throws -> String {
        let target = freeName(folder + "/" + relative) { FileStat($0) != nil }
        let directory = (target as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if rename(source, target) != 0 {
            guard errno == EXDEV else { throw SystemError("rename \(source) -> \(target)", errno) }
            let part = directory + "/." + (target as NSString).lastPathComponent + ".part"
            do {
                try copySynced(source, to: part)
                guard rename(part, target) == 0 else { throw SystemError("rename \(part) -> \(target)", errno) }
            } catch {
                unlink(part)
                throw error
            }
            guard unlink(source) == 0 || errno == ENOENT else { throw SystemError("unlink \(source)", errno) }
        }
        return target
    }

    /// Copies a file and syncs the copy.
    static func copySynced(_ source: String, to target: String) throws {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw SystemError("open \(source)", errno) }
        defer { close(input) }
        let output = open(target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard output >= 0 else { throw SystemError("open \(target)", errno) }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw SystemError("read \(source)", errno) }
            if n == 0 { break }
            try buffer.withUnsafeBytes { try writeAll(output, UnsafeRawBufferPointer(rebasing: $0[0..<n]), name: target) }
        }
        guard fsync(output) == 0 else { throw SystemError("fsync \(target)", errno) }
    }

    /// `name`, or `name (2).ext`, `name (3).ext`… the first that `isTaken` says is free.
    static func freeName(_ name: String, isTaken: (String) -> Bool) -> String {
        guard isTaken(name) else { return name }
        let ns = name as NSString
        let ext = ns.pathExtension
        let stem = ext.isEmpty ? name : ns.deletingPathExtension
        var n = 2
        while true {
            let candidate = ext.isEmpty ? "\(stem) (\(n))" : "\(stem) (\(n)).\(ext)"
            if !isTaken(candidate) { return candidate }
            n += 1
        }
    }
}
