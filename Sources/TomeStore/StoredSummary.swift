import Foundation
import GRDB
import TomeEngine

/// A document's summaries as stored: `summaries`, one row per chosen
/// sentence (its UTF-8 byte range), for the document (section −1) or for an
/// outline section (the heading unit's index, with the heading's range).
/// Written in the document's own transaction (`Store.complete`).
public struct StoredSummary: Sendable, Equatable {
    public struct Sentence: Sendable, Equatable {
        public var text: String
        public var page: Int?
        public var start: Int
        public var end: Int
    }

    public struct Section: Sendable, Equatable {
        public var title: String
        public var page: Int?
        public var start: Int
        public var sentences: [Sentence]
    }

    public var sentences: [Sentence]
    public var sections: [Section]

    /// Writes document `id`'s summaries (replacing any) and marks it
    /// summarised. Each range is the unit's without the white space at its
    /// ends, so that it slices the text to exactly the sentence served; a
    /// sentence's pieces next to each other are one range.
    static func write(_ summary: DocumentSummary, index: DocumentIndex, bytes: [UInt8], documentID id: Int64, db: Database) throws {
        func range(_ u: Int) -> (Int, Int) {
            var (start, end) = (Int(index.unitStarts[u]), Int(index.unitEnds[u]))
            while start < end, bytes[start] <= 0x20 { start += 1 }
            while end > start, bytes[end - 1] <= 0x20 { end -= 1 }
            return (start, end)
        }
        // The pieces of a sentence cut at block length (a contract's long parties' sentence) are one sentence
        // served whole, not one row each ("… Townhome Association" and ", Inc., a Minnesota nonprofit …").
        func sentences(_ units: [Int32]) -> [(Int, Int)] {
            var out: [(Int, Int)] = [], last: ClosedRange<Int>?
            for u in units.map(Int.init) {
                let sentence = index.sentence(of: u)
                if let last, last == sentence, let previous = out.last {
                    out[out.count - 1] = (previous.0, max(previous.1, range(u).1))
                } else {
                    out.append(range(u))
                }
                last = sentence
            }
            return out
        }
        try db.execute(sql: "DELETE FROM summaries WHERE document_id = ?", arguments: [id])
        let insert = try db.cachedStatement(sql: """
            INSERT INTO summaries (document_id, section, heading_start, heading_end, position, start, "end") VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        for (position, (start, end)) in sentences(summary.units).enumerated() {
            try insert.execute(arguments: [id, -1, nil, nil, position, start, end])
        }
        for section in summary.sections {
            let heading = range(Int(section.heading))
            for (position, (start, end)) in sentences(section.units).enumerated() {
                try insert.execute(arguments: [id, section.heading, heading.0, heading.1, position, start, end])
            }
        }
        try db.execute(sql: "UPDATE documents SET summarised = 1 WHERE id = ?", arguments: [id])
    }
}

extension Store {
    /// Document `id`'s summaries with their sentences' text and pages; nil
    /// when it was stored before summaries existed (reprocess it).
    public func summary(documentID id: Int64) throws -> StoredSummary? {
        try pool.read { db in
            guard try Bool.fetchOne(db, sql: "SELECT summarised FROM documents WHERE id = ?", arguments: [id]) == true else { return nil }
            let text = Array((try String.fetchOne(db, sql: "SELECT text FROM document_text WHERE document_id = ?", arguments: [id]) ?? "").utf8)
            let pages = try Row.fetchAll(db, sql: "SELECT number, start FROM pages WHERE document_id = ? ORDER BY start", arguments: [id])
                .map { (number: $0["number"] as Int, start: $0["start"] as Int) }
            func page(_ offset: Int) -> Int? { Store.page(of: offset, in: pages) }
            // The outline's titles by where they stand in the text: a section's title is the outline's, not its unit's text.
            let outline = try Row.fetchAll(db, sql: """
                SELECT title, "offset" FROM outline WHERE document_id = ? AND "offset" IS NOT NULL ORDER BY "offset", position
                """, arguments: [id]).map { (title: $0["title"] as String, offset: $0["offset"] as Int) }
            func slice(_ start: Int, _ end: Int) -> String {
                guard start >= 0, start <= end, end <= text.count else { return "" }
                return ShownText.of(text[start..<end])
            }
            var summary = StoredSummary(sentences: [], sections: [])
            for row in try Row.fetchAll(db, sql: "SELECT * FROM summaries WHERE document_id = ? ORDER BY section, position", arguments: [id]) {
                let (start, end): (Int, Int) = (row["start"], row["end"])
                let sentence = StoredSummary.Sentence(text: slice(start, end), page: page(start), start: start, end: end)
                let section: Int = row["section"]
                if section < 0 {
                    summary.sentences.append(sentence)
                } else if let last = summary.sections.last, last.start == row["heading_start"] {
                    summary.sections[summary.sections.count - 1].sentences.append(sentence)
                } else {
                    let (headingStart, headingEnd): (Int, Int) = (row["heading_start"], row["heading_end"])
                    // The outline's entries inside the heading's unit (a PDF's unit may hold a console line before the
                    // title, or a chapter's title and its first section's): their titles. Else the unit's text, less a
                    // Markdown heading's marks.
                    let entries = outline.filter { $0.offset >= headingStart && $0.offset < headingEnd && !$0.title.isEmpty }
                    let title = entries.isEmpty ? String(slice(headingStart, headingEnd).drop { $0 == "#" || $0 == " " })
                        : entries.map(\.title).joined(separator: " — ")
                    summary.sections.append(StoredSummary.Section(title: title, page: page(entries.first?.offset ?? headingStart),
                                                                  start: headingStart, sentences: [sentence]))
                }
            }
            return summary
        }
    }
}
