import Foundation

/// The state of one ask: question terms and weights per document, and the
/// candidates attention has scored so far. It scores units by
/// score(u) = cov(u) · prior(u) (the formula and its parts are in `Asker`'s
/// doc comment), bounds each block's best score for the indexer, reorders
/// the plausible candidates, and picks the answers.
struct Attention {
    struct Candidate {
        var score: Double
        /// The heading whose credit gave the score, when it beat the unit's own.
        var heading: Int?
        /// The unit of the sentence that scored it (a sentence cut at block
        /// length is one candidate, scored by its best piece).
        var unit: Int
    }

    let question: Question
    let indexes: [DocumentIndex]
    /// Per document: each question term's weight w_t = salience^p, and their sum.
    let weights: [[Double]]
    let totals: [Double]
    /// term key → position in the question.
    let table: [UInt64: Int]
    /// (document, first unit of the sentence) → candidate: one per sentence.
    private(set) var candidates: [Int: Candidate] = [:]
    /// (document, first unit of the sentence) → its best unit's own score
    /// before the prior (cov + λ · sem⁺), and that unit.
    private var raws: [Int: (score: Double, unit: Int)] = [:]
    /// The candidates a rare term lifts (`liftOnlyHolders`): the sentence's
    /// raw score in place of its prior-scaled one, when higher.
    private var lifted: [Int: Candidate] = [:]
    /// The question's rare terms and their blocks (`rareTerms`), found once;
    /// without any, no raw score is kept.
    private(set) var rare: (positions: [Int], blocks: [[Int]]) = ([], [])
    private var attendedUnits = Set<Int>()
    var attended: Int { attendedUnits.count }
    private var tokenizer = Tokenizer()
    private var tokens: [Token] = []
    /// Scratch: per question term, the level it counts at in the unit being scored.
    private var levels: [Double]
    private var matchCache: [Int: [Int32]] = [:]
    /// Per document, sem⁺ of each unit (`SemanticHead`), or empty when the
    /// question or the index has no vectors of one model: lexical only.
    let meanings: [[Float]]
    /// Per document, λ (its index's `meaningWeight`), read once.
    let meaningWeights: [Double]
    /// Whether meaning scored any document asked.
    var usesMeaning: Bool { meanings.contains { !$0.isEmpty } }

    init(question: Question, documents: [DocumentIndex]) {
        self.question = question
        indexes = documents
        weights = documents.map { index in
            zip(question.salience, question.keys).map { pow($0, index.parameters.salienceExponent) * ($1 ? index.parameters.keyTermWeight : 1) }
        }
        totals = weights.map { $0.reduce(0, +) }
        var table: [UInt64: Int] = [:]
        for (i, t) in question.terms.enumerated() { table[t] = i }
        for alias in question.aliases where table[alias.term] == nil { table[alias.term] = alias.position }
        self.table = table
        levels = [Double](repeating: 0, count: question.terms.count)
        meaningWeights = documents.map(\.parameters.meaningWeight)
        meanings = documents.map { index in
            guard let q = question.meaning, !index.meanings.isEmpty, index.meanings.model == question.meaningModel,
                  index.meanings.width == q.count, index.parameters.meaningWeight > 0 else { return [] }
            return index.meanings.scores(q, floor: index.parameters.meaningFloor, span: index.parameters.meaningSpan)
        }
        rare = rareTerms(limit: Asker.rareTermBlocks)
    }

    /// A unit's coverage and its meaning score as one: their sum.
    @inline(__always)
    static func combine(_ coverage: Double, _ meaning: Double) -> Double { coverage + meaning }

    /// λ · sem⁺(u): what meaning adds to unit u's coverage.
    @inline(__always)
    func meaning(_ d: Int, _ u: Int) -> Double {
        meanings[d].isEmpty ? 0 : meaningWeights[d] * Double(meanings[d][u])
    }

    static func key(_ d: Int, _ u: Int) -> Int { d << 32 | u }

    /// Every block's bound, per document: (I(q, s) + λ · max sem⁺ of its
    /// units) · factor(s), which no unit of s can beat, since its score is
    /// (cov + λ · sem⁺) · prior with each part at most the block's; without
    /// `factors`, the bound of a unit's raw score (a rare term's only
    /// holder: `liftOnlyHolders`).
    func bounds(factors: Bool = true) -> [[Double]] {
        indexes.enumerated().map { d, index in
            var scores = [Double](repeating: 0, count: index.blockCount)
            if totals[d] > 0 {
                scores.withUnsafeMutableBufferPointer { out in
                    for (i, term) in question.terms.enumerated() where weights[d][i] > 0 {
                        index.signatures.accumulate(term: term, weight: weights[d][i], into: out)
                    }
                    // An alias adds its term's weight again: a block holding both is over-bounded, never under.
                    for alias in question.aliases where weights[d][alias.position] > 0 {
                        index.signatures.accumulate(term: alias.term, weight: weights[d][alias.position], into: out)
                    }
                }
                // With aliases the bound sums its weights in another order than a unit's coverage does:
                // a hair of slack keeps the last bit of rounding from putting it under a tied score.
                let slack = question.aliases.isEmpty ? 1 : 1 + 1e-12
                for b in scores.indices { scores[b] = scores[b] / totals[d] * slack }
            }
            if !meanings[d].isEmpty {
                let weight = meaningWeights[d]
                meanings[d].withUnsafeBufferPointer { sem in
                    for b in scores.indices {
                        var best: Float = 0
                        for u in index.units(ofBlock: b) { best = max(best, sem[u]) }
                        if best > 0 { scores[b] = Self.combine(scores[b], weight * Double(best)) }
                    }
                }
            }
            if factors { for b in scores.indices { scores[b] *= index.blockFactors[b] } }
            return scores
        }
    }

    /// Scores every unit of the given blocks (and the prose a matching heading
    /// credits, when its block is not read), each unit once.
    mutating func read<D: AskableDocument>(_ blocks: [[Int]], of documents: [D]) throws {
        for d in documents.indices where !blocks[d].isEmpty {
            try documents[d].withText { bytes in
                var credited: [Int] = [], none: [Int] = []
                for b in blocks[d] {
                    for u in indexes[d].units(ofBlock: b) { attend(d, u, bytes: bytes, credited: &credited) }
                }
                // The credited prose outside the blocks read: its own score too, so it ranks as in dense mode.
                for p in credited { attend(d, p, bytes: bytes, credited: &none) }
            }
        }
    }

    private mutating func attend(_ d: Int, _ u: Int, bytes: UnsafeBufferPointer<UInt8>, credited: inout [Int]) {
        guard attendedUnits.insert(Self.key(d, u)).inserted else { return }
        let index = indexes[d]
        let cov = coverage(d, u, bytes: bytes), meant = meaning(d, u)
        guard cov > 0 || meant > 0 else { return }
        let raw = Self.combine(cov, meant)
        offer(d, u, score: raw * index.prior(u), heading: nil)
        if !rare.positions.isEmpty, index.prior(u) > 0, case let sentence = Self.key(d, index.sentence(of: u).lowerBound),
           raws[sentence].map({ ($0.score, -$0.unit) < (raw, -u) }) ?? true {
            raws[sentence] = (raw, u)
        }
        // A heading credits the prose under it with its words only (the indexer bounds the credit by them).
        if cov > 0, index.kind(u) == .heading, let p = index.proseUnder(heading: u) {
            // cov · (credit · prior): the bound's factor is credit · prior, multiplied in the same order.
            offer(d, p, score: cov * (index.parameters.headingCredit * index.prior(p)), heading: u)
            credited.append(p)
        }
    }

    /// The question's rare terms: those the signatures put in the fewest
    /// blocks of all the documents asked, when that is at most `limit` (and
    /// at least one), and that have no aliases; their positions and those
    /// blocks, per document.
    /// Selection reads them first, so that every sentence holding one is
    /// attended, in sparse mode as in dense. (By blocks, not by Engram
    /// salience: salience is the surface word's, and "number" that no
    /// document writes so, only "numbers", would look rarer than a name.)
    func rareTerms(limit: Int) -> (positions: [Int], blocks: [[Int]]) {
        var positions: [Int] = [], fewest = limit + 1
        var blocks: [[Int]] = Array(repeating: [], count: indexes.count)
        // A term with aliases ("start": "begin", "commence") is held by sentences its own blocks do not list: never rare.
        terms: for (i, term) in question.terms.enumerated()
        where weights.contains(where: { $0[i] > 0 }) && !question.aliases.contains(where: { $0.position == i }) {
            var found: [[Int]] = []
            var count = 0
            for index in indexes {
                guard let held = index.signatures.blocks(holding: term, limit: min(limit, fewest) - count) else { continue terms }
                found.append(held)
                count += held.count
            }
            guard count > 0 else { continue }
            if count < fewest {
                fewest = count
                positions = []
                blocks = Array(repeating: [], count: indexes.count)
            }
            positions.append(i)
            for d in found.indices { blocks[d] = Array(Set(blocks[d]).union(found[d])).sorted() }
        }
        return (positions, blocks)
    }

    /// The rare term (`rareTerms`), when one sentence alone holds it in all the
    /// documents asked, is no reason to rank that sentence below one lacking
    /// the term because of its kind: its score becomes its raw score
    /// (cov + λ · sem⁺, its whole prior — kind, share of content words,
    /// length — taken as 1), so it ranks above every candidate lacking the
    /// term whose raw score is no higher (their score is raw · prior ≤ raw;
    /// a heading's credit, cov(h) · credit · prior(p), is at most cov(h),
    /// the heading's raw score). A contents line holding "Windhoek", the
    /// question's rarest word, is no longer outranked by another document's
    /// prose that says everything but. A heading is left to its credit (the
    /// prose under it is the answer). Every block the rare term may be in has
    /// been read (`rareTerms`), so the holders are the same in sparse and
    /// dense mode, and the lifted score is at most its block's bound before
    /// the factor: selection reads those blocks whatever their bound.
    mutating func liftOnlyHolders() {
        for i in rare.positions {
            var holder: Int?
            var unique = true
            for (key, found) in matchCache where found.contains(Int32(i)) {
                let d = key >> 32, u = key & 0xFFFF_FFFF
                let sentence = Self.key(d, indexes[d].sentence(of: u).lowerBound)
                if indexes[d].kind(u) == .heading || holder.map({ $0 != sentence }) ?? false { unique = false; break }
                holder = sentence
            }
            guard unique, let sentence = holder, let raw = raws[sentence] else { continue }
            if lifted[sentence].map({ $0.score < raw.score }) ?? true {
                lifted[sentence] = Candidate(score: raw.score, heading: nil, unit: raw.unit)
            }
        }
    }

    /// Every candidate with its score as ranked: lifted when a rare term
    /// lifted it above its own (`liftOnlyHolders`).
    var ranked: [Int: Candidate] {
        guard !lifted.isEmpty else { return candidates }
        var all = candidates
        for (key, c) in lifted where c.score > all[key]?.score ?? 0 { all[key] = c }
        return all
    }

    /// The factor that reorders unit u: its sentence's phrases
    /// (`PhraseMatch.factor`), times the question's lift when the sentence
    /// holds the kind of value the question asks for.
    func reorderFactor(_ d: Int, _ u: Int, bytes: UnsafeBufferPointer<UInt8>, names: DocumentNames?) -> Double {
        guard question.lifts || !question.pairs.isEmpty else { return 1 }
        let index = indexes[d]
        var tokenizer = Tokenizer()
        var tokens: [Token] = []
        let sentence = index.sentence(of: u)
        tokenizer.tokenize(bytes, range: Int(index.unitStarts[sentence.lowerBound])..<Int(index.unitEnds[sentence.upperBound]), into: &tokens)
        var factor = PhraseMatch.factor(question.pairs, tokens: tokens, bytes: bytes)
        if question.lifts, let kind = question.answerKind, AnswerExpert.holds(kind, tokens: tokens, unitKind: index.unitKinds[u], bytes: bytes, names: names) {
            factor *= question.lift
        }
        return factor
    }

    /// Keeps, for each sentence, the best of its units' own scores and the
    /// credits they get; on a tie a unit's own score, then the earliest
    /// heading's, then the earliest unit (so the order units are read in
    /// does not matter).
    private mutating func offer(_ d: Int, _ u: Int, score: Double, heading: Int?) {
        guard score > 0 else { return }
        let key = Self.key(d, indexes[d].sentence(of: u).lowerBound)
        if let c = candidates[key] {
            if c.score > score { return }
            if c.score == score && (c.heading ?? -1, c.unit) <= (heading ?? -1, u) { return }
        }
        candidates[key] = Candidate(score: score, heading: heading, unit: u)
    }

    /// cov(u): for each question term, its weight times the highest level at
    /// which a unit of u's context (`DocumentIndex.context`) holds it, summed
    /// in question order (as the indexer's bound is), over their total.
    private mutating func coverage(_ d: Int, _ u: Int, bytes: UnsafeBufferPointer<UInt8>) -> Double {
        let index = indexes[d]
        guard totals[d] > 0 else { return 0 }
        var any = false
        for (v, level) in index.context(of: u) {
            for i in matches(d, v, bytes: bytes) {
                levels[Int(i)] = max(levels[Int(i)], level)
                any = true
            }
        }
        guard any else { return 0 }
        var sum = 0.0
        for i in levels.indices where levels[i] > 0 {
            sum += levels[i] * weights[d][i]
            levels[i] = 0
        }
        return sum / totals[d]
    }

    /// The positions of the question's terms that unit u holds, ascending (each unit tokenized once).
    private mutating func matches(_ d: Int, _ u: Int, bytes: UnsafeBufferPointer<UInt8>) -> [Int32] {
        let key = Self.key(d, u)
        if let known = matchCache[key] { return known }
        let index = indexes[d]
        tokens.removeAll(keepingCapacity: true)
        tokenizer.tokenize(bytes, range: Int(index.unitStarts[u])..<Int(index.unitEnds[u]), into: &tokens)
        var found: [Int32] = []
        for token in tokens where token.isContent {
            if let i = table[TermKey.term(token, in: bytes)] { found.append(Int32(i)) }
        }
        found.sortAndRemoveDuplicates()
        matchCache[key] = found
        return found
    }

    /// The least score an unread unit needs to become an answer: the k-th
    /// best so far (0 while there are fewer), and within `reach` of the best.
    func threshold(_ k: Int, reach: Double) -> Double {
        var heap = BoundedHeap(capacity: k)
        var best = 0.0
        for (key, c) in ranked {
            heap.offer(score: c.score, id: key)
            best = max(best, c.score)
        }
        return max(heap.floor?.score ?? 0, best - reach)
    }

    /// The best k candidates within `reach` of the best, best first (ties:
    /// document, then unit, in order). When they are reordered, the best
    /// `depth` within reach are reordered by score · `reorderFactor` first.
    ///
    /// An answer's `score` is its share of attention with the reordered
    /// scores in place of the raw ones (the softmax's sum corrected for
    /// them), so the scores fall in the order the answers are ranked.
    func answers<D: AskableDocument>(k: Int, depth: Int, reach: Double, documents: [D], beta: Double) throws -> [Answer] {
        var softmax = StreamingSoftmax()
        var heap = BoundedHeap(capacity: depth)
        let candidates = ranked
        // In key order: the softmax sums them, and a sum's last bits depend on its order.
        for (key, c) in candidates.sorted(by: { $0.key < $1.key }) {
            softmax.add(beta * c.score)
            heap.offer(score: c.score, id: key)
        }
        let best = heap.sortedDescending().first?.score ?? 0
        var pool = heap.sortedDescending().filter { $0.score >= best - reach }.map { (score: $0.score, id: $0.id, raw: $0.score) }
        if depth > k {
            let lifted = try pool.map { item in
                let d = item.id >> 32, u = candidates[item.id]?.unit ?? item.id & 0xFFFF_FFFF
                return (score: item.score * (try documents[d].withText { reorderFactor(d, u, bytes: $0, names: documents[d].names) }), id: item.id, raw: item.raw)
            }
            // Stable: equal lifted scores keep attention's order.
            pool = lifted.enumerated().sorted { ($0.element.score, -$0.offset) > ($1.element.score, -$1.offset) }.map(\.element)
        }
        // ln Σ e^z with the pool's reordered scores in place of their raw ones.
        let logSum = softmax.logSumExp
        let correction = pool.reduce(0.0) { $0 + exp(beta * $1.score - logSum) - exp(beta * $1.raw - logSum) }
        let logTotal = logSum + log(max(1 + correction, .leastNormalMagnitude))
        return try pool.prefix(k).map { item in
            let d = item.id >> 32, u = candidates[item.id]?.unit ?? item.id & 0xFFFF_FFFF
            let index = indexes[d]
            let heading = candidates[item.id]?.heading
            return try documents[d].withText { bytes in
                let sentence = index.sentence(of: u)
                let (first, last) = Self.passage(of: sentence, heading: heading, index: index,
                                                 longer: question.answerKind == .parties ? AnswerExpert.partiesPassage : 1)
                let start = Int(index.unitStarts[sentence.lowerBound]), end = Int(index.unitEnds[sentence.upperBound])
                let from = Int(index.unitStarts[first]), to = Int(index.unitEnds[last])
                // A date the sentence names by a defined term ("on the Effective Date"): where the document defines it.
                let definition = question.answerKind == .date ? DefinedTerms.dateDefinition(sentence: sentence, bytes: bytes, index: index) : nil
                return Answer(document: d, text: Asker.text(bytes, start, end), context: Asker.text(bytes, from, to),
                              score: exp(beta * item.score - logTotal), similarity: item.score,
                              start: start, end: end, contextStart: from, contextEnd: to,
                              sure: sure(d, u, heading: heading, bytes: bytes, names: documents[d].names, resolved: definition != nil),
                              definition: definition)
            }
        }
    }

    /// Whether an answer can be trusted (`Answer.sure`): its sentence (with
    /// the heading that credited it) holds the question's heaviest term and
    /// at least `Asker.sureShare` of the question's weight itself, not by
    /// its neighbours; and, when the question asks for a kind of value, it
    /// holds one (or, for a date, names one by a term the document defines). Tuned on the everyday benchmark's tune half: a first answer
    /// that fails it is wrong far more often than one that passes.
    func sure(_ d: Int, _ u: Int, heading: Int?, bytes: UnsafeBufferPointer<UInt8>, names: DocumentNames?, resolved: Bool = false) -> Bool {
        let index = indexes[d]
        guard totals[d] > 0 else { return false }
        var tokenizer = Tokenizer()
        var tokens: [Token] = []
        let sentence = index.sentence(of: u)
        tokenizer.tokenize(bytes, range: Int(index.unitStarts[sentence.lowerBound])..<Int(index.unitEnds[sentence.upperBound]), into: &tokens)
        let own = tokens
        if let heading { tokenizer.tokenize(bytes, range: Int(index.unitStarts[heading])..<Int(index.unitEnds[heading]), into: &tokens) }
        var held = Set<Int>()
        for token in tokens where token.isContent {
            if let i = table[TermKey.term(token, in: bytes)] { held.insert(i) }
        }
        // In position order: a sum's last bits depend on its order, and a Set's order is not stable.
        let share = held.sorted().reduce(0.0) { $0 + weights[d][$1] } / totals[d]
        guard let heaviest = weights[d].indices.max(by: { weights[d][$0] < weights[d][$1] }), held.contains(heaviest),
              share >= Asker.sureShare else { return false }
        if let kind = question.answerKind {
            return resolved || AnswerExpert.holds(kind, tokens: own, unitKind: index.unitKinds[u], bytes: bytes, names: names)
        }
        return true
    }

    /// The units of an answer's passage around its sentence's units: back
    /// towards its section's heading at most `passageBefore` bytes, forward
    /// at most `passageAfter` bytes (`longer` times that: the parties' passage) and not past the next heading (a credited
    /// answer starts at its heading), cut at sentence bounds: a sentence that
    /// does not fit whole is left out, never cut.
    static func passage(of sentence: ClosedRange<Int>, heading: Int?, index: DocumentIndex, longer: Int = 1) -> (Int, Int) {
        let before = Int32(index.parameters.passageBefore), after = Int32(index.parameters.passageAfter * longer)
        let start = index.unitStarts[sentence.lowerBound], end = index.unitEnds[sentence.upperBound]
        var first = sentence.lowerBound
        while first > 0, index.kind(first) != .heading, start - index.unitStarts[first - 1] <= before { first -= 1 }
        while first < sentence.lowerBound, case let whole = index.sentence(of: first), whole.lowerBound < first { first = whole.upperBound + 1 }
        if let heading, heading < first { first = heading }
        var last = sentence.upperBound
        while last + 1 < index.unitCount, index.kind(last + 1) != .heading, index.unitEnds[last + 1] - end <= after { last += 1 }
        while last > sentence.upperBound, case let whole = index.sentence(of: last), whole.upperBound > last { last = whole.lowerBound - 1 }
        return (first, last)
    }
}
