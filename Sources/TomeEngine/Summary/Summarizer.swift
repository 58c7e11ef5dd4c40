import Foundation

/// A document's extractive summary: sentences (units) chosen from the
/// document, in document order, and one such summary per outline section of
/// a meaningful size.
public struct DocumentSummary: Sendable, Equatable {
    public struct Section: Sendable, Equatable {
        /// The unit holding the section's title.
        public var heading: Int32
        public var units: [Int32]

        public init(heading: Int32, units: [Int32]) {
            self.heading = heading
            self.units = units
        }
    }

    public var units: [Int32]
    public var sections: [Section]

    public init(units: [Int32], sections: [Section]) {
        self.units = units
        self.sections = sections
    }
}

/// How long summaries are and how they are chosen. Pipelines set the lengths.
public struct SummaryParameters: Sendable, Equatable, Codable {
    /// The most sentences a summary may have (pipelines and `tomed extract` check it).
    public static let maxSentences = 50

    /// Sentences in the document's summary, and in each section's.
    public var sentences = 5
    public var sectionSentences = 3
    /// A section gets a summary from this many tokens (about a page).
    public var sectionMinTokens = 300
    /// A candidate sentence's length in tokens.
    public var minTokens = 6
    public var maxTokens = 60
    /// Blocks each probe's indexer step keeps for attention to read. Tuned
    /// with `leadWeight` on the summary benchmark's tuning half: at lead 30,
    /// ROUGE-2 0.090 (8 blocks), 0.101 (16), 0.103 (24), 0.109 (32), 0.109
    /// (64); 32 taken (about two pages of candidates a probe).
    public var probeBlocks = 32
    /// Dimensions of the hashed tf·idf vectors, and k-means rounds.
    public var dims = 256
    public var rounds = 10
    /// Sinkhorn's iterations (it stops earlier once balanced within 1e-6).
    public var sinkhornIterations = 200
    /// What a sentence loses in a probe's logits when that probe's own
    /// blocks did not hold it (another probe's did).
    public var unselectedPenalty = 4.0
    /// How much earlier sentences are favoured: a sentence's weight is
    /// multiplied by e^(−leadWeight × position), position 0 at the start of
    /// the document or section and 1 at its end. Authors state their point
    /// early. Tuned with `probeBlocks` and `centralityExponent` on the
    /// summary benchmark's tuning half: with 16 blocks a probe ROUGE-2 was
    /// flat (0.090–0.094) over lead 12…24; with 32 blocks a probe it is
    /// 0.104, 0.107, 0.109, 0.106 at lead 16, 20, 30, 40: a probe that
    /// reads more blocks reaches the document's opening sentences, and a
    /// stronger lead weight then prefers them. 30 taken.
    public var leadWeight = 30.0
    /// How much a sentence near the centroid of the document (or section)
    /// is favoured: its weight is multiplied by cos(u, centroid)^γ. A
    /// sentence about what the whole document is about reads as a summary;
    /// on the tuning half ROUGE-2 went from 0.072 (γ = 0) to 0.089 (γ = 2)
    /// with the candidates of the time, and now sits at 0.090–0.094 for γ 2–4.
    public var centralityExponent = 4.0
    /// A concluding section (headed "Conclusions", "Summary", "Discussion",
    /// "Concluding remarks", …: `Summarizer.isConcludingHeading`, up to the
    /// next heading) restates the document's point, so the lead weight
    /// starts again there, at this share of the document's start: a
    /// sentence's lead factor is the larger of e^(−λ·pos) and
    /// w·e^(−λ·(pos − pos₀)), pos₀ the section's start (0: off). Edmundson's
    /// location method, which also weighed sentences under such headings. On
    /// the tuning half ROUGE-2 went from 0.088 (off) to 0.094, 0.095, 0.095,
    /// 0.094 for w = 1, 2, 3, 4 (Benchmarks/README.md).
    public var concludingWeight = 2.0
    /// A sentence that states what the document does ("In this paper we
    /// …", "This vignette describes …", "We propose …":
    /// `Summarizer.statesItsAim`) weighs this many times more (1: off).
    /// Edmundson's cue method. On the tuning half ROUGE-2 went from 0.0939
    /// (1) to 0.0959 (2 and 3) with the rules as they stand.
    public var aimWeight = 2.0
    /// Questions the document's summary must answer, when the document does
    /// (a pipeline's `summary_covers`: a contract's parties, money, term and
    /// law): for each, the sentence the engine ranks first for it joins the
    /// summary when the answer is sure (`Answer.sure`), before the probes
    /// choose the rest. Asked of the document alone.
    public var covers: [String] = []
    /// A sentence that shares this share of its distinct terms with one
    /// already in the summary (of the shorter of the two, at least four
    /// terms, function words aside) is a copy of it, passed over, as is one whose cosine with it is
    /// over 0.9: "Move the cursor to task-gnome-desktop and press Enter."
    /// beside the same with "press -" has a cosine under 0.9, the rare word
    /// that differs weighing most (Debian Reference, chapter 7). Above 1: off.
    public var copyTerms = 0.8

    public init() {}
}

/// Summaries the way DESIGN.md "Summaries" has them: probes over the
/// document's topics, the indexer's selection, stable attention, Sinkhorn.
///
/// 1. Vectors. A unit's terms (the stemmed content words the indexer uses)
///    weigh idf(t) = ln(1 + B / df(t)) (B blocks, df the blocks holding t),
///    hashed with a sign into D dimensions; a block's vector is the sum of
///    its units'. All are L2-normalised, so p·v is a cosine.
/// 2. Probes. Spherical k-means (k = L − 1, maximin seeding from the block
///    nearest the centroid, `summaryRounds` rounds) over the blocks that
///    hold a candidate sentence, plus the document centroid: L probes.
/// 3. Selection. Each probe's indexer step keeps its `probeBlocks` best
///    blocks by p·b; attention reads only their candidate sentences.
/// 4. Attention. z_pu = β(n)·(p·u), β(n) = c·ln n over the n sentences read
///    (the log-length temperature), minus `unselectedPenalty` where p's own
///    blocks did not hold u.
/// 5. Sinkhorn balances P = diag(a)·e^Z·diag(b): each probe spends unit
///    mass, each sentence is shared evenly (m/n), so no probe takes every
///    sentence and no sentence serves every probe. Its column scaling absorbs
///    whatever belongs to the sentence alone, so that comes after it:
///    q(u) = prior(u)·cos(u, centroid)^γ·e^(−λ·pos(u))·a(u), pos(u) ∈ [0, 1)
///    the sentence's place in the document or section, λ = `leadWeight`,
///    γ = `centralityExponent`, a(u) = `aimWeight` for a sentence that
///    states the document's aim (`statesItsAim`), else 1; in a concluding
///    section the lead starts again (`concludingWeight`).
/// 6. In turn, the (probe, sentence) with the largest P_pu·q(u) among free
///    probes and sentences is taken (a near copy of one taken is passed
///    over: cos > 0.9, or 80% of the shorter one's distinct terms shared). Document order. A pipeline's `covers` questions place
///    their sure answers first (`DocumentAnalyzer.coveringUnits`); the
///    probes choose the rest.
///
/// Candidates are prose a reader can use (SummaryCandidates.swift): a
/// whole sentence (a capital, digit or currency sign first, a stop last) of
/// `minTokens`…`maxTokens` tokens and at least four content words; not a
/// heading, list item or contents line, nor a heading run into a sentence;
/// not a line the document repeats (running heads and feet); mostly letters
/// (no tables of numbers); not code, a citation or a URL; not inside a
/// copyright or licence notice (`noticeUnits`); and no line of it
/// furniture or a command (`NonProseLines`: a running head or page number a
/// sentence runs over at a page break, a console session).
/// Deterministic: no randomness, ties broken by position.
public enum Summarizer {

    /// What `summarize` needs of an analysis.
    public struct Input {
        public var index: DocumentIndex
        /// Each unit's content terms: `terms[termEnds[u - 1] ..< termEnds[u]]`.
        public var terms: [UInt64]
        public var termEnds: [Int]
        public var unitTokens: [Int32]

        public init(index: DocumentIndex, terms: [UInt64], termEnds: [Int], unitTokens: [Int32]) {
            self.index = index
            self.terms = terms
            self.termEnds = termEnds
            self.unitTokens = unitTokens
        }
    }

    /// `covering`: units the document's summary holds whatever the probes
    /// choose (the answers to `SummaryParameters.covers`); it has at least
    /// `sentences` units, more when more are covering.
    public static func summarize(_ input: Input, bytes: UnsafeBufferPointer<UInt8>, parameters p: SummaryParameters = SummaryParameters(),
                                 covering: [Int32] = []) -> DocumentSummary {
        guard p.sentences > 0 || p.sectionSentences > 0 else { return DocumentSummary(units: [], sections: []) }
        let space = VectorSpace(input, dims: p.dims)
        let lines = NonProseLines(bytes)
        let candidates = candidateFlags(input, bytes: bytes, parameters: p, lines: lines)
        let all = 0..<Int32(input.index.unitCount)
        let concluding = p.concludingWeight > 0 ? concludingSections(input.index, bytes: bytes, lines: lines) : []
        let document = choose(in: all, sentences: p.sentences, parameters: p, input: input, space: space, candidates: candidates,
                              concluding: concluding, bytes: bytes, fixed: p.sentences > 0 ? covering : []).units
        var sections: [DocumentSummary.Section] = []
        let starts = sectionStarts(input, bytes: bytes, lines: lines)
        for (s, start) in starts.enumerated() {
            let end = s + 1 < starts.count ? starts[s + 1] : Int32(input.index.unitCount)
            let tokens = (start..<end).reduce(0) { $0 + Int(input.unitTokens[Int($1)]) }
            guard tokens >= p.sectionMinTokens else { continue }
            let units = choose(in: start..<end, sentences: p.sectionSentences, parameters: p, input: input, space: space,
                               candidates: candidates, concluding: concluding, bytes: bytes).units
            if !units.isEmpty { sections.append(DocumentSummary.Section(heading: start, units: units)) }
        }
        return DocumentSummary(units: document, sections: sections)
    }

    /// Where sections start: the outline's titles (PDF bookmarks, HTML and
    /// Markdown headings); without an outline, the headings the analysis
    /// detected, less those that are page furniture (`lines`: a running
    /// head such as the authors' names, repeated on every page, is no
    /// section) and those that cannot title one (a page number such as
    /// "iii": `OutlineExpert.namesASection`, the outline's own rule). A
    /// section shorter than `sectionMinTokens` gets no summary, so short
    /// lines taken for headings only leave their stretch out.
    static func sectionStarts(_ input: Input, bytes: UnsafeBufferPointer<UInt8>, lines: NonProseLines) -> [Int32] {
        let index = input.index
        guard index.sectionStarts.isEmpty else { return index.sectionStarts }
        return (0..<Int32(index.unitCount)).filter { u in
            let range = Int(index.unitStarts[Int(u)])..<Int(index.unitEnds[Int(u)])
            return index.unitKinds[Int(u)] == UnitKind.heading.rawValue && !lines.crosses(range)
                && OutlineExpert.namesASection(Asker.text(bytes, range.lowerBound, range.upperBound).trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// What one summary chose, and the balanced matrix it chose from.
    struct Choice {
        var units: [Int32]
        var balance: Sinkhorn.Result?
        var probes: Int
        var read: [Int32]
    }

    /// A sentence whose vector is this near (cosine) to one already in the summary is a copy of it, passed over.
    static let nearCopy: Float = 0.9

    /// Whether units `a` and `b` say the same thing: a cosine over `nearCopy`,
    /// or `copyTerms` of the shorter one's distinct terms (at least four,
    /// function words aside) shared.
    static func copies(_ a: Int32, _ b: Int32, input: Input, space: VectorSpace, share: Double = SummaryParameters().copyTerms) -> Bool {
        if a == b || space.dot(unit: Int(a), unit: Int(b)) > nearCopy { return true }
        // Function words left out: "The Buyer shall pay the Seller." is no copy of "The Seller shall pay the Buyer a fee."
        func terms(_ u: Int32) -> Set<UInt64> {
            Set(input.terms[(u == 0 ? 0 : input.termEnds[Int(u) - 1])..<input.termEnds[Int(u)]]).subtracting(StopWords.stems)
        }
        let (x, y) = (terms(a), terms(b))
        let shorter = min(x.count, y.count)
        return shorter >= 4 && Double(x.intersection(y).count) >= share * Double(shorter)
    }

    /// `sentences` units of `range` for one summary: the `fixed` ones (each
    /// unit once), then the probes' (none a near copy of one already in).
    static func choose(in range: Range<Int32>, sentences: Int, parameters p: SummaryParameters, input: Input, space: VectorSpace,
                       candidates: [Bool], concluding: [Range<Int32>] = [], bytes: UnsafeBufferPointer<UInt8>, fixed covering: [Int32] = []) -> Choice {
        let engine = input.index.parameters
        var fixed: [Int32] = []
        // Each once; never one dropped as a copy of another (two parties' paragraphs read much alike).
        for u in covering where range.contains(u) && !fixed.contains(u) {
            fixed.append(u)
        }
        let pool = range.filter { candidates[Int($0)] }
        guard sentences > fixed.count, !pool.isEmpty else { return Choice(units: fixed.sorted(), balance: nil, probes: 0, read: []) }
        // Blocks of the range that hold a candidate, with their candidates.
        var blocks: [(block: Int, units: [Int32])] = []
        for u in pool {
            let b = block(ofUnit: Int(u), in: input.index)
            if blocks.last?.block == b { blocks[blocks.count - 1].units.append(u) } else { blocks.append((b, [u])) }
        }
        let blockVectors = blocks.map { entry in space.normalised(entry.units.reduce(into: [Float](repeating: 0, count: space.dims)) { space.add(unit: Int($1), into: &$0) }) }
        let centroid = space.normalised(blockVectors.reduce(into: [Float](repeating: 0, count: space.dims)) { sum, v in for d in 0..<space.dims { sum[d] += v[d] } })
        let probes = kMeans(blockVectors, k: min(sentences - 1, blocks.count), centroid: centroid, rounds: p.rounds, space: space) + [centroid]

        // Each probe's blocks (the indexer's step), and the sentences attention reads.
        let perProbe = probes.map { probe -> [Int] in
            let scores = blockVectors.map { space.dot(probe, $0) }
            // The best `probeBlocks` by score, ties to the earlier block: one pass, a short sorted list.
            var best: [Int] = []
            for b in scores.indices {
                guard best.count < p.probeBlocks || scores[b] > scores[best[best.count - 1]] else { continue }
                var at = best.count
                while at > 0 && scores[best[at - 1]] < scores[b] { at -= 1 }
                best.insert(b, at: at)
                if best.count > p.probeBlocks { best.removeLast() }
            }
            return best
        }
        let read = Array(Set(perProbe.flatMap { $0.flatMap { blocks[$0].units } })).sorted()
        let (m, n) = (probes.count, read.count)
        let beta = engine.temperatureScale * log(Double(max(n, 2)))
        // Every probe scores every sentence read; those its own blocks did not
        // hold lose `unselectedPenalty`. (A structural zero instead would
        // leave Sinkhorn nothing to balance with, and it would not converge.)
        // Sinkhorn's column scaling absorbs any factor of the sentence alone
        // (its prior, its place), so those weigh the balanced shares after it:
        // the sentence a probe takes maximises P_pu · q(u), q(u) = prior(u) · cos(u, c)^γ · e^(−λ·pos(u)) · a(u).
        var logits = [Double](repeating: 0, count: m * n)
        for (i, probe) in probes.enumerated() {
            let own = Set(perProbe[i].flatMap { blocks[$0].units })
            for (j, u) in read.enumerated() {
                logits[i * n + j] = beta * Double(space.dot(probe, unit: Int(u))) - (own.contains(u) ? 0 : p.unselectedPenalty)
            }
        }
        let quality = read.map { u in
            let prior = max(Double(input.index.unitPriors[Int(u)]), 1) / 255
            let central = p.centralityExponent == 0 ? 1 : pow(max(0, Double(space.dot(centroid, unit: Int(u)))), p.centralityExponent)
            var lead = exp(-p.leadWeight * Double(u - range.lowerBound) / Double(max(1, range.count)))
            // In a concluding section of this range, the lead starts again at its heading.
            if p.concludingWeight > 0, let s = concluding.lastIndex(atMost: u, by: \.lowerBound), concluding[s].contains(u),
               concluding[s].lowerBound >= range.lowerBound {
                lead = max(lead, p.concludingWeight * exp(-p.leadWeight * Double(u - concluding[s].lowerBound) / Double(max(1, range.count))))
            }
            let aim = p.aimWeight != 1 && statesItsAim(bytes[Int(input.index.unitStarts[Int(u)])..<Int(input.index.unitEnds[Int(u)])]) ? p.aimWeight : 1
            return prior * central * lead * aim
        }
        let balance = Sinkhorn.balance(logits: logits, rows: m, columns: n, iterations: p.sinkhornIterations, epsilon: engine.sinkhornEpsilon)

        // Each probe takes its best free sentence, the most decided probe first;
        // a near copy of a sentence taken is passed over.
        var probeDone = [Bool](repeating: false, count: m), taken: [Int] = [], used = [Bool](repeating: false, count: n)
        while fixed.count + taken.count < sentences && used.contains(false) {
            if probeDone.allSatisfy({ $0 }) { probeDone = probeDone.map { _ in false } }  // fewer probes than sentences: go round again
            var best: (i: Int, j: Int, value: Double)? = nil
            for i in 0..<m where !probeDone[i] {
                for j in 0..<n where !used[j] {
                    let value = balance.matrix[i * n + j] * quality[j]
                    if value > (best?.value ?? -1) { best = (i, j, value) }
                }
            }
            guard let choice = best else { break }
            used[choice.j] = true
            let unit = read[choice.j]
            if !taken.contains(where: { copies(read[$0], unit, input: input, space: space, share: p.copyTerms) })
                && !fixed.contains(where: { copies($0, unit, input: input, space: space, share: p.copyTerms) }) {
                probeDone[choice.i] = true
                taken.append(choice.j)
            }
        }
        return Choice(units: (fixed + taken.map { read[$0] }).sorted(), balance: balance, probes: m, read: read)
    }

    /// The block holding unit `u`.
    static func block(ofUnit u: Int, in index: DocumentIndex) -> Int {
        index.blockFirstUnit.lastIndex(atMost: Int32(u)) ?? 0
    }

    /// Spherical k-means: maximin seeds (first the vector nearest `centroid`,
    /// then each the farthest from those taken), then `rounds` rounds of
    /// assigning each vector to its nearest centre and renormalising the sums.
    /// The centres, largest cluster first.
    static func kMeans(_ vectors: [[Float]], k: Int, centroid: [Float], rounds: Int, space: VectorSpace) -> [[Float]] {
        guard k > 0, !vectors.isEmpty else { return [] }
        var nearest = vectors.indices.map { space.dot(centroid, vectors[$0]) }
        var first = 0
        for i in vectors.indices where nearest[i] > nearest[first] { first = i }
        var centres = [vectors[first]]
        nearest = vectors.indices.map { space.dot(centres[0], vectors[$0]) }
        while centres.count < k {
            var far = 0
            for i in vectors.indices where nearest[i] < nearest[far] { far = i }
            centres.append(vectors[far])
            for i in vectors.indices { nearest[i] = max(nearest[i], space.dot(vectors[far], vectors[i])) }
        }
        var sizes = [Int](repeating: 0, count: k)
        for _ in 0..<max(1, rounds) {
            var sums = [[Float]](repeating: [Float](repeating: 0, count: space.dims), count: k)
            sizes = [Int](repeating: 0, count: k)
            for v in vectors {
                var best = 0, score = -Float.infinity
                for (c, centre) in centres.enumerated() {
                    let s = space.dot(centre, v)
                    if s > score { (best, score) = (c, s) }
                }
                sizes[best] += 1
                sums[best].withUnsafeMutableBufferPointer { sum in
                    v.withUnsafeBufferPointer { x in for d in 0..<min(sum.count, x.count) { sum[d] += x[d] } }
                }
            }
            for c in 0..<k where sizes[c] > 0 { centres[c] = space.normalised(sums[c]) }
        }
        return centres.indices.sorted { sizes[$0] != sizes[$1] ? sizes[$0] > sizes[$1] : $0 < $1 }.map { centres[$0] }
    }
}

/// Hashed tf·idf vectors of units (sparse) and probes (dense), for the summarizer.
struct VectorSpace {
    let dims: Int
    /// Per unit: the (dimension, weight) pairs of its normalised vector.
    private let units: [[(Int, Float)]]

    init(_ input: Summarizer.Input, dims: Int) {
        let index = input.index
        self.dims = max(16, dims)
        // df over blocks.
        var df: [UInt64: Int] = [:]
        var scratch: [UInt64] = []
        for b in 0..<index.blockCount {
            scratch.removeAll(keepingCapacity: true)
            for u in index.units(ofBlock: b) { scratch += input.terms[(u == 0 ? 0 : input.termEnds[u - 1])..<input.termEnds[u]] }
            scratch.sortAndRemoveDuplicates()
            for t in scratch { df[t, default: 0] += 1 }
        }
        let blocks = Double(max(1, index.blockCount)), dims = self.dims
        units = (0..<index.unitCount).map { u in
            var dense: [Int: Float] = [:]
            for t in input.terms[(u == 0 ? 0 : input.termEnds[u - 1])..<input.termEnds[u]] {
                let h = t &* 0x9E37_79B9_7F4A_7C15
                let weight = Float(log(1 + blocks / Double(df[t] ?? 1)))
                dense[Int(h >> 40) % dims, default: 0] += (h >> 39) & 1 == 0 ? weight : -weight
            }
            // In dimension order: a dictionary's order changes from run to run, and float sums with it.
            let pairs = dense.keys.sorted().compactMap { d in dense[d].map { (d, $0) } }
            let norm = pairs.reduce(0) { $0 + $1.1 * $1.1 }.squareRoot()
            return norm > 0 ? pairs.map { ($0.0, $0.1 / norm) } : []
        }
    }

    func add(unit u: Int, into vector: inout [Float]) {
        for (d, w) in units[u] { vector[d] += w }
    }

    func normalised(_ v: [Float]) -> [Float] {
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? v.map { $0 / norm } : v
    }

    func dot(_ a: [Float], _ b: [Float]) -> Float {
        // k-means spends its time here: no bounds checks, four running sums (in a fixed order, so deterministic).
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                var (s0, s1, s2, s3): (Float, Float, Float, Float) = (0, 0, 0, 0)
                var d = 0
                let n = min(x.count, y.count, dims)
                while d + 4 <= n {
                    s0 += x[d] * y[d]; s1 += x[d + 1] * y[d + 1]; s2 += x[d + 2] * y[d + 2]; s3 += x[d + 3] * y[d + 3]
                    d += 4
                }
                while d < n { s0 += x[d] * y[d]; d += 1 }
                return (s0 + s1) + (s2 + s3)
            }
        }
    }

    func dot(_ probe: [Float], unit u: Int) -> Float {
        units[u].reduce(0) { $0 + probe[$1.0] * $1.1 }
    }

    func dot(unit a: Int, unit b: Int) -> Float {
        var sum: Float = 0, j = 0
        let (x, y) = (units[a], units[b])
        for (d, w) in x {
            while j < y.count && y[j].0 < d { j += 1 }
            if j < y.count && y[j].0 == d { sum += w * y[j].1 }
        }
        return sum
    }
}
