import Dispatch
import Foundation

/// text → tokens → sentences → units and blocks → Engram counts → unit
/// kinds and priors → block signatures → unit vectors (the semantic head,
/// when installed) → summaries → extractions.
///
/// Every step that runs on several workers cuts its input where the serial
/// algorithm would give the same answer, so the index is identical for any
/// number of workers:
/// - tokens: at an ASCII white-space byte preceded by an ASCII byte (no
///   token spans one, and the tokenizer's look-ahead stops there);
/// - sentences: between two tokens separated by a blank line or a form feed
///   (the splitter always ends a sentence there and starts afresh);
/// - units and blocks are packed serially, over the whole document;
/// - Engram counts: workers own disjoint tables; unit kinds, disjoint units;
///   signatures, disjoint 64-block groups.
public struct DocumentAnalyzer: Sendable {
    public var parameters: EngineParameters
    public var hasher: NgramHasher
    public var workers: Int
    /// The lengths of the summaries (the document's pipeline sets them).
    public var summary: SummaryParameters
    /// Which extraction experts run, and how (the document's pipeline sets it).
    public var extraction: ExtractionParameters
    /// The semantic head, when its model is installed: each unit then gets
    /// its vector (`UnitMeanings`); without it the index is lexical only.
    public var semantic: SemanticHead?

    /// The largest text the engine indexes: its byte offsets are Int32.
    public static let maxTextBytes = Int(Int32.max)

    public init(parameters: EngineParameters = EngineParameters(), hasher: NgramHasher = NgramHasher(),
                workers: Int = ProcessInfo.processInfo.activeProcessorCount, summary: SummaryParameters = SummaryParameters(),
                extraction: ExtractionParameters = ExtractionParameters(), semantic: SemanticHead? = nil) {
        self.parameters = parameters
        self.hasher = hasher
        self.workers = max(1, workers)
        self.summary = summary
        self.extraction = extraction
        self.semantic = semantic
    }

    /// `outline`: the document's outline entries (bookmarks, headings); each
    /// placed in the text (`offset`) starts a section.
    public func analyze(_ text: String, outline: [OutlineItem] = []) throws(EngineError) -> Analysis {
        var copy = text
        return try copy.withUTF8 { bytes in Result { () throws(EngineError) in try analyze(bytes: bytes, outline: outline) } }.get()
    }

    public func analyze(bytes: UnsafeBufferPointer<UInt8>, outline: [OutlineItem] = []) throws(EngineError) -> Analysis {
        guard bytes.count <= Self.maxTextBytes else {
            throw EngineError(code: .tooLarge, message: "the text has \(bytes.count) bytes; the engine indexes at most \(Self.maxTextBytes)")
        }
        let p = parameters, hasher = self.hasher
        let workers = bytes.count < 1 << 16 ? 1 : self.workers
        let tokens = Self.tokenize(bytes, workers: workers)
        let sentences = Self.split(bytes, tokens: tokens, workers: workers)
        let units = BlockPacker.limit(sentences, tokens: tokens, tokenOffset: 0, blockTokens: p.blockTokens)
        let blocks = BlockPacker.pack(units, blockTokens: p.blockTokens)
        let (ids, boundaries) = Self.contentRuns(units, tokens: tokens)
        let engram = Self.count(ids: ids, boundaries: boundaries, hasher: hasher, workers: workers)
        let terms = Self.termIDs(units, tokens: tokens, bytes: bytes, count: ids.count)

        // Kinds, each unit on its own; priors by the unit's kind and its whole
        // sentence's length (a sentence cut at block length is answered whole).
        var kinds = [UInt8](repeating: 0, count: units.count), contents = [Int32](repeating: 0, count: units.count)
        kinds.withUnsafeMutableBufferPointer { kindsOut in
            contents.withUnsafeMutableBufferPointer { contentsOut in
                nonisolated(unsafe) let kindsOut = kindsOut, contentsOut = contentsOut
                nonisolated(unsafe) let bytes = bytes
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    let range = (units.count * w / workers)..<(units.count * (w + 1) / workers)
                    for u in range {
                        let (kind, content) = UnitKind.classify(units[u], tokens: tokens, bytes: bytes)
                        kindsOut[u] = kind.rawValue
                        contentsOut[u] = Int32(content)
                    }
                }
            }
        }
        let continues: [UInt8] = units.map { $0.continuesSentence ? 1 : 0 }
        // A piece of a cut sentence is prose, however short its last line: no heading or list item starts inside a sentence.
        for u in units.indices where DocumentIndex.isPiece(u, continues: continues) {
            if kinds[u] == UnitKind.heading.rawValue || kinds[u] == UnitKind.listItem.rawValue { kinds[u] = UnitKind.prose.rawValue }
        }
        let priors = units.indices.map { u in
            let sentence = DocumentIndex.sentence(of: u, continues: continues)
            return UnitKind.prior(kind: UnitKind(rawValue: kinds[u]) ?? .prose, contentTokens: sentence.reduce(0) { $0 + Int(contents[$1]) },
                                  tokens: sentence.reduce(0) { $0 + Int(units[$1].tokenCount) }, parameters: p)
        }

        var index = DocumentIndex(
            parameters: p, tokenCount: tokens.count, unitStarts: units.map(\.start), unitEnds: units.map(\.end), unitKinds: kinds,
            unitContinues: continues, unitPriors: priors, blockFirstUnit: blocks.map(\.firstSentence), sectionStarts: Self.sectionStarts(outline.compactMap(\.offset), units: units),
            signatures: BlockSignatures(blockCount: 0, sharedRows: p.signatureRows, hashes: p.signatureHashes, commonTerms: [], words: []))

        // Signatures over the distinct terms of every unit in the context of a block's units.
        let frozen = index
        index.signatures = terms.withUnsafeBufferPointer { ids in
            nonisolated(unsafe) let ids = ids
            return BlockSignatures.build(blockCount: blocks.count, parameters: p, workers: workers) { b, keys in
                keys.removeAll(keepingCapacity: true)
                var seen = Set<Int>()
                for u in frozen.units(ofBlock: b) {
                    for (v, _) in frozen.context(of: u) where seen.insert(v).inserted {
                        for t in (v == 0 ? 0 : boundaries[v - 1])..<boundaries[v] { keys.append(ids[t]) }
                    }
                }
                keys.sortAndRemoveDuplicates()
            }
        }
        if let head = semantic {
            index.meanings = UnitMeanings(model: head.model, width: head.dimensions,
                                          codes: head.unitVectors(bytes, starts: index.unitStarts, ends: index.unitEnds, workers: workers))
        }
        let text = ExpertText(bytes: bytes, tokens: tokens, unitTokens: units.map { Int($0.firstToken)..<Int($0.firstToken + $0.tokenCount) },
                              unitKinds: kinds)
        let extractions = ExtractionRun.extract(text, index: index, outline: outline, parameters: extraction, workers: workers).extractions
        let covering = summary.sentences > 0
            ? Self.coveringUnits(summary.covers, index: index, terms: terms, bytes: bytes,
                                 names: DocumentNames(extractions.filter { $0.kind == .names }.map(\.value)))
            : []
        let summary = Summarizer.summarize(Summarizer.Input(index: index, terms: terms, termEnds: boundaries, unitTokens: units.map(\.tokenCount)),
                                           bytes: bytes, parameters: summary, covering: covering)
        return Analysis(index: index, engram: engram, summary: summary, extractions: extractions)
    }

    /// The units that answer `questions` (a pipeline's `summary_covers`):
    /// for each, the units of the sentence the engine ranks first for it
    /// (and of the definition it names its date by; and the two units a
    /// sentence ending in a colon introduces), when the answer is sure (`Answer.sure`: it holds the question's
    /// heaviest term and the kind of value asked for) — a lead is no summary.
    /// Asked of the document alone, without the corpus memory, so the same
    /// document has the same summary in any spool: a question word's
    /// salience is the document's own, ln(1 + (N + 1) / (cf + 1)) over its
    /// N content terms (`terms`), cf its occurrences ("the" weighs little,
    /// "governs" much; a word's aliases count as it), and 0 for a function
    /// word or a word the document does not hold: a question none of whose
    /// words the document holds covers nothing.
    static func coveringUnits(_ questions: [String], index: DocumentIndex, terms: [UInt64], bytes: UnsafeBufferPointer<UInt8>,
                              names: DocumentNames) -> [Int32] {
        guard !questions.isEmpty, index.unitCount > 0 else { return [] }
        let document = BorrowedText(index: index, bytes: bytes, names: names.isEmpty ? nil : names)
        let prepared = questions.map { Asker.prepare($0, memory: nil) }
        var occurrences = Dictionary(uniqueKeysWithValues: Set(prepared.flatMap { $0.terms + $0.aliases.map(\.term) }).map { ($0, 0) })
        for t in terms where occurrences[t] != nil { occurrences[t, default: 0] += 1 }
        var units: [Int32] = []
        for var question in prepared {
            // A word counts its aliases' occurrences too ("between" for "parties").
            question.salience = question.terms.enumerated().map { i, t in
                let cf = (occurrences[t] ?? 0) + question.aliases.filter { $0.position == i }.reduce(0) { $0 + (occurrences[$1.term] ?? 0) }
                // Function words say nothing of what a sentence is about: weight 0, like a word the document lacks.
                return cf == 0 || StopWords.stems.contains(t) ? 0 : log(1 + Double(terms.count + 1) / Double(cf + 1))
            }
            guard !question.isEmpty, !question.onlyCommonWords, question.salience.contains(where: { $0 > 0 }),
                  let first = (try? Asker.ask(question, documents: [document], k: 1, parameters: index.parameters))?.answers.first, first.sure
            else { continue }
            // The answer's sentence, each of its pieces; the sentence that defines the term it names its date by
            // ("the Effective Date"); and, after a sentence that ends in a colon ("by and between:"), the two
            // units it introduces, within the answer's passage.
            let sentence = Self.units(in: first.start..<first.end, of: index)
            var found = sentence
            if let definition = first.definition { found += Self.units(in: definition.start..<definition.end, of: index) }
            if let last = sentence.last, Self.endsWithColon(bytes, Int(index.unitStarts[Int(last)])..<Int(index.unitEnds[Int(last)])) {
                found += (Int(last) + 1..<min(Int(last) + 3, index.unitCount)).filter { Int(index.unitStarts[$0]) < first.contextEnd }.map { Int32($0) }
            }
            for u in found where !units.contains(u) { units.append(u) }
        }
        return units
    }

    /// The units that start within `range` (bytes), and the one it starts in.
    static func units(in range: Range<Int>, of index: DocumentIndex) -> [Int32] {
        guard let first = index.unitStarts.lastIndex(atMost: Int32(range.lowerBound)) else { return [] }
        var units: [Int32] = []
        var u = first
        while u < index.unitCount && (u == first || Int(index.unitStarts[u]) < range.upperBound) {
            units.append(Int32(u))
            u += 1
        }
        return units
    }

    /// Whether the text of `range` ends with ":" (white space after it aside).
    static func endsWithColon(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        var end = range.upperBound
        while end > range.lowerBound, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x0A || bytes[end - 1] == 0x0D || bytes[end - 1] == 0x09 { end -= 1 }
        return end > range.lowerBound && bytes[end - 1] == 0x3A
    }

    /// The document being analysed, asked in place (no copy of its text).
    private struct BorrowedText: AskableDocument {
        let index: DocumentIndex
        let bytes: UnsafeBufferPointer<UInt8>
        let names: DocumentNames?
        func withText<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) throws -> R { try body(bytes) }
    }

    // MARK: Steps

    /// Tokens of the whole text, in parallel chunks cut where no token can span.
    static func tokenize(_ bytes: UnsafeBufferPointer<UInt8>, workers: Int) -> [Token] {
        let ranges = chunkRanges(bytes, count: workers)
        var chunks = [[Token]](repeating: [], count: ranges.count)
        chunks.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            nonisolated(unsafe) let bytes = bytes
            DispatchQueue.concurrentPerform(iterations: ranges.count) { c in
                var tokenizer = Tokenizer()
                var tokens: [Token] = []
                tokens.reserveCapacity(ranges[c].count / 4)
                tokenizer.tokenize(bytes, range: ranges[c], into: &tokens)
                out[c] = tokens
            }
        }
        return chunks.count == 1 ? chunks[0] : Array(chunks.joined())
    }

    /// Sentences of all tokens, split in parallel between paragraphs.
    static func split(_ bytes: UnsafeBufferPointer<UInt8>, tokens: [Token], workers: Int) -> [Sentence] {
        let ranges = paragraphRanges(bytes, tokens: tokens, count: workers)
        var chunks = [[Sentence]](repeating: [], count: ranges.count)
        chunks.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            nonisolated(unsafe) let bytes = bytes
            DispatchQueue.concurrentPerform(iterations: ranges.count) { c in
                let slice = ranges.count == 1 ? tokens : Array(tokens[ranges[c]])
                out[c] = SentenceSplitter.split(bytes, tokens: slice, tokenOffset: ranges[c].lowerBound)
            }
        }
        return chunks.count == 1 ? chunks[0] : Array(chunks.joined())
    }

    /// Engram counts of the content runs, workers sharing out the tables of one buffer.
    static func count(ids: [UInt64], boundaries: [Int], hasher: NgramHasher, workers: Int) -> EngramContribution {
        let layout = hasher.layout
        var counts = [UInt32](repeating: 0, count: layout.slotCount)
        counts.withUnsafeMutableBufferPointer { counts in
            nonisolated(unsafe) let counts = counts
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                EngramContribution.count(runs: ids, boundaries: boundaries, hasher: hasher, into: counts) { order, head in
                    ((order - 1) * layout.heads + head) % workers == w
                }
            }
        }
        let totals = EngramContribution.ngramTotals(boundaries: boundaries, orders: layout.orders)
        return counts.withUnsafeBufferPointer { EngramContribution(counts: $0, totals: totals) }
    }

    /// Canonical ids of the content tokens of each unit, with the end of each unit's run.
    static func contentRuns(_ units: [Sentence], tokens: [Token]) -> ([UInt64], [Int]) {
        var ids: [UInt64] = []
        ids.reserveCapacity(tokens.count)
        var boundaries: [Int] = []
        boundaries.reserveCapacity(units.count)
        for unit in units {
            for t in Int(unit.firstToken)..<Int(unit.firstToken + unit.tokenCount) where tokens[t].isContent { ids.append(tokens[t].id) }
            boundaries.append(ids.count)
        }
        return (ids, boundaries)
    }

    /// The units holding the outline's title offsets, ascending and distinct.
    static func sectionStarts(_ outline: [Int], units: [Sentence]) -> [Int32] {
        var starts: [Int32] = []
        for offset in outline.sorted() {
            // The last unit starting at or before the offset.
            guard let low = units.lastIndex(atMost: offset, by: { Int($0.start) }) else { continue }
            if Int(units[low].end) > offset, starts.last.map({ $0 < Int32(low) }) ?? true { starts.append(Int32(low)) }
        }
        return starts
    }

    /// The term id (`TermKey.term`) of every content token, in the order of `contentRuns`.
    static func termIDs(_ units: [Sentence], tokens: [Token], bytes: UnsafeBufferPointer<UInt8>, count: Int) -> [UInt64] {
        var terms: [UInt64] = []
        terms.reserveCapacity(count)
        for unit in units {
            for t in Int(unit.firstToken)..<Int(unit.firstToken + unit.tokenCount) where tokens[t].isContent {
                terms.append(TermKey.term(tokens[t], in: bytes))
            }
        }
        return terms
    }

    // MARK: Cuts

    /// Byte ranges for up to `count` chunks, each cut at the first safe
    /// position at or after an even split point: an ASCII white-space byte
    /// whose previous byte is ASCII. A stretch with no such byte (a long line
    /// of CJK text) is not cut, so there may be fewer chunks.
    static func chunkRanges(_ bytes: UnsafeBufferPointer<UInt8>, count: Int) -> [Range<Int>] {
        guard count > 1, bytes.count > 0 else { return [0..<bytes.count] }
        var cuts = [0]
        for k in 1..<count {
            var i = max(bytes.count * k / count, cuts[cuts.count - 1] + 1)
            while i < bytes.count && !isSafeCut(bytes, i) { i += 1 }
            if i < bytes.count { cuts.append(i) }
        }
        cuts.append(bytes.count)
        return zip(cuts, cuts.dropFirst()).compactMap { $0 < $1 ? $0..<$1 : nil }
    }

    @inline(__always)
    static func isSafeCut(_ bytes: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool {
        let b = bytes[i]
        return i > 0 && bytes[i - 1] < 0x80 && (b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 || b == 0x0C || b == 0x0B)
    }

    /// Token ranges for up to `count` chunks, each starting at a token that
    /// follows a blank line or a form feed. Text without such breaks is one chunk.
    static func paragraphRanges(_ bytes: UnsafeBufferPointer<UInt8>, tokens: [Token], count: Int) -> [Range<Int>] {
        guard count > 1, tokens.count > 1 else { return [0..<tokens.count] }
        var cuts = [0]
        for k in 1..<count {
            var t = max(tokens.count * k / count, cuts[cuts.count - 1] + 1)
            while t < tokens.count && !startsParagraph(bytes, tokens, t) { t += 1 }
            if t < tokens.count { cuts.append(t) }
        }
        cuts.append(tokens.count)
        return zip(cuts, cuts.dropFirst()).compactMap { $0 < $1 ? $0..<$1 : nil }
    }

    static func startsParagraph(_ bytes: UnsafeBufferPointer<UInt8>, _ tokens: [Token], _ t: Int) -> Bool {
        let from = tokens[t - 1].end, to = tokens[t].start
        return SentenceSplitter.newlines(bytes, from: from, to: to) >= 2 || SentenceSplitter.containsFormFeed(bytes, from: from, to: to)
    }
}
