import Foundation
import GRDB
import TomeEngine

/// Keyword search over every stored sentence: an SQLite FTS5 table,
/// `sentence_search`, one row per engine unit (a sentence, or a piece of a
/// long one), ranked by bm25.
///
/// A row's rowid is `document_id << 24 | unit`: a document's rows are one
/// rowid range, so they are replaced or removed with a range delete (an FTS5
/// table has no index on its other columns). The unit's page and UTF-8 byte
/// range sit in columns that are stored, not indexed; the text is stored, so
/// that FTS5 can cut snippets. The tokenizer is `unicode61` with diacritics
/// removed: "résumé" finds "resume".
///
/// Chinese and Japanese have no spaces between words, and unicode61 would
/// make a whole run of ideographs one token, found only whole. So each
/// ideograph and kana is stored with a zero-width space after it (a
/// separator to unicode61), as the engine's tokenizer cuts them: each is a
/// token, and a word is the phrase of its characters, found wherever it
/// stands. A query is cut the same way; hits are read back without the
/// marks.
///
/// The rows are written in the same transaction as the document's text
/// (`Store.complete`) and removed in the one that deletes it.
public enum SentenceSearch {
    /// Units a document may have: rowids keep 24 bits for them.
    static let unitBits: Int64 = 24

    /// Marks FTS5 puts around each match in a snippet (private-use characters,
    /// which no extracted text holds), replaced when a hit is built.
    public static let open = "\u{E000}", close = "\u{E001}"

    /// One sentence that matched.
    public struct Hit: Sendable, Equatable {
        public var documentID: Int64
        public var unit: Int
        public var page: Int?
        /// UTF-8 byte range of the sentence in the document's text.
        public var start: Int
        public var end: Int
        /// The sentence.
        public var text: String
        /// Up to 24 tokens around the matches, each match between `open` and `close`.
        public var snippet: String
        /// bm25, higher is better.
        public var score: Double
    }

    /// A query FTS5 cannot parse (an unbalanced quote, a lone `AND`): the message says where.
    public struct BadQuery: Error, CustomStringConvertible {
        public var description: String
    }

    /// Writes document `id`'s sentences, replacing any it had: a row per
    /// sentence, whole even when the indexer cut it into pieces (a Chinese
    /// word, several tokens, may straddle a cut: "软" | "件包"), keyed by its
    /// first unit.
    static func index(documentID id: Int64, bytes: [UInt8], index: DocumentIndex, pages: [(number: Int, start: Int, end: Int)], db: Database) throws {
        try remove(documentID: id, db: db)
        let insert = try db.cachedStatement(sql: "INSERT INTO sentence_search (rowid, text, page, start, \"end\") VALUES (?, ?, ?, ?, ?)")
        var pageIndex = 0
        var next = 0
        let units = min(index.unitStarts.count, 1 << Int(unitBits))
        while next < units {
            let whole = index.sentence(of: next)
            let unit = next
            next = max(whole.upperBound, unit) + 1
            let last = min(whole.upperBound, index.unitEnds.count - 1)
            let start = Int(index.unitStarts[unit]), end = Int(index.unitEnds[last])
            guard start >= 0, start < end, end <= bytes.count else { continue }
            while pageIndex + 1 < pages.count && pages[pageIndex].end <= start { pageIndex += 1 }
            let page = pageIndex < pages.count && pages[pageIndex].start <= start ? pages[pageIndex].number : nil
            let sentence = segmented(String(decoding: bytes[start..<end], as: UTF8.self))
            try insert.execute(arguments: [id << unitBits | Int64(unit), sentence, page, start, end])
        }
    }

    /// Removes document `id`'s sentences.
    static func remove(documentID id: Int64, db: Database) throws {
        try db.execute(sql: "DELETE FROM sentence_search WHERE rowid >= ? AND rowid < ?",
                       arguments: [id << unitBits, (id + 1) << unitBits])
    }

    /// The best `limit` sentences for `query`, in one document or in all.
    static func search(_ query: String, limit: Int, documentID: Int64?, db: Database) throws -> [Hit] {
        let match = segmented(userQuery(query))
        var sql = """
            SELECT rowid, page, start, "end", text, bm25(sentence_search) AS rank,
                   snippet(sentence_search, 0, '\(open)', '\(close)', '…', 24) AS snippet
            FROM sentence_search WHERE sentence_search MATCH ?
            """
        var arguments: StatementArguments = [match]
        if let documentID {
            sql += " AND rowid >= ? AND rowid < ?"
            arguments += [documentID << unitBits, (documentID + 1) << unitBits]
        }
        sql += " ORDER BY rank, rowid LIMIT ?"
        arguments += [limit]
        do {
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                let rowid: Int64 = row["rowid"]
                return Hit(documentID: rowid >> unitBits, unit: Int(rowid & ((1 << unitBits) - 1)), page: row["page"],
                           start: row["start"], end: row["end"], text: ShownText.of(unsegmented(row["text"]).utf8),
                           snippet: unsegmented(row["snippet"]).replacingOccurrences(of: close + open, with: ""),
                           score: -(row["rank"] as Double))
            }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_ERROR {
            throw BadQuery(description: "cannot read the query \(query.debugDescription): \(error.message ?? "syntax error")"
                           + " (the syntax: words, \"a phrase\", prefix*, AND, OR, NOT, NEAR(a b), parentheses; is a quote or a bracket left open?)")
        }
    }

    /// The mark stored after each ideograph and kana.
    static let mark: Unicode.Scalar = "\u{200B}"

    /// Ideographs (CJK unified, extension A and B on, compatibility) and kana (hiragana, katakana, half-width katakana).
    static func isCJK(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x3040...0x30FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0xFF66...0xFF9F, 0x20000...0x3FFFF: true
        default: false
        }
    }

    /// `text` with a mark after each ideograph and kana (unchanged without any).
    static func segmented(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isCJK) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            out.append(scalar)
            if isCJK(scalar) { out.append(mark) }
        }
        return String(out)
    }

    /// `text` without the marks.
    static func unsegmented(_ text: String) -> String {
        guard text.unicodeScalars.contains(mark) else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.filter { $0 != mark }))
    }

    /// The query as FTS5 reads it. FTS5's own syntax is kept — "phrases",
    /// prefix*, AND, OR, NOT, NEAR(…), parentheses — but a word FTS5 would
    /// refuse for its punctuation (`E-1234`, `3.14`, `user@example.org`,
    /// `key:value`) becomes the phrase of its parts, as users mean it.
    static func userQuery(_ query: String) -> String {
        var out: [String] = []
        var inQuote = false
        var current = ""
        func flush() {
            defer { current = "" }
            guard !current.isEmpty else { return }
            var word = Substring(current)
            var before = "", after = ""
            while let first = word.first, first == "(" { before.append(first); word.removeFirst() }
            while let last = word.last, last == ")" || last == "," { after.insert(last, at: after.startIndex); word.removeLast() }
            let prefix = word.hasSuffix("*") && word.count > 1
            let core = prefix ? word.dropLast() : word
            let bare = core.unicodeScalars.allSatisfy { $0.value >= 0x80 || CharacterSet.alphanumerics.contains($0) || $0 == "_" }
            let operatorWord = ["AND", "OR", "NOT"].contains(core) || core.hasPrefix("NEAR")
            if bare || operatorWord || core.isEmpty {
                out.append(before + word + after)
            } else {
                out.append(before + "\"" + core.replacingOccurrences(of: "\"", with: "\"\"") + "\"" + (prefix ? "*" : "") + after)
            }
        }
        for character in query {
            if character == "\"" {
                if inQuote {
                    out.append(current + "\"")
                    current = ""
                } else {
                    flush()
                    current = "\""
                }
                inQuote.toggle()
            } else if inQuote {
                current.append(character)
            } else if character.isWhitespace {
                flush()
            } else {
                current.append(character)
            }
        }
        if inQuote { out.append(current) } else { flush() }  // an unbalanced quote: FTS5 says so
        return out.joined(separator: " ")
    }
}
