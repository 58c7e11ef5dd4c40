import Foundation
import Testing

@testable import TomeEngine

/// The invariants of each mechanism, as properties over random inputs from a seeded generator.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct StableAttentionTests {
    static func twoPass(_ z: [Double]) -> [Double] {
        let m = z.max() ?? 0
        let e = z.map { exp($0 - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    @Test(arguments: [1, 2, 3, 4, 5])
    func streamingEqualsTwoPassInAnyChunkOrder(seed: UInt64) {
        var rng = SeededGenerator(state: seed)
        let z = (0..<500).map { _ in Double.random(in: -50...50, using: &rng) }
        let reference = Self.twoPass(z)
        // Chunks of random sizes, merged in a shuffled order.
        var chunks: [[Double]] = []
        var i = 0
        while i < z.count {
            let n = Int.random(in: 1...40, using: &rng)
            chunks.append(Array(z[i..<min(z.count, i + n)]))
            i += n
        }
        chunks.shuffle(using: &rng)
        var total = StreamingSoftmax()
        for chunk in chunks {
            var part = StreamingSoftmax()
            part.add(contentsOf: chunk)
            total.merge(part)
        }
        for (k, value) in z.enumerated() { #expect(abs(total.probability(value) - reference[k]) <= 1e-9) }
    }

    @Test func noNaNOrInfForExtremeFiniteLogits() {
        let z: [Double] = [1e300, -1e300, 0, 1e300, -5, 7e299, -Double.greatestFiniteMagnitude, Double.greatestFiniteMagnitude]
        for order in [z, z.reversed()] {
            var softmax = StreamingSoftmax()
            softmax.add(contentsOf: order)
            let p = order.map { softmax.probability($0) }
            #expect(p.allSatisfy { $0.isFinite && $0 >= 0 && $0 <= 1 })
            #expect(abs(p.reduce(0, +) - 1) <= 1e-9)
            #expect(softmax.logSumExp.isFinite)
        }
    }

    @Test func temperatureGrowsWithLength() {
        #expect(StreamingSoftmax.temperature(units: 1000, scale: 2) > StreamingSoftmax.temperature(units: 10, scale: 2))
        #expect(abs(StreamingSoftmax.temperature(units: 1000, scale: 2) - 2 * log(1000)) < 1e-12)
    }
}

@Suite struct SinkhornTests {
    @Test(arguments: [(3, 7, UInt64(1)), (5, 5, 2), (8, 3, 3), (16, 40, 4)])
    func rowsAndColumnsBalanceWithNonNegativeEntries(m: Int, n: Int, seed: UInt64) {
        var rng = SeededGenerator(state: seed)
        let logits = (0..<(m * n)).map { _ in Double.random(in: -2...2, using: &rng) }
        let result = Sinkhorn.balance(logits: logits, rows: m, columns: n)
        let p = result.matrix
        #expect(p.allSatisfy { $0 >= 0 && $0.isFinite })
        for i in 0..<m { #expect(abs((0..<n).reduce(0) { $0 + p[i * n + $1] } - 1) <= 1e-6) }
        for j in 0..<n { #expect(abs((0..<m).reduce(0) { $0 + p[$1 * n + j] } - Double(m) / Double(n)) <= 1e-6) }
        #expect(result.iterations <= 20)
    }

    @Test func squareResultHasSpectralNormAtMostOne() {
        var rng = SeededGenerator(state: 9)
        let n = 6
        let p = Sinkhorn.balance(logits: (0..<(n * n)).map { _ in Double.random(in: -3...3, using: &rng) }, rows: n, columns: n, iterations: 200).matrix
        // Power iteration on PᵀP gives the largest singular value squared.
        var v = [Double](repeating: 1 / Double(n).squareRoot(), count: n)
        var sigma = 0.0
        for _ in 0..<200 {
            let pv = (0..<n).map { i in (0..<n).reduce(0) { $0 + p[i * n + $1] * v[$1] } }
            let ptpv = (0..<n).map { j in (0..<n).reduce(0) { $0 + p[$1 * n + j] * pv[$1] } }
            let norm = ptpv.reduce(0) { $0 + $1 * $1 }.squareRoot()
            sigma = norm.squareRoot()
            v = ptpv.map { $0 / norm }
        }
        #expect(sigma <= 1 + 1e-6)
    }

    @Test func largeLogitsDoNotOverflow() {
        let result = Sinkhorn.balance(logits: [500, -500, 300, 800], rows: 2, columns: 2, iterations: 200)
        #expect(result.matrix.allSatisfy { $0.isFinite && $0 >= 0 })
    }
}

@Suite struct IndexerTests {
    @Test(arguments: [UInt64(1), 2, 3, 4])
    func heapTopKEqualsSortTopK(seed: UInt64) {
        var rng = SeededGenerator(state: seed)
        // Few distinct values, so ties are common and the tie rule is tested too.
        let scores = (0..<1000).map { _ in Double(Int.random(in: 0...50, using: &rng)) }
        for k in [1, 5, 32, 999, 1000, 2000] {
            var heap = BoundedHeap(capacity: k)
            for (i, s) in scores.enumerated() { heap.offer(score: s, id: i) }
            let bySort = scores.enumerated().sorted { ($0.element, -$0.offset) > ($1.element, -$1.offset) }.prefix(k).map(\.offset)
            #expect(heap.sortedDescending().map(\.id) == Array(bySort))
        }
    }

    /// The engine's one bisection finds what a scan from the end finds: the
    /// last position at most the value, repeats and edges included.
    @Test(arguments: [UInt64(1), 2, 3])
    func bisectionEqualsAScan(seed: UInt64) {
        var rng = SeededGenerator(state: seed)
        for count in [0, 1, 2, 7, 100] {
            let sorted = (0..<count).map { _ in Int.random(in: 0...20, using: &rng) }.sorted()
            for value in -1...21 {
                #expect(sorted.lastIndex(atMost: value) == sorted.lastIndex { $0 <= value }, "\(sorted) \(value)")
            }
        }
    }

    /// Blocks hold every term of their units: a signature never misses one.
    @Test(arguments: [UInt64(1), 2, 3])
    func signaturesHaveNoFalseNegatives(seed: UInt64) throws {
        var parameters = EngineParameters()
        parameters.signatureRows = 64  // a small table, so that collisions and common rows both happen
        parameters.commonTermDivisor = 8
        let text = Corpus.prose(tokens: 20_000, seed: seed)
        let index = try DocumentAnalyzer(parameters: parameters, workers: 2).analyze(text).index
        #expect(!index.signatures.commonTerms.isEmpty)
        let bytes = Array(text.utf8)
        var tokenizer = Tokenizer()
        bytes.withUnsafeBufferPointer { buffer in
            for b in 0..<index.blockCount {
                var tokens: [Token] = []
                for u in index.units(ofBlock: b) { tokenizer.tokenize(buffer, range: Int(index.unitStarts[u])..<Int(index.unitEnds[u]), into: &tokens) }
                for token in tokens where token.isContent {
                    var scores = [Double](repeating: 0, count: index.blockCount)
                    scores.withUnsafeMutableBufferPointer { index.signatures.accumulate(term: TermKey.term(token, in: buffer), weight: 1, into: $0) }
                    #expect(scores[b] == 1)
                }
            }
        }
    }

    /// No unit scores above its block's bound (prose without headings, so no
    /// credit crosses a block), on random questions over random prose; the
    /// only holder of a rare term no more than its block's raw bound, in a
    /// block selection reads first (`Attention.liftOnlyHolders`).
    /// Attention's own scores: the questions' phrases are cleared, since
    /// reordering scales the best candidates after the bound was checked
    /// (`Question.depth`).
    @Test(arguments: [UInt64(4), 5, 6])
    func theBoundHoldsForEveryUnit(seed: UInt64) throws {
        var rng = SeededGenerator(state: seed)
        let text = Corpus.prose(tokens: 30_000, seed: seed)
        let analysis = try DocumentAnalyzer(workers: 2).analyze(text)
        let index = analysis.index
        let document = TextDocument(index: index, text: Array(text.utf8))
        let words = text.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
        for _ in 0..<20 {
            let question = (0..<Int.random(in: 1...8, using: &rng)).map { _ in words.randomElement(using: &rng) ?? "" }.joined(separator: " ")
            var q = Asker.prepare(question, memory: nil)
            q.pairs = []
            let all = try Asker.ask(q, documents: [document], k: index.unitCount, dense: true)
            try IndexerTests.expectBounded(all.answers, q, index) { answer, bounds in
                let u = try #require(index.unitStarts.firstIndex(of: Int32(answer.start)))
                return bounds[try #require(index.blockFirstUnit.lastIndex { Int($0) <= u })]
            }
        }
    }
}

extension IndexerTests {
    /// Checks that every answer scores at most its block's bound (`bound`:
    /// the block's, or a crediting heading's), but a rare term's only holder
    /// (at most one per rare term), which scores at most its block's raw
    /// bound (without the factor) in a block the rare terms are read in.
    static func expectBounded(_ answers: [Answer], _ q: Question, _ index: DocumentIndex,
                              bound: (Answer, [Double]) throws -> Double) throws {
        let attention = Attention(question: q, documents: [index])
        let bounds = attention.bounds()[0], raw = attention.bounds(factors: false)[0]
        let rare = attention.rare
        var lifted = 0
        for answer in answers where try answer.similarity > bound(answer, bounds) {
            let u = try #require(index.unitStarts.firstIndex(of: Int32(answer.start)))
            let b = try #require(index.blockFirstUnit.lastIndex { Int($0) <= u })
            #expect(rare.blocks[0].contains(b) && answer.similarity <= raw[b], "\(q.text): unit \(u) scores \(answer.similarity) > bound \(bounds[b])")
            lifted += 1
        }
        #expect(lifted <= rare.positions.count, "\(q.text): \(lifted) answers above their bound")
    }

    /// With headings (which credit the prose under them) and outline sections
    /// (whose titles are context for every unit in them), no answer scores
    /// above the bound of its own block or of the block of the heading that
    /// credited it.
    @Test(arguments: [UInt64(7), 8])
    func theBoundHoldsWithHeadingsAndSections(seed: UInt64) throws {
        var rng = SeededGenerator(state: seed)
        var text = "", outline: [Int] = []
        for section in 0..<40 {
            let title = (0..<3).map { _ in Corpus.vocabulary.randomElement(using: &rng) ?? "x" }.joined(separator: " ").capitalized
            if section % 2 == 0 { outline.append(text.utf8.count) }
            text += "\(title)\n\n" + Corpus.prose(tokens: 400, seed: seed &* 100 &+ UInt64(section)) + "\n\n"
        }
        let index = try DocumentAnalyzer(workers: 2).analyze(text, outline: outline.map { OutlineItem(title: "", level: 1, offset: $0) }).index
        #expect(!index.sectionStarts.isEmpty)
        #expect(index.unitKinds.contains(UnitKind.heading.rawValue))
        let document = TextDocument(index: index, text: Array(text.utf8))
        let words = text.split(whereSeparator: { !$0.isLetter }).map(String.init)
        let blockOf = { (u: Int) in index.blockFirstUnit.lastIndex { Int($0) <= u } ?? 0 }
        for _ in 0..<20 {
            var q = Asker.prepare((0..<Int.random(in: 2...6, using: &rng)).map { _ in words.randomElement(using: &rng) ?? "" }.joined(separator: " "), memory: nil)
            q.pairs = []  // attention's own scores (see theBoundHoldsForEveryUnit)
            try IndexerTests.expectBounded(try Asker.ask(q, documents: [document], k: index.unitCount, dense: true).answers, q, index) { answer, bounds in
                let u = try #require(index.unitStarts.firstIndex(of: Int32(answer.start)))
                var bound = bounds[blockOf(u)]
                for h in 0..<u where index.kind(h) == .heading && index.proseUnder(heading: h) == u { bound = max(bound, bounds[blockOf(h)]) }
                return bound
            }
        }
    }
}

@Suite struct EngramTests {
    /// A small layout, so collisions happen.
    static let layout = EngramLayout(orders: 3, heads: 2, sizes: [[101, 103], [107, 109], [113, 127]])

    @Test func countMinNeverUnderCounts() throws {
        var rng = SeededGenerator(state: 7)
        let hasher = NgramHasher(layout: Self.layout)
        var counters = [UInt32](repeating: 0, count: EngramMemory.counterCount(Self.layout))
        var exactDF: [[UInt64]: Int] = [:], exactCF: [[UInt64]: Int] = [:]
        try counters.withUnsafeMutableBufferPointer { buffer in
            var memory = EngramMemory(hasher: hasher, counters: buffer, documents: 0, totals: [0, 0, 0])
            for _ in 0..<30 {
                let ids = (0..<200).map { _ in UInt64.random(in: 1...60, using: &rng) }
                try memory.apply(EngramContribution(runs: ids, boundaries: [ids.count], hasher: hasher), sign: 1)
                var seen = Set<[UInt64]>()
                for t in 0..<ids.count {
                    for order in 1...3 where t - order + 1 >= 0 {
                        let gram = Array(ids[(t - order + 1)...t])
                        exactCF[gram, default: 0] += 1
                        if seen.insert(gram).inserted { exactDF[gram, default: 0] += 1 }
                    }
                }
            }
            for (gram, cf) in exactCF {
                let estimate = memory.estimate(gram)
                #expect(Int(estimate.occurrences) >= cf)
                #expect(Int(estimate.documents) >= exactDF[gram] ?? 0)
            }
            #expect(memory.documents == 30)
        }
    }

    /// Add any set of documents, remove them in any order: every counter
    /// returns to zero, and after each removal no n-gram counts below the
    /// truth of the documents still in.
    @Test(arguments: [UInt64(11), 12, 13, 14])
    func removalsInAnyOrderReturnEveryTableToZero(seed: UInt64) throws {
        var rng = SeededGenerator(state: seed)
        let hasher = NgramHasher(layout: Self.layout)
        let documents = (0..<12).map { _ in
            let runs = (0..<Int.random(in: 1...5, using: &rng)).map { _ in (0..<Int.random(in: 1...60, using: &rng)).map { _ in UInt64.random(in: 1...40, using: &rng) } }
            return (ids: runs.flatMap { $0 }, boundaries: runs.reduce(into: [Int]()) { $0.append(($0.last ?? 0) + $1.count) })
        }
        let contributions = documents.map { EngramContribution(runs: $0.ids, boundaries: $0.boundaries, hasher: hasher) }
        var counters = [UInt32](repeating: 0, count: EngramMemory.counterCount(Self.layout))
        try counters.withUnsafeMutableBufferPointer { buffer in
            var memory = EngramMemory(hasher: hasher, counters: buffer, documents: 0, totals: [0, 0, 0])
            for c in contributions { try memory.apply(c, sign: 1) }
            var remaining = Set(documents.indices)
            for d in documents.indices.shuffled(using: &rng) {
                try memory.apply(contributions[d], sign: -1)
                remaining.remove(d)
                var truth: [[UInt64]: Int] = [:]
                for r in remaining {
                    var start = 0
                    for end in documents[r].boundaries {
                        let run = Array(documents[r].ids[start..<end])
                        for t in run.indices { for order in 1...3 where t - order + 1 >= 0 { truth[Array(run[(t - order + 1)...t]), default: 0] += 1 } }
                        start = end
                    }
                }
                for (gram, count) in truth { #expect(Int(memory.estimate(gram).occurrences) >= count) }
            }
            #expect(memory.documents == 0)
            #expect(memory.totals == [0, 0, 0])
        }
        #expect(counters.allSatisfy { $0 == 0 })
    }

    @Test func aContributionRoundTripsAndADamagedOneChangesNothing() throws {
        let hasher = NgramHasher(layout: Self.layout)
        let contribution = EngramContribution(runs: [1, 2, 3, 2, 3, 9, 9, 9], boundaries: [5, 8], hasher: hasher)
        let decoded = try IndexArchive.decodeEngram(IndexArchive.encode(contribution))
        #expect(decoded == contribution)
        var dense = [UInt32](repeating: 0, count: Self.layout.slotCount)
        try decoded.decode { dense[$0] = $1 }
        // Runs of 5 and 3 tokens: 8 unigrams, 6 bigrams and 4 trigrams, counted by each of 2 heads.
        let total: UInt32 = dense.reduce(0, +)
        #expect(total == 36)
        // An index past the tables: refused before any counter moves.
        let bad = EngramContribution(slotCount: Self.layout.slotCount, encoded: contribution.encoded + [0xFE, 0xFF, 0x7F], totals: contribution.totals)
        var counters = [UInt32](repeating: 0, count: EngramMemory.counterCount(Self.layout))
        counters.withUnsafeMutableBufferPointer { buffer in
            var memory = EngramMemory(hasher: hasher, counters: buffer, documents: 0, totals: [0, 0, 0])
            #expect(throws: EngineError.self) { try memory.apply(bad, sign: 1) }
            #expect(memory.documents == 0)
        }
        #expect(counters.allSatisfy { $0 == 0 })
    }

    @Test func tableSizesAreDistinctPrimes() {
        let sizes = EngramLayout.standard.sizes.joined()
        #expect(Set(sizes).count == sizes.count)
        for p in sizes { #expect((2...Int(Double(p).squareRoot())).allSatisfy { p % $0 != 0 }, "\(p)") }
    }

    @Test func rareNgramsAreMoreSalient() {
        #expect(Salience.value(df: 1, cf: 1, documents: 100, total: 1e6) > Salience.value(df: 90, cf: 50_000, documents: 100, total: 1e6))
    }
}
