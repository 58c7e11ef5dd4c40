import Foundation
import GRDB
import TomeEngine
import TomeExtract

/// Analyses: what extraction and the engine made of a document, stored in
/// one transaction with the job's completion (`complete`), and read back
/// for asks and for the corpus memory.
extension Store {
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
    public func complete(jobID: Int64, documentID: Int64, document: ExtractedDocument, analysis: Analysis, lifecycle: JobLifecycle, now: Date,
                         beforeCommit: (EngramChange) throws -> Void = { _ in }) throws -> EngramChange {
        let index = IndexArchive.encode(analysis.index), engram = IndexArchive.encode(analysis.engram)
        return try pool.write { db in
            let previous = try Self.engram(documentID: documentID, db: db)
            // New content: the answers to its pipeline's questions are computed again (`documentsToAnswer`),
            // and what a model wrote of the old content is written again (`documentsToWrite`).
            for table in ["document_text", "pages", "outline", "document_analysis", "answers", "page_readings", "written"] {
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
            let reading = try db.cachedStatement(sql: """
                INSERT INTO page_readings (document_id, page, confidence, flagged, rotation, dpi, words) VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            for r in document.ocr ?? [] {
                let words = r.words.withUnsafeBufferPointer { Data(buffer: $0) }  // Int32, little-endian on the machines Tome runs on
                try reading.execute(arguments: [documentID, r.page, r.confidence, r.flagged, r.rotation, r.dpi, words])
            }
            let entry = try db.cachedStatement(sql: "INSERT INTO outline (document_id, position, title, level, page, \"offset\") VALUES (?, ?, ?, ?, ?, ?)")
            for (position, item) in document.outline.enumerated() {
                try entry.execute(arguments: [documentID, position, item.title, item.level, item.page, item.offset])
            }
            let m = document.metadata
            try Self.apply(.complete(at: now), toJob: jobID, lifecycle: lifecycle, now: now, db: db)
            try db.execute(sql: """
                UPDATE documents SET type = ?, pages = ?, tokens = ?, title = ?, author = ?, subject = ?, keywords = ?, creator = ?, producer = ?,
                    doc_created = ?, doc_modified = ?, answered = NULL WHERE id = ?
                """, arguments: [document.type.name, document.pages.count, analysis.index.tokenCount, m.title, m.author, m.subject, m.keywords,
                                 m.creator, m.producer, m.created, m.modified, documentID])
            try db.execute(sql: """
                INSERT INTO document_analysis (document_id, format, text_bytes, index_archive, engram) VALUES (?, ?, ?, ?, ?)
                """, arguments: [documentID, DocumentIndex.format, document.text.utf8.count, Data(index), Data(engram)])
            let change = EngramChange(generation: try bumpGeneration(db), removing: previous, adding: analysis.engram)
            try beforeCommit(change)
            return change
        }
    }

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
                WHERE d.status = ? AND a.document_id > ? ORDER BY a.document_id
                """, arguments: [JobStatus.done, after])
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
                WHERE d.status = ? AND a.document_id > ?
                """, arguments: [JobStatus.done, after]) ?? 0
        }
    }

    /// Gives done documents that have a readable stored index and no
    /// sentences in keyword search their sentences (documents stored before
    /// search existed; the migration that made the table leaves data that
    /// live code derives to this). Cheap when none is missing: one range
    /// lookup per document. Returns how many were indexed.
    @discardableResult
    public func indexUnsearchedDocuments() throws -> Int {
        try pool.write { db in
            let bits = SentenceSearch.unitBits
            let rows = try Row.fetchAll(db, sql: """
                SELECT a.document_id, a.text_bytes, a.index_archive, t.text FROM document_analysis a
                JOIN documents d ON d.id = a.document_id JOIN document_text t ON t.document_id = a.document_id
                WHERE d.status = ? AND NOT EXISTS (SELECT 1 FROM sentence_search WHERE rowid >= (a.document_id << \(bits)) AND rowid < ((a.document_id + 1) << \(bits)))
                """, arguments: [JobStatus.done])
            var indexed = 0
            for row in rows {
                let id: Int64 = row["document_id"]
                let archive: Data = row["index_archive"]
                // An index this engine cannot read is reprocessed; its sentences come with it.
                guard let index = try? IndexArchive.decodeIndex(Array(archive), textBytes: row["text_bytes"]) else { continue }
                let pages = try Row.fetchAll(db, sql: "SELECT number, start, \"end\" FROM pages WHERE document_id = ? ORDER BY start", arguments: [id])
                    .map { (number: $0["number"] as Int, start: $0["start"] as Int, end: $0["end"] as Int) }
                try SentenceSearch.index(documentID: id, bytes: Array((row["text"] as String).utf8), index: index, pages: pages, db: db)
                indexed += 1
            }
            return indexed
        }
    }

    /// Done documents without an analysis (stored before this engine's index format),
    /// a summary or extractions (stored before those existed): the daemon analyses them again.
    public func documentsWithoutAnalysis() throws -> [Int64] {
        try pool.read { db in
            try Int64.fetchAll(db, sql: """
                SELECT id FROM documents WHERE status = ? AND (id NOT IN (SELECT document_id FROM document_analysis) OR summarised = 0 OR extracted = 0)
                ORDER BY id
                """, arguments: [JobStatus.done])
        }
    }

    /// The generation the corpus memory must carry to match the store.
    public func engramGeneration() throws -> Int64 {
        try pool.read { db in try Int64.fetchOne(db, sql: "SELECT generation FROM engram_state WHERE id = 1") ?? 0 }
    }

    func bumpGeneration(_ db: Database) throws -> Int64 {
        try db.execute(sql: "UPDATE engram_state SET generation = generation + 1 WHERE id = 1")
        return try Int64.fetchOne(db, sql: "SELECT generation FROM engram_state WHERE id = 1") ?? 0
    }

    /// Ids of the documents that are done, in id order (corpus scans, memory rebuilds).
    public func doneDocumentIDs() throws -> [Int64] {
        try pool.read { db in try Int64.fetchAll(db, sql: "SELECT id FROM documents WHERE status = ? ORDER BY id", arguments: [JobStatus.done]) }
    }
}
