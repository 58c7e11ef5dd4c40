import Dispatch

/// Runs the experts over a document: per block, the router's picks (or
/// every expert, `routed: false`) and the shared experts, blocks shared out
/// among workers and joined in block order; then what needs the whole
/// document — the day/month order of ambiguous dates, counting names,
/// ranking key phrases, the outline. The result is the same for any number
/// of workers, and routed or not.
public enum ExtractionRun {
    /// What a run did: expert calls on blocks, and how many the router skipped.
    public struct Work: Sendable, Equatable {
        public var calls = 0
        public var skipped = 0

        public init() {}
    }

    struct BlockFindings {
        var found: [Extraction] = []
        var names: [NameExpert.Occurrence] = []
        var phrases: [KeyPhraseExpert.Occurrence] = []
        var work = Work()
    }

    /// The extractions of an analysed document's text (its `tokens`, all of
    /// them, as `Tokenizer` makes them), routed or every expert on every
    /// block: what the analysis stores, for tests and benchmarks that run
    /// the experts apart from the rest of the analysis.
    public static func extract(bytes: UnsafeBufferPointer<UInt8>, tokens: [Token], index: DocumentIndex, outline: [OutlineItem] = [],
                               parameters: ExtractionParameters = ExtractionParameters(), workers: Int,
                               routed: Bool) -> (extractions: [Extraction], work: Work) {
        // Each unit's tokens: those whose start lies in its byte range (units and tokens are both in text order).
        var unitTokens: [Range<Int>] = []
        unitTokens.reserveCapacity(index.unitCount)
        var t = 0
        for u in 0..<index.unitCount {
            while t < tokens.count, tokens[t].start < index.unitStarts[u] { t += 1 }
            let first = t
            while t < tokens.count, tokens[t].start < index.unitEnds[u] { t += 1 }
            unitTokens.append(first..<t)
        }
        let text = ExpertText(bytes: bytes, tokens: tokens, unitTokens: unitTokens, unitKinds: index.unitKinds)
        return extract(text, index: index, outline: outline, parameters: parameters, workers: workers, routed: routed)
    }

    /// The extractions of a document, in kind order; within a kind in text
    /// order, but names and key phrases best first.
    static func extract(_ text: ExpertText, index: DocumentIndex, outline: [OutlineItem], parameters: ExtractionParameters,
                        workers: Int, routed: Bool = true) -> (extractions: [Extraction], work: Work) {
        // Names need the document's defined terms (a defined term is not a name): definitions run with them.
        let kinds = parameters.kinds.contains(.names) ? parameters.kinds.union([.definitions]) : parameters.kinds
        let glossary = glossaryUnits(text, index: index)
        let blocks = index.blockCount
        let common = kinds.contains(.names) ? commonWords(text, workers: workers) : []
        let chunks = max(1, min(workers, blocks))
        var results = [BlockFindings](repeating: BlockFindings(), count: chunks)
        results.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            nonisolated(unsafe) let text = text
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                var mine = BlockFindings()
                for b in (blocks * c / chunks)..<(blocks * (c + 1) / chunks) {
                    let units = index.units(ofBlock: b)
                    // A sentence longer than a block is cut into pieces, and a value at the cut ("12 March" | "2024")
                    // with it: the value experts read the piece on each side too, and keep what starts in the block.
                    // They read the unit after the block as well: a table cell a narrow column wraps ("2 700,00" | "€")
                    // is two units.
                    let pieces = index.piecesAround(units)
                    let reach = pieces.lowerBound..<min(pieces.upperBound + 1, index.unitCount)
                    let tokens = text.tokens(ofUnits: reach)
                    let own = text.bytes(ofUnits: units)
                    let features = routed ? ExpertRouter.features(text, units: reach, glossary: glossary) : []
                    var values: [Extraction] = []
                    for kind in ExpertRouter.routed where kinds.contains(kind) {
                        mine.work.calls += 1
                        guard !routed || ExpertRouter.mayFind(kind, features) else { mine.work.skipped += 1; continue }
                        switch kind {
                        case .dates: DateExpert.scan(text, tokens: tokens, into: &values)
                        case .amounts: MoneyExpert.scan(text, tokens: tokens, into: &values)
                        case .percentages: PercentageExpert.scan(text, tokens: tokens, into: &values)
                        case .emails: EmailExpert.scan(text, tokens: tokens, into: &values)
                        case .urls: URLExpert.scan(text, tokens: tokens, into: &values)
                        case .phones: PhoneExpert.scan(text, tokens: tokens, into: &values)
                        case .definitions: DefinitionExpert.scan(text, units: units, glossary: glossary, into: &mine.found)
                        case .names, .keyphrases, .outline: break
                        }
                    }
                    mine.found += values.filter { own.contains(Int($0.start)) }
                    if kinds.contains(.names) {
                        mine.work.calls += 1
                        NameExpert.scan(text, units: units, common: common, into: &mine.names)
                    }
                    if kinds.contains(.keyphrases) {
                        mine.work.calls += 1
                        KeyPhraseExpert.scan(text, units: units, into: &mine.phrases)
                    }
                }
                out[c] = mine
            }
        }
        var found: [Extraction] = [], names: [NameExpert.Occurrence] = [], phrases: [KeyPhraseExpert.Occurrence] = []
        var work = Work()
        for r in results {
            found += r.found
            names += r.names
            phrases += r.phrases
            work.calls += r.work.calls
            work.skipped += r.work.skipped
        }
        if kinds.contains(.dates) { DateExpert.resolve(&found, order: parameters.dateOrder) }
        if kinds.contains(.names) {
            found += NameExpert.aggregate(names, definedTerms: Set(found.filter { $0.kind == .definitions }.map { $0.value.lowercased() }))
            if !parameters.kinds.contains(.definitions) { found.removeAll { $0.kind == .definitions } }
        }
        if kinds.contains(.keyphrases) {
            found += KeyPhraseExpert.rank(phrases, stats: wordStats(text, index: index), blocks: blocks, tokens: index.tokenCount,
                                          limit: parameters.keyphrases, text: text)
        }
        if kinds.contains(.outline) {
            found += OutlineExpert.extract(text, outline: outline, unitStarts: index.unitStarts, unitEnds: index.unitEnds)
        }
        // Kind order; the sort is stable, so each kind keeps its own order.
        let rank = Dictionary(uniqueKeysWithValues: ExtractionKind.allCases.enumerated().map { ($1, $0) })
        return (found.enumerated().sorted { (rank[$0.element.kind] ?? 0, $0.offset) < (rank[$1.element.kind] ?? 0, $1.offset) }.map(\.element), work)
    }

    /// Units in a section whose heading or outline title says glossary, definitions or terminology.
    static func glossaryUnits(_ text: ExpertText, index: DocumentIndex) -> [Bool] {
        var titles: [Int32: Bool] = [:]
        func isGlossary(_ u: Int32) -> Bool {
            guard u >= 0 else { return false }
            if let known = titles[u] { return known }
            let answer = text.unitTokens[Int(u)].contains { DefinitionExpert.glossaryTitles.contains(text.tokens[$0].id) }
            titles[u] = answer
            return answer
        }
        return (0..<index.unitCount).map { isGlossary(index.unitHeadings[$0]) || isGlossary(index.unitSections[$0]) }
    }

    /// Ids of the words the document writes in lower case more often than capitalised.
    static func commonWords(_ text: ExpertText, workers: Int) -> Set<UInt64> {
        let n = text.tokens.count, chunks = max(1, min(workers, n / 65_536 + 1))
        var tallies = [[UInt64: Int]](repeating: [:], count: chunks)
        tallies.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            nonisolated(unsafe) let text = text
            DispatchQueue.concurrentPerform(iterations: chunks) { c in
                var tally: [UInt64: Int] = [:]
                for t in (n * c / chunks)..<(n * (c + 1) / chunks) where text.tokens[t].kind == .word {
                    tally[text.tokens[t].id, default: 0] += text.tokens[t].capitalized ? -1 : 1
                }
                out[c] = tally
            }
        }
        var total: [UInt64: Int] = [:]
        for tally in tallies { total.merge(tally, uniquingKeysWith: +) }
        return Set(total.filter { $0.value > 0 }.keys)
    }

    /// Each word stem's blocks and occurrences (the key phrases' salience).
    static func wordStats(_ text: ExpertText, index: DocumentIndex) -> [UInt64: (df: Int, cf: Int)] {
        var stats: [UInt64: (df: Int, cf: Int, block: Int)] = [:]
        for b in 0..<index.blockCount {
            for t in text.tokens(ofUnits: index.units(ofBlock: b)) where text.tokens[t].kind == .word {
                let stem = TermKey.term(text.tokens[t], in: text.bytes)
                var s = stats[stem] ?? (0, 0, -1)
                s.cf += 1
                if s.block != b { s.df += 1; s.block = b }
                stats[stem] = s
            }
        }
        return stats.mapValues { ($0.df, $0.cf) }
    }
}
