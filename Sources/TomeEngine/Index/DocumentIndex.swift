/// What the engine keeps of a document: its units (sentences, or pieces of
/// long ones) with their kind and prior, blocks of units, and the lightning
/// indexer's block signatures. Independent of every other document, and the
/// same bytes whatever machine or number of workers built it.
public struct DocumentIndex: Sendable, Equatable {
    /// Bumped whenever what is stored changes meaning; an index of another
    /// format is refused with `EngineError.Code.outdated` (reprocess it).
    /// 1: int8 hashed keys. 2: block signatures, unit kinds and priors.
    /// 3: which units continue a sentence cut into pieces. 4: the semantic
    /// head's unit vectors (a format-3 index is still read: it has none).
    public static let format = 4

    /// The most pieces a sentence may have and still be read, cited and
    /// answered as one (4 × 64 tokens: a long legal or technical sentence).
    /// A longer run without a sentence end — a table, a listing, text with no
    /// full stops — is no sentence a reader would take whole: each of its
    /// pieces stands alone, as every unit did before format 3.
    public static let maxSentencePieces = 4

    public var parameters: EngineParameters
    public var tokenCount: Int
    /// Units as UTF-8 byte ranges, in order.
    public var unitStarts: [Int32]
    public var unitEnds: [Int32]
    /// `UnitKind` raw values.
    public var unitKinds: [UInt8]
    /// 1 where the unit is a later piece of a sentence longer than a block
    /// (the sentence began in the unit before), else 0.
    public var unitContinues: [UInt8]
    /// Each unit's prior in 1/255 steps (see `UnitKind.prior`): attention
    /// multiplies its coverage by it, and the indexer's bound uses the largest.
    public var unitPriors: [UInt8]
    /// Block b holds units `blockFirstUnit[b] ..< blockFirstUnit[b + 1]` (the last runs to the end).
    public var blockFirstUnit: [Int32]
    /// The units holding the titles of the document's outline (PDF bookmarks,
    /// HTML and Markdown headings), ascending: each starts a section.
    public var sectionStarts: [Int32]
    public var signatures: BlockSignatures
    /// Each unit's vector from the semantic head, or none (`UnitMeanings.none`).
    public var meanings: UnitMeanings
    /// Per block, the most a unit scored from this block's terms can be
    /// multiplied by: its best prior, or a heading's credit to the prose under
    /// it. Derived from the stored arrays, not stored.
    public private(set) var blockFactors: [Double]
    /// Per unit, the nearest heading before it (-1 for none), and the title
    /// of its outline section (-1 for none). Derived, not stored.
    public private(set) var unitHeadings: [Int32]
    public private(set) var unitSections: [Int32]

    public init(parameters: EngineParameters, tokenCount: Int, unitStarts: [Int32], unitEnds: [Int32], unitKinds: [UInt8],
                unitContinues: [UInt8], unitPriors: [UInt8], blockFirstUnit: [Int32], sectionStarts: [Int32], signatures: BlockSignatures,
                meanings: UnitMeanings = .none) {
        self.parameters = parameters
        self.tokenCount = tokenCount
        self.unitStarts = unitStarts
        self.unitEnds = unitEnds
        self.unitKinds = unitKinds
        self.unitContinues = unitContinues
        self.unitPriors = unitPriors
        self.blockFirstUnit = blockFirstUnit
        self.sectionStarts = sectionStarts
        self.signatures = signatures
        self.meanings = meanings
        blockFactors = []
        unitHeadings = Self.headings(kinds: unitKinds)
        unitSections = Self.sections(starts: sectionStarts, units: unitStarts.count)
        blockFactors = (0..<blockCount).map(computeFactor)
    }

    public var unitCount: Int { unitStarts.count }
    public var blockCount: Int { blockFirstUnit.count }

    public func units(ofBlock b: Int) -> Range<Int> {
        Int(blockFirstUnit[b])..<(b + 1 < blockFirstUnit.count ? Int(blockFirstUnit[b + 1]) : unitCount)
    }

    /// The units of u's sentence: the pieces of a sentence cut at block
    /// length, when there are at most `maxSentencePieces` of them; else
    /// (and for every whole sentence) u alone. Safe on unvalidated arrays.
    public func sentence(of u: Int) -> ClosedRange<Int> { Self.sentence(of: u, continues: unitContinues) }

    /// `units` (a block's), with the piece before them when the first is
    /// the rest of a sentence cut at block length, and the piece after them
    /// when the sentence of the last goes on.
    public func piecesAround(_ units: Range<Int>) -> Range<Int> {
        guard !units.isEmpty else { return units }
        func continues(_ v: Int) -> Bool { v > 0 && v < unitContinues.count && unitContinues[v] != 0 }
        return (continues(units.lowerBound) ? units.lowerBound - 1 : units.lowerBound)..<(continues(units.upperBound) ? units.upperBound + 1 : units.upperBound)
    }

    /// Whether unit u is a piece of a sentence cut at block length (any
    /// piece, the first included), however many pieces the sentence has.
    public func isPiece(_ u: Int) -> Bool { Self.isPiece(u, continues: unitContinues) }

    static func isPiece(_ u: Int, continues flags: [UInt8]) -> Bool {
        u < flags.count && flags[u] != 0 || u + 1 < flags.count && flags[u + 1] != 0
    }

    static func sentence(of u: Int, continues flags: [UInt8]) -> ClosedRange<Int> {
        func continues(_ v: Int) -> Bool { v > 0 && v < flags.count && flags[v] != 0 }
        var first = u, last = u
        while continues(first), u - first < Self.maxSentencePieces { first -= 1 }
        while continues(last + 1), last - u < Self.maxSentencePieces { last += 1 }
        return last - first < Self.maxSentencePieces ? first...last : u...u
    }

    public func kind(_ u: Int) -> UnitKind { u < unitKinds.count ? UnitKind(rawValue: unitKinds[u]) ?? .prose : .prose }
    public func prior(_ u: Int) -> Double { u < unitPriors.count ? Double(unitPriors[u]) / 255 : 0 }

    /// The nearest heading before each unit (-1 for none).
    static func headings(kinds: [UInt8]) -> [Int32] {
        var last: Int32 = -1
        return kinds.indices.map { u in
            defer { if kinds[u] == UnitKind.heading.rawValue { last = Int32(u) } }
            return last
        }
    }

    /// The section title before each unit (not the title itself), -1 before the first.
    static func sections(starts: [Int32], units: Int) -> [Int32] {
        var out = [Int32](repeating: -1, count: units)
        for (i, start) in starts.enumerated() where start >= 0 && Int(start) < units {
            let end = i + 1 < starts.count ? min(units, Int(starts[i + 1])) : units
            for u in (Int(start) + 1)..<max(Int(start) + 1, end) { out[u] = start }
        }
        return out
    }

    /// The units whose terms count for unit u's coverage, with the level they
    /// count at: u itself and the other pieces of its sentence (1: a sentence
    /// cut at block length is still one sentence), the units before and after
    /// that sentence (`contextWeight`^distance), its heading and its outline
    /// section's title (`sectionWeight`). Attention
    /// scores with exactly these, and a block's signature holds the terms of
    /// every unit in the context of one of its units: that is the bound.
    public func context(of u: Int) -> [(unit: Int, level: Double)] {
        let sentence = self.sentence(of: u)
        var out = [(u, 1.0)]
        for v in sentence where v != u { out.append((v, 1.0)) }
        let lambda = parameters.contextWeight, mu = parameters.sectionWeight
        if lambda > 0 {
            var level = 1.0
            for distance in 1...max(1, parameters.contextUnits) {
                level *= lambda
                if sentence.lowerBound - distance >= 0 { out.append((sentence.lowerBound - distance, level)) }
                if sentence.upperBound + distance < unitCount { out.append((sentence.upperBound + distance, level)) }
            }
        }
        if mu > 0 {
            if u < unitHeadings.count, unitHeadings[u] >= 0 { out.append((Int(unitHeadings[u]), mu)) }
            if u < unitSections.count, unitSections[u] >= 0 { out.append((Int(unitSections[u]), mu)) }
        }
        return out
    }

    /// The unit a heading hands its score to: the first prose or list item
    /// after it within `UnitKind.sectionReach` units, before another heading.
    public func proseUnder(heading h: Int) -> Int? {
        var u = h + 1
        while u < unitCount && u <= h + UnitKind.sectionReach {
            switch kind(u) {
            case .heading: return nil
            case .prose, .listItem: return u
            case .contents: u += 1
            }
        }
        return nil
    }

    /// Safe on arrays not yet validated (a decoded index is validated after it is built).
    private func computeFactor(_ b: Int) -> Double {
        let n = unitCount
        let low = max(0, min(n, Int(blockFirstUnit[b])))
        let high = b + 1 < blockCount ? max(low, min(n, Int(blockFirstUnit[b + 1]))) : n
        var best = 0.0
        for u in low..<high {
            best = max(best, prior(u))
            if kind(u) == .heading, let p = proseUnder(heading: u) { best = max(best, parameters.headingCredit * prior(p)) }
        }
        return best
    }

    /// Bytes this index takes in memory (for caches bounded by size).
    public var byteSize: Int {
        unitCount * 19 + blockCount * 12 + sectionStarts.count * 4 + signatures.words.count * 8 + signatures.commonTerms.count * 8
            + meanings.codes.count
    }

    /// Checks that the arrays hold together and fit a text of `textBytes`
    /// bytes, before anything indexes into them. A stored index that fails
    /// is damaged: the fix is to reprocess the document.
    public func validate(textBytes: Int) throws(EngineError) {
        let p = parameters
        guard (1...255).contains(p.blockTokens), (1...(1 << 20)).contains(p.signatureRows), (1...8).contains(p.signatureHashes),
              p.topK >= 1, p.maxBlocks >= 1, p.commonTermDivisor >= 1, p.maxCommonTerms >= 0
        else { throw .damaged("parameters out of range") }
        let n = unitCount
        guard unitEnds.count == n, unitKinds.count == n, unitContinues.count == n, unitPriors.count == n else {
            throw .damaged("unit arrays of different lengths")
        }
        var previousEnd: Int32 = 0
        for u in 0..<n {
            guard unitStarts[u] >= previousEnd, unitEnds[u] > unitStarts[u], Int(unitEnds[u]) <= textBytes else {
                throw .damaged("unit \(u)'s byte range is out of order or past the text")
            }
            guard UnitKind(rawValue: unitKinds[u]) != nil else { throw .damaged("unit \(u) has an unknown kind") }
            guard unitContinues[u] <= (u == 0 ? 0 : 1) else { throw .damaged("unit \(u) continues no sentence") }
            previousEnd = unitEnds[u]
        }
        guard (n == 0) == blockFirstUnit.isEmpty, blockFirstUnit.first ?? 0 == 0 else { throw .damaged("blocks do not start at unit 0") }
        for b in 1..<max(1, blockFirstUnit.count) where !(blockFirstUnit[b] > blockFirstUnit[b - 1] && Int(blockFirstUnit[b]) < n) {
            throw .damaged("block \(b) does not follow the one before")
        }
        for i in sectionStarts.indices where sectionStarts[i] < 0 || Int(sectionStarts[i]) >= n || (i > 0 && sectionStarts[i] <= sectionStarts[i - 1]) {
            throw .damaged("section \(i) does not follow the one before or is past the units")
        }
        try signatures.validate(blocks: blockCount, parameters: p)
        guard meanings.isEmpty ? meanings.codes.isEmpty : (meanings.width <= 4096 && meanings.width % UnitMeanings.lanes == 0 && meanings.codes.count == n * meanings.width) else {
            throw .damaged("unit vectors that do not fit the units")
        }
    }

    /// FNV-1a 64 over every stored array, in a fixed order: equal digests
    /// mean equal indexes (golden tests, and 1 vs 8 workers).
    public var digest: UInt64 {
        var hash = CanonicalForm.offsetBasis
        func mix<T: BitwiseCopyable>(_ values: [T]) {
            values.withUnsafeBytes { raw in for b in raw { hash = (hash ^ UInt64(b)) &* CanonicalForm.prime } }
        }
        mix([Int64(tokenCount), Int64(unitCount), Int64(blockCount)])
        mix(unitStarts)
        mix(unitEnds)
        mix(unitKinds)
        mix(unitContinues)
        mix(unitPriors)
        mix(blockFirstUnit)
        mix(sectionStarts)
        mix(signatures.words)
        mix(signatures.commonTerms)
        if !meanings.isEmpty {
            mix([meanings.model, UInt64(meanings.width)])
            mix(meanings.codes)
        }
        return hash
    }
}

/// A document's analysis: its index, and its Engram counts for the corpus memory.
public struct Analysis: Sendable {
    public var index: DocumentIndex
    public var engram: EngramContribution
    public var summary: DocumentSummary
    public var extractions: [Extraction]

    public init(index: DocumentIndex, engram: EngramContribution, summary: DocumentSummary = DocumentSummary(units: [], sections: []),
                extractions: [Extraction] = []) {
        self.index = index
        self.engram = engram
        self.summary = summary
        self.extractions = extractions
    }
}
