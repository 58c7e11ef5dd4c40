import Foundation

/// `ask`: question → lightning indexer → blocks by bound → stable attention
/// over their units → ranked answers with passages. One function for one
/// document and for a corpus; each index is read with its own parameters.
///
/// The question's terms (the term ids of its words, `TermKey`, without
/// question words such as "what" or "does"; a word no document holds that
/// joins parts with underscores, as the longest runs of them one does:
/// `knownParts`) are weighted by Engram salience
/// raised to p (`salienceExponent`): w_t = salience(t)^p. A unit u scores
///
///     score(u) = cov(u) · prior(u),   cov(u) = Σ_{t ∈ q} w_t · level_u(t) / Σ_{t ∈ q} w_t
///
/// where level_u(t) is 1 when u (or another piece of its sentence, when a
/// sentence longer than a block was cut) holds t, `contextWeight` when only
/// the unit before or after its sentence does, 0 otherwise
/// (prior: `UnitKind`), and a heading hands `headingCredit · cov(h) · prior(p)`
/// to the prose p under it, which keeps the better of its own score and the
/// credit. Attention is then z = β(n) · score with β(n) = s · ln n (n: units
/// of the documents asked), normalised by a streaming softmax over the
/// candidates.
///
/// When the question has phrases or asks for a kind of value, attention's
/// best plausible candidates (`Question.depth`) are then reordered, and the
/// first k kept: by `phrase(u) · score(u)`, phrase(u) = 1 + w ·
/// (the question's pairs of adjacent content words u holds) / (its pairs)
/// (`PhraseMatch`), and, when the question asks for a kind of value
/// (`AnswerExpert`: when → a date, how much → a quantity, who → a name,
/// what does X mean → a definition), times `lift` for the units that hold
/// one. Reordering finds nothing attention would not: it only changes the
/// order of what attention found plausible.
///
/// An answer is a unit attention gives at least `answerFloor` of the weight
/// of the best one: e^{β·(score − best)} ≥ floor, so a score within
/// ln(1/floor)/β of the best (the rest are not plausible answers, however
/// many were asked for).
///
/// Selection (sparse): every block's bound (`BlockSignatures`) is computed;
/// the top `topK` blocks are read; then, in bound order, every block whose
/// bound reaches the k-th best score found so far (and the answer floor),
/// up to `maxBlocks`.
/// (When the candidates are reordered, the k-th is the last of them.)
/// Since no unit can score above its block's bound, the answers are then
/// exactly those of reading every block (dense), ties included; `exact`
/// says whether the bound was met within `maxBlocks`.
public struct Question: Sendable {
    public var text: String
    /// Distinct term keys, in the order they first appear, and their Engram salience.
    public var terms: [UInt64]
    public var salience: [Double]
    /// Whether each term holds a digit (a number, a code, a version): such a
    /// term is a key the user copied, not a word they chose.
    public var keys: [Bool]
    /// The kind of value the question asks for (`AnswerExpert`), and how much
    /// a unit holding one is lifted (1: not at all).
    public var answerKind: AnswerKind?
    public var lift: Double = 1
    /// The question's phrases: each two content words next to each other
    /// once stop words are left out (`PhraseMatch.pairs`).
    public var pairs: Set<UInt64> = []

    /// How many of attention's best candidates are reordered when `k`
    /// answers are asked for: max(2k, 10) by the answer expert, max(k, 10)
    /// by phrases alone (a large k reads no more blocks for them), k itself
    /// when nothing reorders them.
    func depth(_ k: Int) -> Int {
        if lifts { return max(2 * k, AnswerExpert.minimumDepth) }
        return pairs.isEmpty ? k : max(k, AnswerExpert.minimumDepth)
    }

    /// The answer expert lifts the sentences holding the kind of value asked for.
    var lifts: Bool { answerKind != nil && lift != 1 }

    public var isEmpty: Bool { terms.isEmpty }
}

/// A document to ask: its index, and its text when attention needs it (the
/// daemon loads text only for the documents whose blocks are selected).
public protocol AskableDocument {
    var index: DocumentIndex { get }
    /// The document's names, when its name expert ran (else nil: for a "who"
    /// question each sentence is scanned for names on its own).
    var names: DocumentNames? { get }
    func withText<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) throws -> R
}

extension AskableDocument {
    public var names: DocumentNames? { nil }
}

/// A document held in memory (tests, benchmarks).
public struct TextDocument: AskableDocument, Sendable {
    public var index: DocumentIndex
    public var text: [UInt8]
    public var names: DocumentNames?

    public init(index: DocumentIndex, text: [UInt8], names: DocumentNames? = nil) {
        self.index = index
        self.text = text
        self.names = names
    }

    public func withText<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) throws -> R {
        try text.withUnsafeBufferPointer(body)
    }
}

public struct Answer: Sendable, Equatable {
    /// Position of the answer's document in the documents asked.
    public var document: Int
    /// The answering sentence (all its pieces, when it was cut at block
    /// length), and the passage around it cut at sentence bounds.
    public var text: String
    public var context: String
    /// The attention probability of this sentence among the candidates.
    public var score: Double
    /// cov · prior (or a heading's credit), times the factors that
    /// reordered the answers (phrases, the answer expert's lift): equal in
    /// sparse and dense mode.
    public var similarity: Double
    /// UTF-8 byte ranges of the sentence and of its passage in the document text.
    public var start: Int
    public var end: Int
    public var contextStart: Int
    public var contextEnd: Int
}

public struct AskStats: Sendable, Equatable {
    public var blocksScanned: Int
    public var blocksSelected: Int
    public var sentencesAttended: Int
    /// Every block was read (dense mode), not the indexer's selection.
    public var dense: Bool
    /// The bound was met: the answers are those of dense attention.
    public var exact: Bool
}

public struct AskResult: Sendable {
    public var answers: [Answer]
    public var stats: AskStats
}

public enum Asker {
    /// Words that make a sentence a question rather than say what it is
    /// about; they are not looked for (manuals rarely ask questions, so
    /// Engram would find "what" or "does" salient).
    static let questionWords: Set<UInt64> = Set([
        "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "do", "does", "did", "can", "could", "should",
        "would", "will", "shall", "may", "might", "must", "is", "are", "was", "were", "i", "me", "my", "we", "our", "you", "your",
        "please", "tell", "explain", "describe", "mean", "means",
    ].map(CanonicalForm.id(of:)))

    /// Prepares a question once (it may then be asked of many documents).
    public static func prepare(_ question: String, memory: EngramMemory?) -> Question {
        let text = memory.map { knownParts(of: question, memory: $0) } ?? question
        var tokenizer = Tokenizer()
        let tokens = tokenizer.tokenize(text).filter(\.isContent)
        var copy = text
        let stems = copy.withUTF8 { bytes in tokens.map { TermKey.term($0, in: bytes) } }
        var terms: [UInt64] = [], salience: [Double] = [], keys: [Bool] = []
        var seen = Set<UInt64>()
        let bytes = Array(text.utf8)
        for t in tokens.indices where !questionWords.contains(tokens[t].id) && seen.insert(stems[t]).inserted {
            terms.append(stems[t])
            salience.append(memory?.salience([tokens[t].id]) ?? 1)
            keys.append(bytes[Int(tokens[t].start)..<Int(tokens[t].end)].contains { $0 >= 0x30 && $0 <= 0x39 })
        }
        let kind = AnswerExpert.kind(of: text)
        let pairs = copy.withUTF8 { PhraseMatch.pairs(tokens, bytes: $0) }
        return Question(text: question, terms: terms, salience: salience, keys: keys, answerKind: kind, lift: AnswerExpert.lift(for: kind),
                        pairs: pairs)
    }

    /// `text` with each word that joins parts with underscores and that the
    /// corpus holds nowhere ("nettle_memeql_sec") put as the longest runs of
    /// its parts the corpus does hold ("memeql_sec"): a manual often names a
    /// symbol without the prefix its library gives it. Count-min never
    /// under-counts, so a word it finds in no document is in none.
    static func knownParts(of text: String, memory: EngramMemory) -> String {
        var tokenizer = Tokenizer()
        var result: [UInt8] = []
        let utf8 = Array(text.utf8)
        var copied = 0
        for token in tokenizer.tokenize(text) where token.kind == .word && memory.estimate([token.id]).documents == 0 {
            // A symbol has a few parts; a question is not made to cost runs of thousands ("a_a_a_…").
            guard token.end - token.start <= 128 else { continue }
            let word = String(decoding: utf8[Int(token.start)..<Int(token.end)], as: UTF8.self)
            let parts = word.split(separator: "_")
            guard parts.count > 1, parts.count <= 8 else { continue }
            for n in stride(from: parts.count - 1, through: 1, by: -1) {
                let runs = (0...(parts.count - n)).map { parts[$0..<($0 + n)].joined(separator: "_") }
                    .filter { memory.estimate([CanonicalForm.id(of: $0)]).documents > 0 }
                guard !runs.isEmpty else { continue }
                result.append(contentsOf: utf8[copied..<Int(token.start)])
                result.append(contentsOf: runs.joined(separator: " ").utf8)
                copied = Int(token.end)
                break
            }
        }
        guard copied > 0 else { return text }
        result.append(contentsOf: utf8[copied...])
        return String(decoding: result, as: UTF8.self)
    }

    /// Asks `documents` (one or many): the best `k` answers over all of them.
    /// `parameters` gives the selection budget (`topK`, `maxBlocks`) and the
    /// temperature; everything about an index comes from its own parameters.
    public static func ask<D: AskableDocument>(_ question: Question, documents: [D], k: Int, dense: Bool = false,
                                              parameters: EngineParameters = EngineParameters()) throws -> AskResult {
        var attention = Attention(question: question, documents: documents.map(\.index))
        let scanned = documents.reduce(0) { $0 + $1.index.blockCount }
        let units = documents.reduce(0) { $0 + $1.index.unitCount }
        let beta = StreamingSoftmax.temperature(units: units, scale: parameters.temperatureScale)
        // Answers hold at least `answerFloor` of the attention the best one holds: a score within this of the best.
        let reach = log(1 / parameters.answerFloor) / beta
        var selected: [[Int]] = Array(repeating: [], count: documents.count)
        var exact = true
        if dense {
            for d in documents.indices { selected[d] = Array(0..<documents[d].index.blockCount) }
            try attention.read(selected, of: documents)
        } else {
            let bounds = attention.bounds()
            // Blocks as one list: id = offset of the document + block.
            var offsets = [0]
            for d in documents.indices { offsets.append(offsets[d] + documents[d].index.blockCount) }
            func split(_ id: Int) -> (Int, Int) {
                // The last document whose offset is <= id (offsets has one more entry than documents).
                let d = min(offsets.lastIndex(atMost: id) ?? 0, documents.count - 1)
                return (d, id - offsets[d])
            }
            var heap = BoundedHeap(capacity: parameters.topK)
            for d in documents.indices {
                for (b, bound) in bounds[d].enumerated() where bound > 0 { heap.offer(score: bound, id: offsets[d] + b) }
            }
            var read = Set<Int>()
            var batch: [[Int]] = Array(repeating: [], count: documents.count)
            for item in heap.sortedDescending() {
                let (d, b) = split(item.id)
                batch[d].append(b)
                read.insert(item.id)
            }
            try attention.read(batch, of: documents)
            for d in documents.indices { selected[d] += batch[d] }
            // Quest's rule: go on while a block's bound could beat the k-th answer
            // (when the candidates are reordered, the last of those reordered: `Question.depth`).
            let depth = question.depth(k)
            var threshold = attention.threshold(depth, reach: reach)
            var rest: [(score: Double, id: Int)] = []
            for d in documents.indices {
                for (b, bound) in bounds[d].enumerated() where bound > 0 && bound >= threshold && !read.contains(offsets[d] + b) {
                    rest.append((bound, offsets[d] + b))
                }
            }
            rest.sort { BoundedHeap.below($1, $0) }
            var next = 0
            while next < rest.count && rest[next].score >= threshold {
                guard read.count < parameters.maxBlocks else { exact = false; break }
                batch = Array(repeating: [], count: documents.count)
                var taken = 0
                while next < rest.count && rest[next].score >= threshold && taken < 8 && read.count < parameters.maxBlocks {
                    let (d, b) = split(rest[next].id)
                    batch[d].append(b)
                    read.insert(rest[next].id)
                    next += 1
                    taken += 1
                }
                try attention.read(batch, of: documents)
                for d in documents.indices { selected[d] += batch[d] }
                threshold = attention.threshold(depth, reach: reach)
            }
        }
        let answers = try attention.answers(k: k, depth: question.depth(k), reach: reach, documents: documents, beta: beta)
        return AskResult(answers: answers, stats: AskStats(
            blocksScanned: scanned, blocksSelected: selected.reduce(0) { $0 + $1.count }, sentencesAttended: attention.attended,
            dense: dense, exact: exact))
    }

    static func text(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }
}

/// The state of one ask: question terms and weights per document, and the
/// candidates attention has scored so far.
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
    private var attendedUnits = Set<Int>()
    var attended: Int { attendedUnits.count }
    private var tokenizer = Tokenizer()
    private var tokens: [Token] = []
    /// Scratch: per question term, the level it counts at in the unit being scored.
    private var levels: [Double]
    private var matchCache: [Int: [Int32]] = [:]

    init(question: Question, documents: [DocumentIndex]) {
        self.question = question
        indexes = documents
        weights = documents.map { index in
            zip(question.salience, question.keys).map { pow($0, index.parameters.salienceExponent) * ($1 ? index.parameters.keyTermWeight : 1) }
        }
        totals = weights.map { $0.reduce(0, +) }
        var table: [UInt64: Int] = [:]
        for (i, t) in question.terms.enumerated() { table[t] = i }
        self.table = table
        levels = [Double](repeating: 0, count: question.terms.count)
    }

    static func key(_ d: Int, _ u: Int) -> Int { d << 32 | u }

    /// Every block's bound, per document.
    func bounds() -> [[Double]] {
        indexes.enumerated().map { d, index in
            var scores = [Double](repeating: 0, count: index.blockCount)
            guard totals[d] > 0 else { return scores }
            scores.withUnsafeMutableBufferPointer { out in
                for (i, term) in question.terms.enumerated() where weights[d][i] > 0 {
                    index.signatures.accumulate(term: term, weight: weights[d][i], into: out)
                }
            }
            for b in scores.indices { scores[b] = scores[b] / totals[d] * index.blockFactors[b] }
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
        let cov = coverage(d, u, bytes: bytes)
        guard cov > 0 else { return }
        offer(d, u, score: cov * index.prior(u), heading: nil)
        if index.kind(u) == .heading, let p = index.proseUnder(heading: u) {
            offer(d, p, score: index.parameters.headingCredit * cov * index.prior(p), heading: u)
            credited.append(p)
        }
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
        for (key, c) in candidates {
            heap.offer(score: c.score, id: key)
            best = max(best, c.score)
        }
        return max(heap.floor?.score ?? 0, best - reach)
    }

    /// The best k candidates within `reach` of the best, best first (ties:
    /// document, then unit, in order). When they are reordered, the best
    /// `depth` within reach are reordered by score · `reorderFactor` first.
    func answers<D: AskableDocument>(k: Int, depth: Int, reach: Double, documents: [D], beta: Double) throws -> [Answer] {
        var softmax = StreamingSoftmax()
        var heap = BoundedHeap(capacity: depth)
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
        return try pool.prefix(k).map { item in
            let d = item.id >> 32, u = candidates[item.id]?.unit ?? item.id & 0xFFFF_FFFF
            let index = indexes[d]
            let heading = candidates[item.id]?.heading
            return try documents[d].withText { bytes in
                let sentence = index.sentence(of: u)
                let (first, last) = Self.passage(of: sentence, heading: heading, index: index)
                let start = Int(index.unitStarts[sentence.lowerBound]), end = Int(index.unitEnds[sentence.upperBound])
                let from = Int(index.unitStarts[first]), to = Int(index.unitEnds[last])
                return Answer(document: d, text: Asker.text(bytes, start, end), context: Asker.text(bytes, from, to),
                              score: softmax.probability(beta * item.raw), similarity: item.score,
                              start: start, end: end, contextStart: from, contextEnd: to)
            }
        }
    }

    /// The units of an answer's passage around its sentence's units: back
    /// towards its section's heading at most `passageBefore` bytes, forward
    /// at most `passageAfter` bytes and not past the next heading (a credited
    /// answer starts at its heading), cut at sentence bounds: a sentence that
    /// does not fit whole is left out, never cut.
    static func passage(of sentence: ClosedRange<Int>, heading: Int?, index: DocumentIndex) -> (Int, Int) {
        let before = Int32(index.parameters.passageBefore), after = Int32(index.parameters.passageAfter)
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
