import Foundation
import Glibc
import Logging
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

    init(store: Store, settings: SettingsBox, logger: Logger) {
        self.store = store
        self.settings = settings
        self.logger = logger
    }

    /// Disposes of every finished job's file still waiting (after a crash).
    func disposeAllPending() {
        for job in (try? store.jobsAwaitingDisposal()) ?? [] { dispose(job) }
    }

    func dispose(jobID: Int64) {
        guard let job = try? store.job(id: jobID), !job.sourceDisposed else { return }
        dispose(job)
    }

    private func dispose(_ job: JobRecord) {
        let config = settings.current
        let source = job.sourcePath
        let relative = Intake.relativePath(source, in: config.spoolDir)
        do {
            var kept: String? = nil
            if FileStat(source) != nil {
                switch (job.status, config.onSuccess) {
                case (.failed, _):
                    let target = try move(source, into: config.resolvedFailedDir, relative: relative)
                    let reason = "error: \(job.errorCode ?? "unknown")\nmessage: \(job.errorMessage ?? "")\n"
                        + "document: \(job.documentId.map(String.init) ?? "-")\nfile: \(relative)\ntime: \(iso8601(Date()))\n"
                    try Data(reason.utf8).write(to: URL(fileURLWithPath: target + ".error"), options: .atomic)
                    kept = target
                case (_, .archive):
                    kept = try move(source, into: config.resolvedArchiveDir, relative: relative)
                case (_, .delete):
                    if unlink(source) != 0 && errno != ENOENT { throw SystemError("unlink \(source)", errno) }
                case (_, .leave):
                    kept = source
                }
            }
            try store.markSourceDisposed(jobID: job.id, path: kept)
        } catch {
            logger.error("cannot dispose of source file", metadata: ["path": "\(source)", "job": "\(job.id)", "error": "\(error)"])
        }
    }

    /// Moves `source` to `folder/relative`, adding ` (2)`, ` (3)`… before the
    /// extension when the name is taken; returns the new path.
    func move(_ source: String, into folder: String, relative: String) throws -> String {
        let target = Self.freeName(folder + "/" + relative) { FileStat($0) != nil }
        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        if rename(source, target) != 0 {
            guard errno == EXDEV else { throw SystemError("rename \(source) -> \(target)", errno) }
            // Another file system: copy, then remove the original.
            try FileManager.default.copyItem(atPath: source, toPath: target)
            try FileManager.default.removeItem(atPath: source)
        }
        return target
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
