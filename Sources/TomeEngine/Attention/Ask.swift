import Foundation

/// `ask`: question → lightning indexer → blocks by bound → stable attention
/// over their units → ranked answers with passages. One function for one
/// document and for a corpus; each index is read with its own parameters.
///
/// The question's terms (the term ids of its words, `TermKey`, without
/// question words such as "what" or "does"; a word no document holds that
/// joins parts with underscores, as the longest runs of them one does:
/// `knownParts`) are weighted by Engram salience
/// raised to p (`salienceExponent`): w_t = salience(t)^p, a grammatical
/// word's salience first taken at `grammaticalShare` of itself. A unit u scores
///
///     score(u) = (cov(u) + λ · sem⁺(u)) · prior(u),   cov(u) = Σ_{t ∈ q} w_t · level_u(t) / Σ_{t ∈ q} w_t
///
/// (sem⁺: the semantic head's score of u's meaning against the question's,
/// `SemanticHead`; 0 without the model, λ: `meaningWeight`)
/// where level_u(t) is 1 when u (or another piece of its sentence, when a
/// sentence longer than a block was cut) holds t, `contextWeight` when only
/// the unit before or after its sentence does, 0 otherwise
/// (prior: `UnitKind`), and a heading hands `headingCredit · cov(h) · prior(p)`
/// to the prose p under it, which keeps the better of its own score and the
/// credit. Attention is then z = β(n) · score with β(n) = s · ln n (n: units
/// of the documents asked), normalised by a streaming softmax over the
/// candidates.
///
/// A unit-kind prior never puts a sentence lacking the question's rarest
/// term above the only sentence that holds it when its raw score is no
/// higher: the question's rare terms (those in the fewest blocks, at most
/// `rareTermBlocks`) are looked for in every block that may hold them, and
/// a rare term's only holder (not a heading) scores cov + λ · sem⁺, its
/// prior taken as 1 (`Attention.liftOnlyHolders`).
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
/// the top `topK` blocks and the rare terms' blocks are read; then, in bound order, every block whose
/// bound reaches the k-th best score found so far (and the answer floor),
/// up to `maxBlocks`.
/// (When the candidates are reordered, the k-th is the last of them.)
/// Since no unit can score above its block's bound (but a rare term's only
/// holder, whose blocks were all read first), the answers are then
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
    /// Every word of the question is a function word ("the of and", "was ist
    /// das"): nothing in it says what to look for.
    public var onlyCommonWords = false
    /// Other words that count as one of the question's terms (its position):
    /// "between" for "parties"; for a date question, "begin", "commence"
    /// for "start" and "expire" for "end". The indexer's bound adds them too.
    public var aliases: [(term: UInt64, position: Int)] = []
    /// The semantic head's vector of the question and the model it came
    /// from, when the head is installed (`SemanticHead`).
    public var meaning: [Float]?
    public var meaningModel: UInt64 = 0

    /// How many of attention's best candidates are reordered when `k`
    /// answers are asked for: max(2k, 10) by the answer expert (30 for the
    /// parties), max(k, 10) by phrases alone (a large k reads no more
    /// blocks for them), k itself when nothing reorders them.
    func depth(_ k: Int) -> Int {
        if lifts { return max(2 * k, answerKind == .parties ? AnswerExpert.partiesDepth : AnswerExpert.minimumDepth) }
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
    /// length), and the passage around it cut at sentence bounds, both as
    /// shown to a reader (`ShownText`).
    public var text: String
    public var context: String
    /// The attention probability of this sentence among the candidates,
    /// with the reordered scores in place (so it falls in rank order); in
    /// a deep ask, its probability among those the encoder read (`DeepReader`).
    public var score: Double
    /// cov · prior (or a heading's credit), times the factors that
    /// reordered the answers (phrases, the answer expert's lift): equal in
    /// sparse and dense mode.
    /// (In a deep ask: deep(c), the score the encoder reordered them by.)
    public var similarity: Double
    /// UTF-8 byte ranges of the sentence and of its passage in the document text.
    public var start: Int
    public var end: Int
    public var contextStart: Int
    public var contextEnd: Int
    /// The answer can be trusted: it holds the question's heaviest term and
    /// enough of the rest itself, and the kind of value asked for
    /// (`Attention.sure`). An answer that is not sure is shown as a lead.
    public var sure: Bool = false
    /// For a date question, when the sentence names its date by a term the
    /// document defines ("the Effective Date"): the defining sentence.
    public var definition: Definition? = nil
}

public struct AskStats: Sendable, Equatable {
    public var blocksScanned: Int
    public var blocksSelected: Int
    public var sentencesAttended: Int
    /// Every block was read (dense mode), not the indexer's selection.
    public var dense: Bool
    /// The bound was met: the answers are those of dense attention.
    public var exact: Bool
    /// Meaning scored the units (the semantic head's vectors, of the
    /// question and of at least one document asked), not words alone.
    public var meaning: Bool = false
    /// The full encoder reordered attention's best answers (`DeepReader`).
    public var deep: Bool = false
}

public struct AskResult: Sendable {
    public var answers: [Answer]
    public var stats: AskStats
}

public enum Asker {
    /// The share of the question's weight a sure answer's sentence holds itself.
    public static let sureShare = 0.5
    /// What a grammatical word's salience counts for (`StopWords.grammatical`:
    /// "the", "ist", "der", "est"; not a word the question writes in
    /// capitals, "US", "IT"): in a small spool, or one where its language is
    /// rare, Engram finds a German "ist" as rare as the word asked about, and
    /// a sentence holding the function words outranked the one holding the
    /// answer ("Was ist der Tatort?"). Its weight is then (0.3 · salience)^p,
    /// 0.09 of its own at p = 2. 0.3 was chosen on the everyday tune and fresh
    /// sets beside the tuning manuals (dropping them outright cost the manuals
    /// more). A question of grammatical words only weighs them all alike, as before.
    public static let grammaticalShare = 0.3

    /// A question term whose signatures put it in at most this many blocks
    /// of the documents asked is rare: those blocks are read first, and the
    /// one sentence that holds it, when only one does, is ranked by its raw
    /// score (`Attention.liftOnlyHolders`).
    public static let rareTermBlocks = 16

    /// Words that make a sentence a question rather than say what it is
    /// about; they are not looked for (manuals rarely ask questions, so
    /// Engram would find "what" or "does" salient).
    static let questionWords: Set<UInt64> = Set([
        "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "do", "does", "did", "can", "could", "should",
        "would", "will", "shall", "may", "might", "must", "is", "are", "was", "were", "i", "me", "my", "we", "our", "you", "your",
        "please", "tell", "explain", "describe", "mean", "means",
        // The same in German, French and Spanish (accents fold: "où" is "ou", "qué" "que").
        "wie", "wann", "wo", "wer", "wen", "wem", "welche", "welcher", "welches", "welchen", "warum", "wieso", "weshalb",
        "quand", "où", "comment", "quel", "quelle", "quels", "quelles", "pourquoi", "combien",
        "cuándo", "dónde", "cómo", "qué", "cuál", "cuáles", "cuánto", "cuánta", "cuántos", "cuántas", "quién", "quiénes",
    ].map(CanonicalForm.id(of:)))

    /// Prepares a question once (it may then be asked of many documents);
    /// with the semantic head, its meaning too.
    public static func prepare(_ question: String, memory: EngramMemory?, semantic: SemanticHead? = nil) -> Question {
        let text = memory.map { knownParts(of: question, memory: $0) } ?? question
        var tokenizer = Tokenizer()
        let tokens = tokenizer.tokenize(text).filter(\.isContent)
        var copy = text
        let stems = copy.withUTF8 { bytes in tokens.map { TermKey.term($0, in: bytes) } }
        var terms: [UInt64] = [], salience: [Double] = [], keys: [Bool] = []
        var seen = Set<UInt64>()
        let bytes = Array(text.utf8)
        for t in tokens.indices where !questionWords.contains(tokens[t].id) && seen.insert(stems[t]).inserted {
            // Grammatical words count for less (`grammaticalShare`); a word in capitals is an acronym ("US", "IT").
            let capitals = tokens[t].end - tokens[t].start >= 2 && bytes[Int(tokens[t].start)..<Int(tokens[t].end)].allSatisfy { $0 >= 0x41 && $0 <= 0x5A }
            let grammatical = StopWords.grammatical.contains(tokens[t].id) && !capitals
            terms.append(stems[t])
            salience.append((memory?.salience([tokens[t].id]) ?? 1) * (grammatical ? Self.grammaticalShare : 1))
            keys.append(bytes[Int(tokens[t].start)..<Int(tokens[t].end)].contains { $0 >= 0x30 && $0 <= 0x39 })
        }
        let kind = AnswerExpert.kind(of: text)
        // Other words that count as one of the question's (its position): the parties are named "between … and
        // …", a sentence that rarely says "parties"; a date question's "start" is a term that "begins" or
        // "commences", its "end" one that "expires" (`AnswerExpert.startAndEndWords`).
        var aliases: [(term: UInt64, position: Int)] = []
        func alias(_ words: [String], to position: Int) {
            for term in words.map(Self.stem) where !seen.contains(term) && !aliases.contains(where: { $0.term == term }) {
                aliases.append((term, position))
            }
        }
        if kind == .parties, let party = tokens.indices.first(where: { AnswerExpert.partyWords.contains(tokens[$0].id) }),
           let position = terms.firstIndex(of: stems[party]) {
            alias(["between", "zwischen", "entre"], to: position)
        }
        if kind == .date {
            for group in AnswerExpert.startAndEndWords {
                let callers = group.filter { !AnswerExpert.aliasOnlyWords.contains($0) }.map(Self.stem)
                if let position = terms.firstIndex(where: callers.contains) { alias(group, to: position) }
            }
        }
        // All the question's tokens: "Invoice no.?" and "Order #" name a number by their punctuation.
        let allTokens = tokenizer.tokenize(text)
        let pairs = copy.withUTF8 { PhraseMatch.pairs(allTokens, bytes: $0) }
        var prepared = Question(text: question, terms: terms, salience: salience, keys: keys, answerKind: kind,
                                lift: AnswerExpert.lift(for: kind), pairs: pairs)
        prepared.aliases = aliases
        prepared.onlyCommonWords = tokens.allSatisfy { questionWords.contains($0.id) || StopWords.all.contains($0.id) }
        if let semantic, !prepared.onlyCommonWords, let vector = semantic.vector(of: question) {
            prepared.meaning = vector
            prepared.meaningModel = semantic.model
        }
        return prepared
    }

    /// A word's term key (its stem), as the index keys it.
    static func stem(_ word: String) -> UInt64 {
        var tokenizer = Tokenizer()
        var copy = word
        return copy.withUTF8 { bytes in tokenizer.tokenize(word).first.map { TermKey.term($0, in: bytes) } ?? 0 }
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
    /// With `deep`, the `deep.depth` best answers (at least k) are read by
    /// the full encoder and reordered (`DeepReader`) before the first k are kept.
    public static func ask<D: AskableDocument>(_ question: Question, documents: [D], k: Int, dense: Bool = false,
                                              parameters: EngineParameters = EngineParameters(),
                                              deep: DeepReader? = nil) throws -> AskResult {
        if let deep {
            let units = documents.reduce(0) { $0 + $1.index.unitCount }
            let beta = StreamingSoftmax.temperature(units: units, scale: parameters.temperatureScale)
            let pool = try ask(question, documents: documents, k: max(k, deep.depth), dense: dense, parameters: parameters)
            return deep.reorder(pool, question: question.text, k: k, beta: beta)
        }
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
            attention.liftOnlyHolders()
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
            // Every block a rare term may be in, whatever its bound: its only holder may be lifted.
            for d in documents.indices {
                for b in attention.rare.blocks[d] where read.insert(offsets[d] + b).inserted { batch[d].append(b) }
            }
            try attention.read(batch, of: documents)
            attention.liftOnlyHolders()
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
            dense: dense, exact: exact, meaning: attention.usesMeaning))
    }

    /// The text as shown (`ShownText`); the byte range cites it as stored.
    static func text(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String {
        ShownText.of(UnsafeBufferPointer(rebasing: bytes[start..<end]))
    }
}
