import Foundation
import GRDB
import TomeAPI

/// Jobs: a file becomes one (`enqueue`, `requeue`), a worker claims it, and
/// each change of its state is an event of `JobLifecycle` applied in one
/// transaction that moves the job and its document together.
extension Store {
    // MARK: Intake

    /// Records a file to process. Content already stored (or on its way) makes
    /// a `duplicate` job, done at once; content that failed before is queued
    /// again; new content becomes a new queued document.
    public func enqueue(sha256: String, name: String, pipeline: String, bytes: Int64, sourcePath: String, now: Date) throws -> Enqueued {
        let t = now.timeIntervalSince1970
        return try pool.write { db in
            if let existing = try DocumentRecord.fetchOne(db, sql: "SELECT * FROM documents WHERE sha256 = ?", arguments: [sha256]) {
                if existing.status == .failed {
                    try db.execute(sql: """
                        UPDATE documents SET status = ?, name = ?, pipeline = ?, error_code = NULL,
                            error_message = NULL, updated_at = ?, finished_at = NULL WHERE id = ?
                        """, arguments: [JobStatus.queued, name, pipeline, t, existing.id])
                    let job = try insertJob(db, documentID: existing.id, sourcePath: sourcePath, sha256: sha256, status: .queued, t: t)
                    return .queued(documentID: existing.id, jobID: job)
                }
                let job = try insertJob(db, documentID: nil, sourcePath: sourcePath, sha256: sha256, status: .done, duplicateOf: existing.id, t: t)
                return .duplicate(of: existing.id, jobID: job)
            }
            try db.execute(sql: """
                INSERT INTO documents (sha256, name, pipeline, status, bytes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [sha256, name, pipeline, JobStatus.queued, bytes, t, t])
            let documentID = db.lastInsertedRowID
            let job = try insertJob(db, documentID: documentID, sourcePath: sourcePath, sha256: sha256, status: .queued, t: t)
            return .queued(documentID: documentID, jobID: job)
        }
    }

    private func insertJob(_ db: Database, documentID: Int64?, sourcePath: String, sha256: String, status: JobStatus, duplicateOf: Int64? = nil,
                           disposedPath: String? = nil, t: Double) throws -> Int64 {
        try db.execute(sql: """
            INSERT INTO jobs (document_id, source_path, sha256, status, next_attempt_at, duplicate_of, source_disposed, disposed_path, created_at, finished_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [documentID, sourcePath, sha256, status, t, duplicateOf, disposedPath != nil, disposedPath, t, status == .done ? t : nil])
        return db.lastInsertedRowID
    }

    /// Queues document `id` again from `sourcePath` (reprocess). Nil when the
    /// document does not exist; throws `StoreError.busy` while it is queued or processing.
    public func requeue(documentID id: Int64, sourcePath: String, now: Date) throws -> Int64? {
        let t = now.timeIntervalSince1970
        return try pool.write { db in
            guard let document = try DocumentRecord.fetchOne(db, key: id) else { return nil }
            guard document.status.isFinished else { throw StoreError.busy(id) }
            try db.execute(sql: """
                UPDATE documents SET status = ?, error_code = NULL, error_message = NULL, updated_at = ?, finished_at = NULL WHERE id = ?
                """, arguments: [JobStatus.queued, t, id])
            // The source is already where finished files go: nothing to dispose of afterwards.
            return try insertJob(db, documentID: id, sourcePath: sourcePath, sha256: document.sha256, status: .queued, disposedPath: sourcePath, t: t)
        }
    }

    // MARK: Lifecycle

    /// Applies `event` to job `id` and its document in one transaction;
    /// returns the job as it now is. Throws `JobLifecycle.Refused` for an
    /// event its state does not allow.
    @discardableResult
    public func apply(_ event: JobLifecycle.Event, toJob id: Int64, lifecycle: JobLifecycle, now: Date) throws -> JobRecord {
        try pool.write { db in try Self.apply(event, toJob: id, lifecycle: lifecycle, now: now, db: db) }
    }

    @discardableResult
    static func apply(_ event: JobLifecycle.Event, toJob id: Int64, lifecycle: JobLifecycle, now: Date, db: Database) throws -> JobRecord {
        guard let job = try JobRecord.fetchOne(db, key: id) else { throw StoreError.noSuchJob(id) }
        let next = try lifecycle.apply(event, to: job.lifecycleState)
        try db.execute(sql: """
            UPDATE jobs SET status = ?, attempts = ?, crashes = ?, storing = ?, next_attempt_at = ?, error_code = ?, error_message = ?,
                started_at = ?, finished_at = ? WHERE id = ?
            """, arguments: [next.status, next.attempts, next.crashes, next.storing, next.nextAttemptAt.timeIntervalSince1970, next.errorCode,
                             next.errorMessage, next.startedAt?.timeIntervalSince1970, next.finishedAt?.timeIntervalSince1970, id])
        if let document = job.documentId {
            try db.execute(sql: """
                UPDATE documents SET status = ?, error_code = ?, error_message = ?, updated_at = ?, finished_at = ? WHERE id = ?
                """, arguments: [next.status, next.errorCode, next.errorMessage, now.timeIntervalSince1970, next.finishedAt?.timeIntervalSince1970,
                                 document])
        }
        return try JobRecord.fetchOne(db, key: id) ?? job
    }

    /// Takes the next runnable job (queued, due), marking it and its document `processing`.
    public func claimNextJob(lifecycle: JobLifecycle, now: Date) throws -> (job: JobRecord, document: DocumentRecord)? {
        try pool.write { db in
            guard let id = try Int64.fetchOne(db, sql: """
                SELECT id FROM jobs WHERE status = ? AND next_attempt_at <= ? AND document_id IS NOT NULL
                ORDER BY next_attempt_at, id LIMIT 1
                """, arguments: [JobStatus.queued, now.timeIntervalSince1970])
            else { return nil }
            let job = try Self.apply(.claim(at: now), toJob: id, lifecycle: lifecycle, now: now, db: db)
            guard let documentID = job.documentId, let document = try DocumentRecord.fetchOne(db, key: documentID) else { return nil }
            return (job, document)
        }
    }

    /// After a crash or a stop: every job left in `processing` is recovered
    /// (`JobLifecycle.Event.recover`). Returns the jobs re-queued and failed.
    @discardableResult
    public func recoverInterrupted(lifecycle: JobLifecycle, now: Date) throws -> (requeued: Int, failed: Int) {
        try pool.write { db in
            var counts = (requeued: 0, failed: 0)
            for id in try Int64.fetchAll(db, sql: "SELECT id FROM jobs WHERE status = ?", arguments: [JobStatus.processing]) {
                let job = try Self.apply(.recover(at: now), toJob: id, lifecycle: lifecycle, now: now, db: db)
                if job.status == .failed { counts.failed += 1 } else { counts.requeued += 1 }
            }
            // A document left in processing by a job that is not (an older version's crash): back in the queue.
            try db.execute(sql: """
                UPDATE documents SET status = ?, updated_at = ? WHERE status = ?
                AND id NOT IN (SELECT document_id FROM jobs WHERE status = ? AND document_id IS NOT NULL)
                """, arguments: [JobStatus.queued, now.timeIntervalSince1970, JobStatus.processing, JobStatus.processing])
            return counts
        }
    }

    /// Jobs in `processing` that no worker holds (`active` are the ones held)
    /// are released: a commit that failed for want of space could not record
    /// that itself. Returns how many.
    @discardableResult
    public func releaseOrphans(except active: Set<Int64>, lifecycle: JobLifecycle, now: Date = Date()) throws -> Int {
        try pool.write { db in
            let orphans = try Int64.fetchAll(db, sql: "SELECT id FROM jobs WHERE status = ?", arguments: [JobStatus.processing])
                .filter { !active.contains($0) }
            for id in orphans { try Self.apply(.release, toJob: id, lifecycle: lifecycle, now: now, db: db) }
            return orphans.count
        }
    }

    /// When the earliest queued job becomes due; nil when none is queued.
    public func nextDueTime() throws -> Date? {
        try pool.read { db in
            try Double.fetchOne(db, sql: "SELECT MIN(next_attempt_at) FROM jobs WHERE status = ?", arguments: [JobStatus.queued])
                .map { Date(timeIntervalSince1970: $0) }
        }
    }

    /// Jobs waiting for a worker.
    public func queueLength() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs WHERE status = ?", arguments: [JobStatus.queued]) ?? 0 }
    }

    // MARK: Source files

    /// Finished jobs whose source file has not yet been archived, moved or deleted.
    public func jobsAwaitingDisposal() throws -> [JobRecord] {
        try pool.read { db in
            try JobRecord.fetchAll(db, sql: "SELECT * FROM jobs WHERE status IN (?, ?) AND source_disposed = 0 ORDER BY id",
                                   arguments: [JobStatus.done, JobStatus.failed])
        }
    }

    /// The finished jobs of document `id` (and of the files refused as its
    /// duplicates) whose file is still waiting to be moved: a delete moves
    /// them first, so that it knows where they went.
    public func jobsAwaitingDisposal(documentID id: Int64) throws -> [JobRecord] {
        try pool.read { db in
            try JobRecord.fetchAll(db, sql: """
                SELECT * FROM jobs WHERE (document_id = ? OR duplicate_of = ?) AND status IN (?, ?) AND source_disposed = 0 ORDER BY id
                """, arguments: [id, id, JobStatus.done, JobStatus.failed])
        }
    }

    /// Records that the job's source file was dealt with; `path` is where it
    /// now is (nil when it was deleted or had gone), `owned` whether Tome put
    /// it in a folder of its own (archive, failed) rather than left it.
    public func markSourceDisposed(jobID: Int64, path: String?, owned: Bool) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE jobs SET source_disposed = 1, disposed_path = ?, disposed_owned = ? WHERE id = ?",
                           arguments: [path, path == nil ? nil : owned, jobID])
        }
    }

    /// Where the newest kept copy of document `id`'s source file is, if any.
    public func keptSourcePath(documentID id: Int64) throws -> String? {
        try pool.read { db in
            try String.fetchOne(db, sql: """
                SELECT disposed_path FROM jobs WHERE document_id = ? AND disposed_path IS NOT NULL ORDER BY id DESC LIMIT 1
                """, arguments: [id])
        }
    }

    /// Jobs whose file has not been disposed of and lies below `folder`
    /// (jobs recorded before files were claimed name the spool).
    public func jobsNamingSources(under folder: String) throws -> [JobRecord] {
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        return try pool.read { db in
            try JobRecord.fetchAll(db, sql: """
                SELECT * FROM jobs WHERE source_disposed = 0 AND substr(CAST(source_path AS BLOB), 1, ?) = CAST(? AS BLOB) ORDER BY id
                """, arguments: [prefix.utf8.count, prefix])
        }
    }

    /// Points job `id` at its file's new place (claimed after it was recorded).
    public func moveSource(jobID id: Int64, to path: String) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE jobs SET source_path = ? WHERE id = ?", arguments: [path, id])
        }
    }

    // MARK: Reads

    /// The newest job that names `sourcePath`.
    public func latestJob(sourcePath: String) throws -> JobRecord? {
        try pool.read { db in
            try JobRecord.fetchOne(db, sql: "SELECT * FROM jobs WHERE source_path = ? ORDER BY id DESC LIMIT 1", arguments: [sourcePath])
        }
    }

    /// The newest job of document `id`.
    public func latestJob(documentID id: Int64) throws -> JobRecord? {
        try pool.read { db in
            try JobRecord.fetchOne(db, sql: "SELECT * FROM jobs WHERE document_id = ? ORDER BY id DESC LIMIT 1", arguments: [id])
        }
    }

    public func job(id: Int64) throws -> JobRecord? {
        try pool.read { db in try JobRecord.fetchOne(db, key: id) }
    }
}

extension JobRecord {
    /// What `JobLifecycle` reads of this job.
    var lifecycleState: JobLifecycle.State {
        JobLifecycle.State(status: status, attempts: attempts, crashes: crashes, storing: storing, nextAttemptAt: nextAttemptAt,
                           errorCode: errorCode, errorMessage: errorMessage, startedAt: startedAt, finishedAt: finishedAt)
    }
}
