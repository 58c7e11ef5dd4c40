import Foundation
import GRDB
import TomeEngine
import TomeExtract

/// Documents: their rows, text, pages and outline, keyword search over
/// their sentences, counts by status, and deletion with everything they produced.
extension Store {
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

    /// A page read by OCR, as listed with its document: its words counted, not their boxes.
    public struct OCRSummary: Sendable, Equatable {
        public var page: Int
        public var confidence: Int
        public var flagged: Bool
        public var rotation: Int
        public var words: Int
    }

    /// Document `id`'s pages read by OCR, in page order (none when every page had a text layer).
    public func ocrSummary(documentID id: Int64) throws -> [OCRSummary] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT page, confidence, flagged, rotation, length(words) / 24 AS words FROM page_readings WHERE document_id = ? ORDER BY page
                """, arguments: [id]).map {
                OCRSummary(page: $0["page"], confidence: $0["confidence"], flagged: $0["flagged"], rotation: $0["rotation"], words: $0["words"])
            }
        }
    }

    /// Document `id`'s pages read by OCR with their words' boxes (`PageReading.words`).
    public func pageReadings(documentID id: Int64) throws -> [PageReading] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT page, confidence, flagged, rotation, dpi, words FROM page_readings WHERE document_id = ? ORDER BY page",
                             arguments: [id]).map { row in
                let data: Data = row["words"]
                return PageReading(page: row["page"], confidence: row["confidence"], flagged: row["flagged"], rotation: row["rotation"],
                                   dpi: row["dpi"], words: data.withUnsafeBytes { raw in
                    // A blob's bytes need not be aligned for Int32.
                    (0..<(raw.count / 4)).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self) }
                })
            }
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
            // A queued document's file is still waiting to be processed: deleting the row would
            // leave the claimed file to be recorded again as a new document.
            guard document.status.isFinished else { throw StoreError.busy(id) }
            let counted = document.status == .done ? try Self.engram(documentID: id, db: db) : nil
            // Its jobs go with it (ON DELETE CASCADE), and those of the files refused as its duplicates:
            // read first where their files went.
            let kept = try Row.fetchAll(db, sql: """
                SELECT disposed_path, MAX(disposed_owned) AS owned, MAX(status = ?) AS failed FROM jobs
                WHERE (document_id = ? OR duplicate_of = ?) AND disposed_path IS NOT NULL GROUP BY disposed_path ORDER BY disposed_path
                """, arguments: [JobStatus.failed, id, id]).map { row in
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
}
