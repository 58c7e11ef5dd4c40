import Foundation
import GRDB
import TomeEngine

/// A document's extractions as stored: `extractions`, one row per value the
/// experts found, with the text it cites (so corpus-wide queries need not
/// read whole documents), its page and byte range, and the normalised
/// value in indexed columns: `number` for amounts and percentages (and an
/// outline entry's level, a key phrase's score), `value` for dates (ISO
/// 8601, so text order is date order). Written in the document's own
/// transaction (`Store.complete`).
public struct StoredExtraction: Sendable, Equatable {
    public var documentID: Int64
    public var kind: ExtractionKind
    public var text: String
    public var value: String
    public var page: Int?
    public var start: Int
    public var end: Int
    public var number: Double?
    public var currency: String?
    public var detail: String?
    /// An amount's role on its invoice or statement; nil for other kinds, and for amounts stored before v11.
    public var role: AmountRole?
    public var count: Int

    /// The most text kept for one extraction (a definition's sentence can be long).
    static let maxText = 2_000

    /// Writes document `id`'s extractions (replacing any) and marks it extracted.
    static func write(_ extractions: [Extraction], bytes: [UInt8], pages: [(number: Int, start: Int)], documentID id: Int64,
                      db: Database) throws {
        try db.execute(sql: "DELETE FROM extractions WHERE document_id = ?", arguments: [id])
        let insert = try db.cachedStatement(sql: """
            INSERT INTO extractions (document_id, kind, position, text, value, page, start, "end", number, currency, detail, role, count)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        var positions: [ExtractionKind: Int] = [:]
        for e in extractions {
            let start = min(Int(e.start), bytes.count), end = min(max(start, Int(e.end)), bytes.count)
            var slice = bytes[start..<end]
            if slice.count > maxText { slice = slice.prefix(maxText) }
            let position = positions[e.kind, default: 0]
            positions[e.kind] = position + 1
            try insert.execute(arguments: [id, e.kind.rawValue, position, String(decoding: slice, as: UTF8.self), e.value,
                                           Store.page(of: start, in: pages), start, end, e.number, e.currency, e.detail, e.role?.rawValue,
                                           Int(e.count)])
        }
        try db.execute(sql: "UPDATE documents SET extracted = 1 WHERE id = ?", arguments: [id])
    }

    init(row: Row) {
        documentID = row["document_id"]
        kind = ExtractionKind(rawValue: row["kind"]) ?? .names
        text = row["text"]
        value = row["value"]
        page = row["page"]
        start = row["start"]
        end = row["end"]
        number = row["number"]
        currency = row["currency"]
        detail = row["detail"]
        role = (row["role"] as String?).flatMap(AmountRole.init(rawValue:))
        count = row["count"]
    }
}

extension Store {
    /// The page holding byte `offset`: the last of `pages` (ascending starts)
    /// starting at or before it, else the first.
    static func page(of offset: Int, in pages: [(number: Int, start: Int)]) -> Int? {
        var low = 0, high = pages.count
        while low < high {
            let mid = (low + high) / 2
            if pages[mid].start <= offset { low = mid + 1 } else { high = mid }
        }
        return low > 0 ? pages[low - 1].number : pages.first?.number
    }

    /// Document `id`'s extractions (of `kind`, or all) in the order the
    /// experts gave them; nil when it was stored before extractions existed.
    public func extractions(documentID id: Int64, kind: ExtractionKind? = nil) throws -> [StoredExtraction]? {
        try pool.read { db in
            guard try Bool.fetchOne(db, sql: "SELECT extracted FROM documents WHERE id = ?", arguments: [id]) == true else { return nil }
            let rows = try Row.fetchAll(db, sql: """
                SELECT * FROM extractions WHERE document_id = ? AND (? IS NULL OR kind = ?) ORDER BY kind, position
                """, arguments: [id, kind?.rawValue, kind?.rawValue])
            return rows.map(StoredExtraction.init(row:))
        }
    }

    /// What a corpus-wide query of extractions asks for.
    public struct ExtractionQuery: Sendable {
        public var kind: ExtractionKind
        /// Bounds on `number` (amounts, percentages), inclusive.
        public var min: Double?
        public var max: Double?
        public var currency: String?
        /// Amounts of this role only.
        public var role: AmountRole?
        /// Bounds on an ISO 8601 date, inclusive: a partial bound (`2024-03`)
        /// takes every day of its month or year, and a partial date
        /// (`March 2024`) is found by any bound inside it.
        public var from: String?
        public var to: String?
        /// The value, case-insensitive (a name, an address, a term).
        public var value: String?
        public var documentID: Int64?
        public var limit: Int

        public init(kind: ExtractionKind, limit: Int) {
            self.kind = kind
            self.limit = limit
        }
    }

    /// Extractions of done documents that match `query`, answered from the
    /// indexed columns: dates in date order, amounts and percentages
    /// largest first, the rest by document and position.
    public func findExtractions(_ query: ExtractionQuery) throws -> [StoredExtraction] {
        var conditions = ["e.kind = ?", "d.status = ?"]
        var arguments: [(any DatabaseValueConvertible)?] = [query.kind.rawValue, JobStatus.done]
        if let min = query.min { conditions.append("e.number >= ?"); arguments.append(min) }
        if let max = query.max { conditions.append("e.number <= ?"); arguments.append(max) }
        if let currency = query.currency { conditions.append("e.currency = ?"); arguments.append(currency.uppercased()) }
        if let role = query.role { conditions.append("e.role = ?"); arguments.append(role.rawValue) }
        // A partial date ("2024-03") that holds the bound's day counts as on or after it.
        if let from = query.from { conditions.append("(e.value >= ? OR substr(?, 1, length(e.value)) = e.value)"); arguments += [from, from] }
        // "to 2024-03" takes every day of March: compare with the bound's last possible suffix.
        if let to = query.to { conditions.append("e.value <= ?"); arguments.append(to + "\u{10FFFF}") }
        if let value = query.value { conditions.append("e.value = ? COLLATE NOCASE"); arguments.append(value) }
        if let id = query.documentID { conditions.append("e.document_id = ?"); arguments.append(id) }
        let order = switch query.kind {
        case .dates: "e.value, e.document_id, e.position"
        case .amounts, .percentages: "e.number DESC, e.document_id, e.position"
        default: "e.document_id, e.position"
        }
        arguments.append(query.limit)
        return try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT e.* FROM extractions e JOIN documents d ON d.id = e.document_id
                WHERE \(conditions.joined(separator: " AND ")) ORDER BY \(order) LIMIT ?
                """, arguments: StatementArguments(arguments)).map(StoredExtraction.init(row:))
        }
    }
}
