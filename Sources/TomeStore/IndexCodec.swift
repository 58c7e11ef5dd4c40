import Foundation
import GRDB
import TomeEngine

/// Stores a `DocumentIndex` as one row of little-endian arrays (the
/// platforms Tome runs on are little-endian; the parameters are JSON).
enum IndexCodec {
    static func insert(_ index: DocumentIndex, documentID: Int64, db: Database) throws {
        let parameters = String(decoding: try JSONEncoder().encode(index.parameters), as: UTF8.self)
        try db.execute(sql: """
            INSERT INTO document_index (document_id, parameters, token_count, unit_starts, unit_ends, block_first_unit, key_values, key_scales)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [documentID, parameters, index.tokenCount, blob(index.unitStarts), blob(index.unitEnds),
                             blob(index.blockFirstUnit), blob(index.keys.values), blob(index.keys.scales)])
    }

    static func fetch(documentID: Int64, db: Database) throws -> DocumentIndex? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM document_index WHERE document_id = ?", arguments: [documentID]) else { return nil }
        let parametersText: String = row["parameters"]
        let parameters = try JSONDecoder().decode(EngineParameters.self, from: Data(parametersText.utf8))
        return DocumentIndex(
            parameters: parameters, tokenCount: row["token_count"],
            unitStarts: array(row["unit_starts"]), unitEnds: array(row["unit_ends"]), blockFirstUnit: array(row["block_first_unit"]),
            keys: IndexKeys(heads: parameters.indexHeads, dim: parameters.indexDim, values: array(row["key_values"]), scales: array(row["key_scales"]))
        )
    }

    static func blob<T: BitwiseCopyable>(_ values: [T]) -> Data {
        values.withUnsafeBytes { Data($0) }
    }

    /// Copies (SQLite's blob need not be aligned for T).
    static func array<T: BitwiseCopyable>(_ data: Data?) -> [T] {
        guard let data, !data.isEmpty else { return [] }
        let count = data.count / MemoryLayout<T>.stride
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            data.withUnsafeBytes { raw in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[0..<(count * MemoryLayout<T>.stride)]))
            }
            initialized = count
        }
    }
}
