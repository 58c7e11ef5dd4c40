import Foundation

/// The bytes of a `DocumentIndex` and of an `EngramContribution`: what the
/// daemon stores in SQLite and what its analysing child sends it. One format
/// for both, decoded with every length checked and the index validated, so
/// a damaged or foreign blob is an `EngineError`, never a bad memory read.
///
/// Index, little-endian:
///
///     "TOMEIDX" format:u8  params:u32 len + JSON  tokens:u64
///     units:u64 blocks:u64 sections:u64 common:u64 words:u64
///     unitStarts:i32[units] unitEnds:i32[units] unitKinds:u8[units] unitContinues:u8[units] unitPriors:u8[units]
///     blockFirstUnit:i32[blocks] sectionStarts:i32[sections] commonTerms:u64[common] words:u64[words]
///     model:u64 width:u32 codes:i8[units · width]        (format 4; format 3 ends before: no unit vectors)
///
/// Engram counts: "TOMEENG" 1:u8  slots:u64 orders:u64 totals:u64[orders] encoded bytes (to the end).
/// A summary: see `encode(_: DocumentSummary)`.
/// Extractions: see `encode(_: [Extraction])`.
public enum IndexArchive {
    static let indexMagic = Array("TOMEIDX".utf8)
    static let engramMagic = Array("TOMEENG".utf8)

    public static func encode(_ index: DocumentIndex) -> [UInt8] {
        var w = Writer()
        w.bytes(indexMagic)
        w.bytes([UInt8(DocumentIndex.format)])
        let parameters = (try? JSONEncoder().encode(index.parameters)).map { Array($0) } ?? []
        w.int(UInt32(parameters.count))
        w.bytes(parameters)
        w.int(UInt64(index.tokenCount))
        for n in [index.unitCount, index.blockCount, index.sectionStarts.count, index.signatures.commonTerms.count, index.signatures.words.count] {
            w.int(UInt64(n))
        }
        w.array(index.unitStarts)
        w.array(index.unitEnds)
        w.array(index.unitKinds)
        w.array(index.unitContinues)
        w.array(index.unitPriors)
        w.array(index.blockFirstUnit)
        w.array(index.sectionStarts)
        w.array(index.signatures.commonTerms)
        w.array(index.signatures.words)
        w.int(index.meanings.model)
        w.int(UInt32(index.meanings.width))
        w.array(index.meanings.codes)
        return w.out
    }

    /// Decodes and validates an index for a text of `textBytes` bytes.
    public static func decodeIndex(_ bytes: [UInt8], textBytes: Int) throws(EngineError) -> DocumentIndex {
        var r = Reader(bytes)
        guard try r.bytes(indexMagic.count) == indexMagic else { throw .damaged("not an index") }
        let format = Int(try r.bytes(1)[0])
        guard format == DocumentIndex.format || format == 3 else {
            throw EngineError(code: .outdated, message: "the index has format \(format); this engine reads format \(DocumentIndex.format)")
        }
        let parametersLength = Int(try r.int(UInt32.self))
        let parameters: EngineParameters
        do {
            parameters = try JSONDecoder().decode(EngineParameters.self, from: Data(try r.bytes(parametersLength)))
        } catch let error as EngineError {
            throw error
        } catch {
            throw .damaged("the index's parameters do not decode")
        }
        let tokens = try r.count()
        let units = try r.count(), blocks = try r.count(), sections = try r.count(), common = try r.count(), words = try r.count()
        var index = DocumentIndex(
            parameters: parameters, tokenCount: tokens,
            unitStarts: try r.array(Int32.self, units), unitEnds: try r.array(Int32.self, units),
            unitKinds: try r.array(UInt8.self, units), unitContinues: try r.array(UInt8.self, units), unitPriors: try r.array(UInt8.self, units),
            blockFirstUnit: try r.array(Int32.self, blocks), sectionStarts: try r.array(Int32.self, sections),
            signatures: BlockSignatures(blockCount: blocks, sharedRows: parameters.signatureRows, hashes: parameters.signatureHashes,
                                        commonTerms: try r.array(UInt64.self, common), words: try r.array(UInt64.self, words)))
        if format >= 4 {
            let model = try r.int(UInt64.self), width = Int(try r.int(UInt32.self))
            guard width <= 4096 else { throw .damaged("unit vectors \(width) wide") }
            index.meanings = UnitMeanings(model: model, width: width, codes: try r.array(Int8.self, units * width))
        }
        guard r.atEnd else { throw .damaged("bytes after the index") }
        try index.validate(textBytes: textBytes)
        return index
    }

    public static func encode(_ contribution: EngramContribution) -> [UInt8] {
        var w = Writer()
        w.bytes(engramMagic)
        w.bytes([1])
        w.int(UInt64(contribution.slotCount))
        w.int(UInt64(contribution.totals.count))
        w.array(contribution.totals)
        w.bytes(contribution.encoded)
        return w.out
    }

    /// Decodes Engram counts; their entries are checked when applied (`EngramContribution.decode`).
    public static func decodeEngram(_ bytes: [UInt8]) throws(EngineError) -> EngramContribution {
        var r = Reader(bytes)
        guard try r.bytes(engramMagic.count) == engramMagic, try r.bytes(1) == [1] else { throw .damaged("not Engram counts") }
        let slots = try r.int(UInt64.self)
        guard slots <= 1 << 32 else { throw .damaged("Engram counts for \(slots) slots") }
        let orders = try r.count()
        guard orders <= 8 else { throw .damaged("Engram counts with \(orders) orders") }
        let totals = try r.array(UInt64.self, orders)
        return EngramContribution(slotCount: Int(slots), encoded: try r.bytes(r.remaining), totals: totals)
    }

    static let summaryMagic = Array("TOMESUM".utf8)

    /// Summary: "TOMESUM" 1:u8  units:u64 sections:u64 units:i32[units]
    /// then per section heading:i32 count:u64 units:i32[count].
    public static func encode(_ summary: DocumentSummary) -> [UInt8] {
        var w = Writer()
        w.bytes(summaryMagic)
        w.bytes([1])
        w.int(UInt64(summary.units.count))
        w.int(UInt64(summary.sections.count))
        w.array(summary.units)
        for section in summary.sections {
            w.int(section.heading)
            w.int(UInt64(section.units.count))
            w.array(section.units)
        }
        return w.out
    }

    /// Decodes a summary of a document of `unitCount` units: every unit in
    /// range and ascending, or `EngineError.damaged`.
    public static func decodeSummary(_ bytes: [UInt8], unitCount: Int) throws(EngineError) -> DocumentSummary {
        var r = Reader(bytes)
        guard try r.bytes(summaryMagic.count) == summaryMagic, try r.bytes(1) == [1] else { throw .damaged("not a summary") }
        let unitTotal = try r.count(), sectionTotal = try r.count()
        func units(_ n: Int) throws(EngineError) -> [Int32] {
            let units = try r.array(Int32.self, n)
            guard units.allSatisfy({ $0 >= 0 && Int($0) < unitCount }), zip(units, units.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw .damaged("a summary unit out of range or out of order")
            }
            return units
        }
        let document = try units(unitTotal)
        var sections: [DocumentSummary.Section] = []
        for _ in 0..<sectionTotal {
            let heading = try r.int(Int32.self)
            guard heading >= 0, Int(heading) < unitCount else { throw .damaged("a section heading out of range") }
            sections.append(DocumentSummary.Section(heading: heading, units: try units(try r.count())))
        }
        guard r.atEnd else { throw .damaged("bytes after the summary") }
        return DocumentSummary(units: document, sections: sections)
    }

    static let extractionsMagic = Array("TOMEEXT".utf8)

    /// Extractions: "TOMEEXT" 1:u8  count:u64, then per extraction
    /// kind:u8 (its place in `ExtractionKind.allCases`) start:i32 end:i32
    /// count:i32 has:u8 (bit 0 number, 1 currency, 2 detail) [number:f64]
    /// then value, [currency], [detail] each as u32 length + UTF-8.
    public static func encode(_ extractions: [Extraction]) -> [UInt8] {
        var w = Writer()
        w.bytes(extractionsMagic)
        w.bytes([1])
        w.int(UInt64(extractions.count))
        func string(_ s: String) {
            let utf8 = Array(s.utf8)
            w.int(UInt32(utf8.count))
            w.bytes(utf8)
        }
        for e in extractions {
            w.bytes([UInt8(ExtractionKind.allCases.firstIndex(of: e.kind) ?? 0)])
            w.int(e.start)
            w.int(e.end)
            w.int(e.count)
            w.bytes([(e.number == nil ? 0 : 1) | (e.currency == nil ? 0 : 2) | (e.detail == nil ? 0 : 4)])
            if let n = e.number { w.int(n.bitPattern) }
            string(e.value)
            if let c = e.currency { string(c) }
            if let d = e.detail { string(d) }
        }
        return w.out
    }

    /// Decodes the extractions of a text of `textBytes` bytes: every kind
    /// known, every range inside the text, or `EngineError.damaged`.
    public static func decodeExtractions(_ bytes: [UInt8], textBytes: Int) throws(EngineError) -> [Extraction] {
        var r = Reader(bytes)
        guard try r.bytes(extractionsMagic.count) == extractionsMagic, try r.bytes(1) == [1] else { throw .damaged("not extractions") }
        let n = try r.count()
        func string() throws(EngineError) -> String {
            let length = Int(try r.int(UInt32.self))
            guard let s = String(validating: try r.bytes(length), as: UTF8.self) else { throw .damaged("an extraction's text is not UTF-8") }
            return s
        }
        var out: [Extraction] = []
        for _ in 0..<n {
            let kindIndex = Int(try r.bytes(1)[0])
            guard kindIndex < ExtractionKind.allCases.count else { throw .damaged("an extraction of an unknown kind") }
            let start = try r.int(Int32.self), end = try r.int(Int32.self), count = try r.int(Int32.self)
            guard start >= 0, start <= end, Int(end) <= textBytes, count >= 1 else { throw .damaged("an extraction's range is outside the text") }
            let has = try r.bytes(1)[0]
            let number = has & 1 == 0 ? nil : Double(bitPattern: try r.int(UInt64.self))
            let value = try string()
            let currency = has & 2 == 0 ? nil : try string()
            let detail = has & 4 == 0 ? nil : try string()
            out.append(Extraction(kind: ExtractionKind.allCases[kindIndex], start: start, end: end, value: value, number: number,
                                  currency: currency, detail: detail, count: count))
        }
        guard r.atEnd else { throw .damaged("bytes after the extractions") }
        return out
    }

    // MARK: Little-endian bytes

    /// Builds a byte record: integers little-endian, arrays as they lie in memory.
    public struct Writer {
        public private(set) var out: [UInt8] = []

        public init() {}

        public mutating func bytes(_ b: [UInt8]) { out += b }

        public mutating func int<T: FixedWidthInteger>(_ v: T) {
            withUnsafeBytes(of: v.littleEndian) { out += $0 }
        }

        /// The platforms Tome runs on are little-endian: arrays go out as they lie in memory.
        public mutating func array<T: BitwiseCopyable>(_ values: [T]) {
            values.withUnsafeBytes { out += $0 }
        }
    }

    /// Reads a byte record, every length checked against what is left.
    public struct Reader {
        let data: [UInt8]
        var position = 0

        public init(_ data: [UInt8]) { self.data = data }

        public var atEnd: Bool { position == data.count }
        public var remaining: Int { data.count - position }

        public mutating func bytes(_ n: Int) throws(EngineError) -> [UInt8] {
            guard n >= 0, n <= remaining else { throw .damaged("the bytes end early") }
            defer { position += n }
            return Array(data[position..<(position + n)])
        }

        /// Steps over `n` bytes without reading them.
        public mutating func skip(_ n: Int) throws(EngineError) {
            guard n >= 0, n <= remaining else { throw .damaged("the bytes end early") }
            position += n
        }

        public mutating func int<T: FixedWidthInteger>(_: T.Type) throws(EngineError) -> T {
            let raw = try bytes(MemoryLayout<T>.size)
            return T(littleEndian: raw.withUnsafeBytes { $0.loadUnaligned(as: T.self) })
        }

        /// A count, checked against the bytes left (so no huge allocation from a bad length).
        public mutating func count() throws(EngineError) -> Int {
            let n = try int(UInt64.self)
            guard n <= UInt64(data.count) else { throw .damaged("a length past the end") }
            return Int(n)
        }

        /// `n` values copied out (a blob need not be aligned for T).
        public mutating func array<T: BitwiseCopyable>(_: T.Type, _ n: Int) throws(EngineError) -> [T] {
            let size = MemoryLayout<T>.stride
            guard n <= remaining / size else { throw .damaged("an array past the end") }
            let start = position
            position += n * size
            return [T](unsafeUninitializedCapacity: n) { buffer, initialized in
                data.withUnsafeBytes { raw in
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[start..<(start + n * size)]))
                }
                initialized = n
            }
        }
    }
}
