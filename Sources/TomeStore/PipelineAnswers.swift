import Foundation
import GRDB
import TomeAPI

/// The answers to a pipeline's questions, stored with each document of that
/// pipeline: `answers`, one row per question (its best answer, or none), and
/// the digest of the questions they answer in `documents.answered`, so that
/// a document whose pipeline's questions changed is known to need answering
/// again.
public enum PipelineAnswers {
    /// One question and its best answer (nil fields when none was found).
    public struct Row: Sendable, Equatable {
        public var question: String
        public var text: String?
        public var context: String?
        public var page: Int?
        public var start: Int?
        public var end: Int?
        public var score: Double?
        /// Whether the answer can be trusted; nil for answers stored before v13.
        public var sure: Bool?
        /// The defining sentence of a term the answer names its date by.
        public var definition: AnswerDefinition?

        public init(question: String, text: String? = nil, context: String? = nil, page: Int? = nil, start: Int? = nil, end: Int? = nil,
                    score: Double? = nil, sure: Bool? = nil, definition: AnswerDefinition? = nil) {
            self.question = question
            self.text = text
            self.context = context
            self.page = page
            self.start = start
            self.end = end
            self.score = score
            self.sure = sure
            self.definition = definition
        }
    }

    /// A digest of `questions`, in order: what `documents.answered` holds.
    public static func digest(_ questions: [String]) -> String {
        // FNV-1a over the questions, each ended by a NUL: stable across runs and machines.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for question in questions {
            for byte in question.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            hash = hash &* 0x100_0000_01b3  // the NUL that ends it
        }
        return String(hash, radix: 16) + ":" + String(questions.count)
    }

}

extension Store {
    /// Replaces document `id`'s answers with `rows`, answering `questions`
    /// (whose digest is recorded). Does nothing if the document is gone or
    /// no longer done (deleted or re-queued meanwhile): returns false.
    @discardableResult
    public func replaceAnswers(documentID id: Int64, questions: [String], rows: [PipelineAnswers.Row]) throws -> Bool {
        try pool.write { db in
            guard try JobStatus.fetchOne(db, sql: "SELECT status FROM documents WHERE id = ?", arguments: [id]) == .done else { return false }
            try db.execute(sql: "DELETE FROM answers WHERE document_id = ?", arguments: [id])
            let insert = try db.cachedStatement(sql: """
                INSERT INTO answers (document_id, position, question, text, context, page, start, "end", score, sure,
                                     definition_term, definition_text, definition_page, definition_start, definition_end)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for (position, row) in rows.enumerated() {
                let d = row.definition
                try insert.execute(arguments: [id, position, row.question, row.text, row.context, row.page, row.start, row.end, row.score, row.sure,
                                               d?.term, d?.text, d?.page, d?.start, d?.end])
            }
            // No questions, no digest: a document of a pipeline without questions is never listed as needing answers.
            try db.execute(sql: "UPDATE documents SET answered = ? WHERE id = ?",
                           arguments: [questions.isEmpty ? nil : PipelineAnswers.digest(questions), id])
            return true
        }
    }

    /// Document `id`'s stored answers, in the order of their questions.
    public func answers(documentID id: Int64) throws -> [PipelineAnswers.Row] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM answers WHERE document_id = ? ORDER BY position", arguments: [id]).map { row in
                var definition: AnswerDefinition? = nil
                if let term: String = row["definition_term"], let text: String = row["definition_text"], let start: Int = row["definition_start"],
                   let end: Int = row["definition_end"] {
                    definition = AnswerDefinition(term: term, text: text, page: row["definition_page"] ?? 1, start: start, end: end)
                }
                return PipelineAnswers.Row(question: row["question"], text: row["text"], context: row["context"], page: row["page"],
                                           start: row["start"], end: row["end"], score: row["score"], sure: row["sure"], definition: definition)
            }
        }
    }

    /// Done documents of pipeline `pipeline` whose answers are not those of
    /// `questions` (never answered, or answered other questions).
    public func documentsToAnswer(pipeline: String, questions: [String]) throws -> [Int64] {
        let digest = questions.isEmpty ? nil : PipelineAnswers.digest(questions)
        return try pool.read { db in
            try Int64.fetchAll(db, sql: """
                SELECT id FROM documents WHERE status = ? AND pipeline = ? AND answered IS NOT ? ORDER BY id
                """, arguments: [JobStatus.done, pipeline, digest])
        }
    }
}
