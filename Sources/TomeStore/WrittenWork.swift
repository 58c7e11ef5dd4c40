import Foundation
import GRDB

/// What a language model writes of a document after it is stored — its
/// summary, its answers to the pipeline's questions — as a stage of its
/// own (`written`, one row per document and kind): ingest never waits on
/// it. A row is `pending` until written (retried with backoff while the
/// model is away, and after a restart), then `done` with the model, the
/// time and the result (JSON the daemon defines), or `failed` with why.
public enum WrittenWork {
    public enum Kind: String, Sendable, CaseIterable, Codable {
        case summary, answers
    }

    public enum State: String, Sendable, Codable {
        case pending, done, failed
    }

    public struct Row: Sendable, Equatable {
        public var documentID: Int64
        public var kind: Kind
        public var state: State
        /// Which queuing of the row this is: a try stores its result only if the row is still the one it took.
        public var generation: Int64
        public var attempts: Int
        /// Unix time of the next attempt (pending).
        public var nextTry: Double
        public var error: String?
        public var model: String?
        public var writtenAt: String?
        public var body: String?
    }
}

extension Store {
    /// Pending rows for document `id` and `kinds` it has none of yet (its
    /// pipeline asks for them); with `again`, existing rows are made pending
    /// anew (reprocess of that stage). Only a done document gets any.
    @discardableResult
    public func queueWritten(documentID id: Int64, kinds: [WrittenWork.Kind], again: Bool = false) throws -> Bool {
        try pool.write { db in
            guard try JobStatus.fetchOne(db, sql: "SELECT status FROM documents WHERE id = ?", arguments: [id]) == .done else { return false }
            // A new generation each time: a microsecond clock, above the row's last one.
            let generation = max(Int64(Date().timeIntervalSince1970 * 1e6),
                                 (try Int64.fetchOne(db, sql: "SELECT MAX(generation) FROM written WHERE document_id = ?", arguments: [id]) ?? 0) + 1)
            for kind in kinds {
                try db.execute(sql: again
                    ? """
                      INSERT INTO written (document_id, kind, state, generation) VALUES (?, ?, 'pending', ?)
                      ON CONFLICT (document_id, kind) DO UPDATE SET state = 'pending', generation = excluded.generation, attempts = 0,
                          next_try = 0, error = NULL
                      """
                    : "INSERT OR IGNORE INTO written (document_id, kind, state, generation) VALUES (?, ?, 'pending', ?)",
                    arguments: [id, kind.rawValue, generation])
            }
            return true
        }
    }

    /// Done documents of `pipeline` without a row of `kind`.
    public func documentsToWrite(pipeline: String, kind: WrittenWork.Kind) throws -> [Int64] {
        try pool.read { db in
            try Int64.fetchAll(db, sql: """
                SELECT id FROM documents WHERE pipeline = ? AND status = 'done'
                AND NOT EXISTS (SELECT 1 FROM written w WHERE w.document_id = documents.id AND w.kind = ?) ORDER BY id
                """, arguments: [pipeline, kind.rawValue])
        }
    }

    /// Pending rows due by `now` (oldest document first), and the earliest time a later one is due.
    public func dueWritten(now: Double) throws -> (due: [WrittenWork.Row], next: Double?) {
        try pool.read { db in
            let due = try Row.fetchAll(db, sql: """
                SELECT * FROM written WHERE state = 'pending' AND next_try <= ? ORDER BY next_try, document_id, kind LIMIT 16
                """, arguments: [now]).compactMap(Self.writtenRow)
            let next = try Double.fetchOne(db, sql: "SELECT MIN(next_try) FROM written WHERE state = 'pending' AND next_try > ?", arguments: [now])
            return (due, next)
        }
    }

    /// Records what the try of `row` wrote; nothing when the row was removed or queued anew
    /// meanwhile (its document stored again, or reprocessed) or another try got there first.
    @discardableResult
    public func finishWritten(_ row: WrittenWork.Row, model: String, writtenAt: String, body: String) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE written SET state = 'done', model = ?, written_at = ?, body = ?, error = NULL
                WHERE document_id = ? AND kind = ? AND state = 'pending' AND generation = ? AND attempts = ?
                """, arguments: [model, writtenAt, body, row.documentID, row.kind.rawValue, row.generation, row.attempts])
            return db.changesCount > 0
        }
    }

    /// A try of `row` that did not write: pending again at `nextTry` (the model was away), or failed for good (nil).
    public func deferWritten(_ row: WrittenWork.Row, nextTry: Double?, error: String) throws {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE written SET state = ?, attempts = ?, next_try = ?, error = ?
                WHERE document_id = ? AND kind = ? AND state = 'pending' AND generation = ? AND attempts = ?
                """, arguments: [nextTry == nil ? "failed" : "pending", row.attempts + 1, nextTry ?? 0, error, row.documentID, row.kind.rawValue,
                                 row.generation, row.attempts])
        }
    }

    /// Document `id`'s rows, by kind.
    public func written(documentID id: Int64) throws -> [WrittenWork.Kind: WrittenWork.Row] {
        try pool.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM written WHERE document_id = ?", arguments: [id]).compactMap(Self.writtenRow)
            return Dictionary(rows.map { ($0.kind, $0) }, uniquingKeysWith: { a, _ in a })
        }
    }

    /// Rows pending, in all (the status).
    public func pendingWrittenCount() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM written WHERE state = 'pending'") ?? 0 }
    }

    private static func writtenRow(_ row: Row) -> WrittenWork.Row? {
        guard let kind = WrittenWork.Kind(rawValue: row["kind"]), let state = WrittenWork.State(rawValue: row["state"]) else { return nil }
        return WrittenWork.Row(documentID: row["document_id"], kind: kind, state: state, generation: row["generation"], attempts: row["attempts"],
                               nextTry: row["next_try"],
                               error: row["error"], model: row["model"], writtenAt: row["written_at"], body: row["body"])
    }
}
