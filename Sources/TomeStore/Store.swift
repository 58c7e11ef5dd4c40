import Foundation
import GRDB
import TomeEngine
import TomeExtract

/// Tome's SQLite database: documents, their text, pages and outline, and the
/// jobs that produce them. WAL mode through GRDB's `DatabasePool`, so readers
/// (the control API) never wait for the writer (the workers).
///
/// Every method is one transaction: a document's results land whole or not
/// at all, and a job's state never disagrees with its document's.
public final class Store: Sendable {
    public let pool: DatabasePool

    /// Opens (creating if needed) the database at `path` and runs the migrations.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        pool = try DatabasePool(path: path, configuration: configuration)
        try Migrations.migrator.migrate(pool)
    }

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
                        UPDATE documents SET status = 'queued', name = ?, pipeline = ?, error_code = NULL,
                            error_message = NULL, updated_at = ?, finished_at = NULL WHERE id = ?
                        """, arguments: [name, pipeline, t, existing.id])
                    let job = try insertJob(db, documentID: existing.id, sourcePath: sourcePath, sha256: sha256, status: .queued, duplicateOf: nil, t: t)
                    return .queued(documentID: existing.id, jobID: job)
                }
                let job = try insertJob(db, documentID: nil, sourcePath: sourcePath, sha256: sha256, status: .done, duplicateOf: existing.id, t: t)
                return .duplicate(of: existing.id, jobID: job)
            }
            try db.execute(sql: """
                INSERT INTO documents (sha256, name, pipeline, status, bytes, created_at, updated_at)
                VALUES (?, ?, ?, 'queued', ?, ?, ?)
                """, arguments: [sha256, name, pipeline, bytes, t, t])
            let documentID = db.lastInsertedRowID
            let job = try insertJob(db, documentID: documentID, sourcePath: sourcePath, sha256: sha256, status: .queued, duplicateOf: nil, t: t)
            return .queued(documentID: documentID, jobID: job)
        }
    }

    private func insertJob(_ db: Database, documentID: Int64?, sourcePath: String, sha256: String, status: JobStatus, duplicateOf: Int64?, t: Double) throws -> Int64 {
        try db.execute(sql: """
            INSERT INTO jobs (document_id, source_path, sha256, status, next_attempt_at, duplicate_of, created_at, finished_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [documentID, sourcePath, sha256, status, t, duplicateOf, t, status == .done ? t : nil])
        return db.lastInsertedRowID
    }

    /// Queues document `id` again from `sourcePath` (reprocess). Nil when the
    /// document does not exist; throws `StoreError.busy` while it is queued or processing.
    public func requeue(documentID id: Int64, sourcePath: String, now: Date) throws -> Int64? {
        let t = now.timeIntervalSince1970
        return try pool.write { db in
            guard let document = try DocumentRecord.fetchOne(db, key: id) else { return nil }
            guard document.status == .done || document.status == .failed else { throw StoreError.busy(id) }
            try db.execute(sql: """
                UPDATE documents SET status = 'queued', error_code = NULL, error_message = NULL,
                    updated_at = ?, finished_at = NULL WHERE id = ?
                """, arguments: [t, id])
            // The source is already where finished files go: nothing to dispose of afterwards.
            try db.execute(sql: """
                INSERT INTO jobs (document_id, source_path, sha256, status, next_attempt_at, source_disposed, disposed_path, created_at)
                VALUES (?, ?, ?, 'queued', ?, 1, ?, ?)
                """, arguments: [id, sourcePath, document.sha256, t, sourcePath, t])
            return db.lastInsertedRowID
        }
    }

    // MARK: Jobs

    /// After a crash or a stop: jobs (and documents) left in `processing` go
    /// back to `queued` and their attempt is given back — a kill while the
    /// extraction child worked says nothing about the document. A job the
    /// daemon itself was storing (`markStoring`) counts a crash instead, and
    /// after `retries + 1` such crashes it fails with code `interrupted`, so a
    /// document that kills the daemon cannot keep it in a crash loop. Returns
    /// the jobs re-queued and the jobs failed.
    @discardableResult
    public func recoverInterrupted(retries: Int, now: Date) throws -> (requeued: Int, failed: Int) {
        let t = now.timeIntervalSince1970
        return try pool.write { db in
            try db.execute(sql: "UPDATE jobs SET crashes = crashes + 1 WHERE status = 'processing' AND storing = 1")
            let message = "tomed stopped while storing this document \(retries + 1) times (a crash or a kill); it is not tried again"
            try db.execute(sql: """
                UPDATE documents SET status = 'failed', error_code = 'interrupted', error_message = ?, updated_at = ?, finished_at = ?
                WHERE id IN (SELECT document_id FROM jobs WHERE status = 'processing' AND crashes > ?)
                """, arguments: [message, t, t, retries])
            try db.execute(sql: """
                UPDATE jobs SET status = 'failed', storing = 0, error_code = 'interrupted', error_message = ?, finished_at = ?
                WHERE status = 'processing' AND crashes > ?
                """, arguments: [message, t, retries])
            let failed = db.changesCount
            try db.execute(sql: "UPDATE documents SET status = 'queued', updated_at = ? WHERE status = 'processing'", arguments: [t])
            try db.execute(sql: """
                UPDATE jobs SET status = 'queued', storing = 0, attempts = MAX(0, attempts - 1), started_at = NULL WHERE status = 'processing'
                """)
            return (db.changesCount, failed)
        }
    }

    /// Marks that the daemon itself now works on job `id`'s result (the child
    /// is done): a crash from here on counts against the document.
    public func markStoring(jobID id: Int64) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE jobs SET storing = 1 WHERE id = ? AND status = 'processing'", arguments: [id])
        }
    }

    /// Jobs in `processing` that no worker holds (`active` are the ones held)
    /// go back to `queued`, the attempt not counted: a commit that failed for
    /// want of space could not record that itself. Returns how many.
    @discardableResult
    public func releaseOrphans(except active: Set<Int64>, now: Date = Date()) throws -> Int {
        try pool.write { db in
            let orphans = try Int64.fetchAll(db, sql: "SELECT id FROM jobs WHERE status = 'processing'").filter { !active.contains($0) }
            for id in orphans {
                try db.execute(sql: """
                    UPDATE documents SET status = 'queued', updated_at = ?
                    WHERE status = 'processing' AND id = (SELECT document_id FROM jobs WHERE id = ?)
                    """, arguments: [now.timeIntervalSince1970, id])
                try db.execute(sql: "UPDATE jobs SET status = 'queued', storing = 0, attempts = MAX(0, attempts - 1), started_at = NULL WHERE id = ?",
                               arguments: [id])
            }
            return orphans.count
        }
    }

    /// Takes the next runnable job (queued, due), marking it and its document `processing`.
    public func claimNextJob(now: Date) throws -> (job: JobRecord, document: DocumentRecord)? {
        let t = now.timeIntervalSince1970
        return try pool.write { db in
            guard let job = try JobRecord.fetchOne(db, sql: """
                SELECT * FROM jobs WHERE status = 'queued' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT 1
                """, arguments: [t]), let documentID = job.documentId
            else { return nil }
            try db.execute(sql: "UPDATE jobs SET status = 'processing', attempts = attempts + 1, started_at = ? WHERE id = ?", arguments: [t, job.id])
            try db.execute(sql: "UPDATE documents SET status = 'processing', updated_at = ? WHERE id = ?", arguments: [t, documentID])
            guard let claimed = try JobRecord.fetchOne(db, key: job.id), let document = try DocumentRecord.fetchOne(db, key: documentID) else {
                return nil
            }
            return (claimed, document)
        }
    }

    /// When the earliest queued job becomes due; nil when none is queued.
    public func nextDueTime() throws -> Date? {
        try pool.read { db in
            try Double.fetchOne(db, sql: "SELECT MIN(next_attempt_at) FROM jobs WHERE status = 'queued'")
                .map { Date(timeIntervalSince1970: $0) }
        }
    }

    /// A change to what the corpus memory should count: one document's
    /// counts out, another's in, and the generation the memory carries once
    /// it has them. `complete` and `delete` hand it to `beforeCommit` inside
    /// their transaction, before COMMIT (the memory journals it there), and return it.
    public struct EngramChange: Sendable {
        public var generation: Int64
        /// Counts to take out: a reprocessed document's previous ones, or a deleted document's.
        public var removing: EngramContribution?
        /// Counts to add: a completed document's.
        public var adding: EngramContribution?

        public var isEmpty: Bool { removing == nil && adding == nil }
    }

    /// Stores everything extraction and analysis produced and marks job and
    /// document done, in one transaction. A reprocessed document's old
    /// results are replaced, and its old Engram counts are in the change.
    /// A throw from `beforeCommit` rolls the whole transaction back.
    @discardableResult
    public func complete(jobID: Int64, documentID: Int64, document: ExtractedDocument, analysis: Analysis, now: Date,
                         beforeCommit: (EngramChange) throws -> Void = { _ in }) throws -> EngramChange {
        let t = now.timeIntervalSince1970
        let index = IndexArchive.encode(analysis.index), engram = IndexArchive.encode(analysis.engram)
        return try pool.write { db in
            let previous = try Self.engram(documentID: documentID, db: db)
            // New content: the answers to its pipeline's questions are computed again (`documentsToAnswer`).
            for table in ["document_text", "pages", "outline", "document_analysis", "answers"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE document_id = ?", arguments: [documentID])
            }
            try db.execute(sql: "INSERT INTO document_text (document_id, text) VALUES (?, ?)", arguments: [documentID, document.text])
            let page = try db.cachedStatement(sql: "INSERT INTO pages (document_id, number, start, \"end\") VALUES (?, ?, ?, ?)")
            for span in document.pages {
                try page.execute(arguments: [documentID, span.number, span.start, span.end])
            }
            let bytes = Array(document.text.utf8)  // sentences and summaries slice it
            try SentenceSearch.index(documentID: documentID, bytes: bytes, index: analysis.index,
                                     pages: document.pages.map { ($0.number, $0.start, $0.end) }, db: db)
            try StoredSummary.write(analysis.summary, index: analysis.index, bytes: bytes, documentID: documentID, db: db)
            try StoredExtraction.write(analysis.extractions, bytes: bytes, pages: document.pages.map { ($0.number, $0.start) },
                                       documentID: documentID, db: db)
            let entry = try db.cachedStatement(sql: "INSERT INTO outline (document_id, position, title, level, page, \"offset\") VALUES (?, ?, ?, ?, ?, ?)")
            for (position, item) in document.outline.enumerated() {
                try entry.execute(arguments: [documentID, position, item.title, item.level, item.page, item.offset])
            }
            let m = document.metadata
            try db.execute(sql: """
                UPDATE documents SET status = 'done', type = ?, pages = ?, tokens = ?, error_code = NULL, error_message = NULL,
                    title = ?, author = ?, subject = ?, keywords = ?, creator = ?, producer = ?, doc_created = ?, doc_modified = ?,
                    answered = NULL, updated_at = ?, finished_at = ? WHERE id = ?
                """, arguments: [document.type.name, document.pages.count, analysis.index.tokenCount, m.title, m.author, m.subject, m.keywords,
                                 m.creator, m.producer, m.created, m.modified, t, t, documentID])
            try db.execute(sql: "UPDATE jobs SET status = 'done', error_code = NULL, error_message = NULL, finished_at = ? WHERE id = ?", arguments: [t, jobID])
            try db.execute(sql: """
                INSERT INTO document_analysis (document_id, format, text_bytes, index_archive, engram) VALUES (?, ?, ?, ?, ?)
                """, arguments: [documentID, DocumentIndex.format, document.text.utf8.count, Data(index), Data(engram)])
            let change = EngramChange(generation: try bumpGeneration(db), removing: previous, adding: analysis.engram)
            try beforeCommit(change)
            return change
        }
    }

    // MARK: Engine

    /// The stored index of document `id`, decoded and validated; nil when it
    /// has none (not analysed, or analysed by an engine whose format was
    /// dropped). Throws `EngineError` when the stored bytes are damaged.
    public func index(documentID id: Int64) throws -> DocumentIndex? {
        let row = try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT text_bytes, index_archive FROM document_analysis WHERE document_id = ?", arguments: [id])
        }
        guard let row else { return nil }
        let archive: Data = row["index_archive"]
        return try IndexArchive.decodeIndex(Array(archive), textBytes: row["text_bytes"])
    }

    /// The Engram counts stored with document `id`.
    static func engram(documentID id: Int64, db: Database) throws -> EngramContribution? {
        guard let data = try Data.fetchOne(db, sql: "SELECT engram FROM document_analysis WHERE document_id = ?", arguments: [id]) else { return nil }
        return try IndexArchive.decodeEngram(Array(data))
    }

    /// Calls `body` with the stored Engram counts of every done document
    /// with an id above `after`, in id order, one at a time (a corpus-memory
    /// rebuild, resumed after the last document it counted).
    public func forEachEngramContribution(after: Int64 = 0, _ body: (Int64, EngramContribution) throws -> Void) throws {
        try pool.read { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT a.document_id, a.engram FROM document_analysis a JOIN documents d ON d.id = a.document_id
                WHERE d.status = 'done' AND a.document_id > ? ORDER BY a.document_id
                """, arguments: [after])
            while let row = try rows.next() {
                let data: Data = row["engram"]
                try body(row["document_id"], try IndexArchive.decodeEngram(Array(data)))
            }
        }
    }

    /// How many done documents with an id above `after` have stored Engram counts (a rebuild's progress).
    public func engramContributionCount(after: Int64 = 0) throws -> Int {
        try pool.read { db in
            try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM document_analysis a JOIN documents d ON d.id = a.document_id
                WHERE d.status = 'done' AND a.document_id > ?
                """, arguments: [after]) ?? 0
        }
    }

    /// Done documents without an analysis (stored before this engine's index format),
    /// a summary or extractions (stored before those existed): the daemon analyses them again.
    public func documentsWithoutAnalysis() throws -> [Int64] {
        try pool.read { db in
            try Int64.fetchAll(db, sql: """
                SELECT id FROM documents WHERE status = 'done' AND (id NOT IN (SELECT document_id FROM document_analysis) OR summarised = 0 OR extracted = 0)
                ORDER BY id
                """)
        }
    }

    /// The generation the corpus memory must carry to match the store.
    public func engramGeneration() throws -> Int64 {
        try pool.read { db in try Int64.fetchOne(db, sql: "SELECT generation FROM engram_state WHERE id = 1") ?? 0 }
    }

    private func bumpGeneration(_ db: Database) throws -> Int64 {
        try db.execute(sql: "UPDATE engram_state SET generation = generation + 1 WHERE id = 1")
        return try Int64.fetchOne(db, sql: "SELECT generation FROM engram_state WHERE id = 1") ?? 0
    }

    /// Ids of the documents that are done, in id order (corpus scans, memory rebuilds).
    public func doneDocumentIDs() throws -> [Int64] {
        try pool.read { db in try Int64.fetchAll(db, sql: "SELECT id FROM documents WHERE status = 'done' ORDER BY id") }
    }

    /// Fails job and document for good with a typed reason.
    public func fail(jobID: Int64, documentID: Int64, code: String, message: String, now: Date) throws {
        let t = now.timeIntervalSince1970
        try pool.write { db in
            try db.execute(sql: """
                UPDATE documents SET status = 'failed', error_code = ?, error_message = ?, updated_at = ?, finished_at = ? WHERE id = ?
                """, arguments: [code, message, t, t, documentID])
            try db.execute(sql: "UPDATE jobs SET status = 'failed', error_code = ?, error_message = ?, finished_at = ? WHERE id = ?",
                           arguments: [code, message, t, jobID])
        }
    }

    /// Queues the job again, due at `retryAt`, keeping the reason of this attempt.
    public func retryLater(jobID: Int64, documentID: Int64, code: String, message: String, retryAt: Date, now: Date) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE documents SET status = 'queued', error_code = ?, error_message = ?, updated_at = ? WHERE id = ?",
                           arguments: [code, message, now.timeIntervalSince1970, documentID])
            try db.execute(sql: "UPDATE jobs SET status = 'queued', storing = 0, error_code = ?, error_message = ?, next_attempt_at = ?, started_at = NULL WHERE id = ?",
                           arguments: [code, message, retryAt.timeIntervalSince1970, jobID])
        }
    }

    /// Finished jobs whose source file has not yet been archived, moved or deleted.
    public func jobsAwaitingDisposal() throws -> [JobRecord] {
        try pool.read { db in
            try JobRecord.fetchAll(db, sql: "SELECT * FROM jobs WHERE status IN ('done', 'failed') AND source_disposed = 0 ORDER BY id")
        }
    }

    /// The finished jobs of document `id` (and of the files refused as its
    /// duplicates) whose file is still waiting to be moved: a delete moves
    /// them first, so that it knows where they went.
    public func jobsAwaitingDisposal(documentID id: Int64) throws -> [JobRecord] {
        try pool.read { db in
            try JobRecord.fetchAll(db, sql: """
                SELECT * FROM jobs WHERE (document_id = ? OR duplicate_of = ?) AND status IN ('done', 'failed') AND source_disposed = 0 ORDER BY id
                """, arguments: [id, id])
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

    /// Puts a job the daemon gave up on while stopping back in the queue, as
    /// if it had not started (the attempt does not count).
    public func release(jobID: Int64, documentID: Int64, now: Date) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE jobs SET status = 'queued', storing = 0, attempts = MAX(0, attempts - 1), started_at = NULL WHERE id = ? AND status = 'processing'",
                           arguments: [jobID])
            try db.execute(sql: "UPDATE documents SET status = 'queued', updated_at = ? WHERE id = ? AND status = 'processing'",
                           arguments: [now.timeIntervalSince1970, documentID])
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

    // MARK: Documents

    public func document(id: Int64) throws -> DocumentRecord? {
        try pool.read { db in try DocumentRecord.fetchOne(db, key: id) }
    }

    /// Documents newest first, optionally of one status, with ids below `before`.
    public func documents(status: JobStatus?, before: Int64?, limit: Int) throws -> [DocumentRecord] {
        try pool.read { db in
            var conditions: [String] = []
            var arguments: StatementArguments = []
            if let status { conditions.append("status = ?"); _ = arguments.append(contentsOf: [status]) }
            if let before { conditions.append("id < ?"); _ = arguments.append(contentsOf: [before]) }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            _ = arguments.append(contentsOf: [limit])
            return try DocumentRecord.fetchAll(db, sql: "SELECT * FROM documents \(whereClause) ORDER BY id DESC LIMIT ?", arguments: arguments)
        }
    }

    /// The document's text, or one page of it (from 1). Nil when the document
    /// has no text (yet) or no such page.
    /// The best `limit` sentences for a keyword query (FTS5 syntax), in
    /// document `documentID` or in all; throws `SentenceSearch.BadQuery`
    /// for a query FTS5 cannot read.
    public func search(_ query: String, limit: Int, documentID: Int64? = nil) throws -> [SentenceSearch.Hit] {
        try pool.read { db in try SentenceSearch.search(query, limit: limit, documentID: documentID, db: db) }
    }

    public func text(documentID id: Int64, page: Int? = nil) throws -> String? {
        try pool.read { db in
            guard let page else {
                return try String.fetchOne(db, sql: "SELECT text FROM document_text WHERE document_id = ?", arguments: [id])
            }
            // Spans are UTF-8 byte ranges: slice the text as a blob, not as characters.
            let bytes = try Data.fetchOne(db, sql: """
                SELECT substr(CAST(t.text AS BLOB), p.start + 1, p."end" - p.start)
                FROM document_text t JOIN pages p ON p.document_id = t.document_id
                WHERE t.document_id = ? AND p.number = ?
                """, arguments: [id, page])
            return bytes.map { String(decoding: $0, as: UTF8.self) }
        }
    }

    public func pages(documentID id: Int64) throws -> [PageSpan] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT number, start, \"end\" FROM pages WHERE document_id = ? ORDER BY number", arguments: [id])
                .map { PageSpan(number: $0["number"], start: $0["start"], end: $0["end"]) }
        }
    }

    public func outline(documentID id: Int64) throws -> [OutlineEntry] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT title, level, page, \"offset\" FROM outline WHERE document_id = ? ORDER BY position", arguments: [id])
                .map { OutlineEntry(title: $0["title"], level: $0["level"], page: $0["page"], offset: $0["offset"]) }
        }
    }

    /// What deleting a document did.
    public struct Deletion: Sendable {
        /// Takes the document's Engram counts out of the corpus memory.
        public var change: EngramChange
        /// Where its jobs' source files were kept (archived, moved to the
        /// failed folder, or left), and its refused duplicates' files: the
        /// caller removes those Tome owns.
        public var keptFiles: [KeptFile]
    }

    /// A deleted document's file that was kept.
    public struct KeptFile: Sendable, Equatable {
        public var path: String
        /// Tome moved it into its archive or failed folder (true), left it in
        /// the spool (false), or it was kept before that was recorded (nil).
        public var owned: Bool?
        /// Its job failed: a `.error` sidecar lies beside it.
        public var failed: Bool

        public init(path: String, owned: Bool?, failed: Bool) {
            self.path = path
            self.owned = owned
            self.failed = failed
        }
    }

    /// Deletes a document and everything it produced. Nil when there is no
    /// such document; throws `StoreError.busy` while it is queued or a worker
    /// holds it.
    /// The change takes the document's stored Engram counts out of the
    /// corpus memory when it was counted there (done); `beforeCommit` as in `complete`.
    @discardableResult
    public func delete(documentID id: Int64, beforeCommit: (EngramChange) throws -> Void = { _ in }) throws -> Deletion? {
        try pool.write { db in
            guard let document = try DocumentRecord.fetchOne(db, key: id) else { return nil }
            // A queued document's file is still in the spool: deleting the row would
            // let the next scan take the file again as a new document.
            guard document.status == .done || document.status == .failed else { throw StoreError.busy(id) }
            let counted = document.status == .done ? try Self.engram(documentID: id, db: db) : nil
            // Its jobs go with it (ON DELETE CASCADE), and those of the files refused as its duplicates:
            // read first where their files went.
            let kept = try Row.fetchAll(db, sql: """
                SELECT disposed_path, MAX(disposed_owned) AS owned, MAX(status = 'failed') AS failed FROM jobs
                WHERE (document_id = ? OR duplicate_of = ?) AND disposed_path IS NOT NULL GROUP BY disposed_path ORDER BY disposed_path
                """, arguments: [id, id]).map { row in
                KeptFile(path: row["disposed_path"], owned: (row["owned"] as Int?).map { $0 != 0 }, failed: (row["failed"] as Int? ?? 0) != 0)
            }
            try db.execute(sql: "DELETE FROM jobs WHERE duplicate_of = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM documents WHERE id = ?", arguments: [id])
            try SentenceSearch.remove(documentID: id, db: db)
            let generation = counted != nil ? try bumpGeneration(db) : try Int64.fetchOne(db, sql: "SELECT generation FROM engram_state") ?? 0
            let change = EngramChange(generation: generation, removing: counted, adding: nil)
            try beforeCommit(change)
            return Deletion(change: change, keptFiles: kept)
        }
    }

    /// Documents by status, every status present (zero included).
    public func countsByStatus() throws -> [JobStatus: Int] {
        try pool.read { db in
            var counts = Dictionary(uniqueKeysWithValues: JobStatus.allCases.map { ($0, 0) })
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM documents GROUP BY status") {
                if let status = JobStatus(rawValue: row["status"]) { counts[status] = row["n"] }
            }
            return counts
        }
    }

    /// Jobs waiting for a worker.
    public func queueLength() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM jobs WHERE status = 'queued'") ?? 0 }
    }
}

/// Store refusals that are not database failures.
public enum StoreError: Error, Equatable {
    /// The document is held by a worker (or queued for one); try again later.
    case busy(Int64)
}
