import Foundation

/// `ask`: question → indexer → top blocks → stable attention over their units.
///
/// The question's n-grams are weighted by Engram salience (when a corpus
/// memory is given; uniformly otherwise). The indexer scores every block
/// from the stored keys and selects the top k with the first block and
/// neighbours (or every block, in dense mode). Attention then reads only the
/// units of the selected blocks. A unit's similarity to the question, over
/// salience-weighted unigrams and bigrams, is the geometric mean of how much
/// of the question it covers and its cosine with it,
///
///     sim(q, s) = sqrt( (q·s / ‖q‖²) · (q·s / (‖q‖‖s‖)) ) = q·s / (‖q‖^1.5 · ‖s‖^0.5)
///
/// (cosine alone prefers a two-word fragment that shares one rare term to
/// the sentence that holds the whole question), scaled by the square root of
/// the unit's share of content tokens (a table-of-contents line, which is
/// mostly dot leaders, says less than a sentence with the same words), then
/// z = β(n) · sim with n the document's units, and a streaming softmax over
/// the candidates.
/// Answers are the best units, each with its byte range and the probability
/// attention gives it.
public struct Question: Sendable {
    public var text: String
    /// Exact features for attention: n-gram key → salience weight.
    var terms: [UInt64: Double]
    var norm: Double
    public var indexQuery: IndexQuery

    public var isEmpty: Bool { terms.isEmpty }
}

public struct Answer: Sendable, Equatable {
    /// The answering unit (sentence) and a little text around it.
    public var text: String
    public var context: String
    /// The attention probability of this unit among the candidates.
    public var score: Double
    /// UTF-8 byte range of the unit in the document text.
    public var start: Int
    public var end: Int
    /// The cosine behind the score (for ranking across documents).
    public var similarity: Double

    public init(text: String, context: String, score: Double, start: Int, end: Int, similarity: Double) {
        self.text = text
        self.context = context
        self.score = score
        self.start = start
        self.end = end
        self.similarity = similarity
    }
}

public struct AskStats: Sendable, Equatable {
    public var blocksScanned: Int
    public var blocksSelected: Int
    public var sentencesAttended: Int
    /// `sparse` or `dense`.
    public var mode: String
}

public struct AskResult: Sendable {
    public var answers: [Answer]
    public var stats: AskStats
}

public enum Asker {
    /// Prepares a question once (it may then be asked of many documents).
    public static func prepare(_ text: String, memory: EngramMemory?, parameters: EngineParameters = EngineParameters(), hasher: NgramHasher = NgramHasher()) -> Question {
        var tokenizer = Tokenizer()
        let tokens = tokenizer.tokenize(text).filter(\.isContent)
        let ids = tokens.map(\.id)
        let heads = parameters.indexHeads, dim = parameters.indexDim
        var vectors = [[Float]](repeating: [Float](repeating: 0, count: dim), count: heads)
        var mass = [Float](repeating: 0, count: heads)
        var terms: [UInt64: Double] = [:]
        func salience(_ ngram: [UInt64]) -> Double { memory?.salience(ngram) ?? 1 }
        ids.withUnsafeBufferPointer { buffer in
            for t in 0..<ids.count {
                for order in 1...min(3, hasher.layout.orders) where t - order + 1 >= 0 {
                    let ngram = Array(ids[(t - order + 1)...t])
                    let weight = salience(ngram)
                    let index = hasher.index(buffer, end: t, order: order, head: 0)
                    let slot = hasher.slot(ofIndex: index, order: order, head: 0)
                    var families = [order - 1]
                    if order == 1 && heads > 3 && (tokens[t].kind == .number || tokens[t].capitalized && t > 0) { families.append(3) }
                    for family in families where family < heads {
                        mass[family] += Float(weight)
                        SparsePattern.positions(order: order, slot: slot, dim: dim, nonZeros: parameters.patternNonZeros) { d, sign in
                            vectors[family][d] += sign * Float(weight)
                        }
                    }
                    if order <= 2 { terms[termKey(ngram)] = weight }
                }
            }
        }
        for j in 0..<heads {
            let norm = vectors[j].reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > 0 { vectors[j] = vectors[j].map { $0 / norm } }
        }
        let total = mass.reduce(0, +)
        let weights = total > 0 ? mass.map { $0 / total } : mass
        let norm = terms.values.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return Question(text: text, terms: terms, norm: norm, indexQuery: IndexQuery(vectors: vectors, weights: weights))
    }

    /// One key per unigram or bigram of canonical ids.
    static func termKey(_ ngram: [UInt64]) -> UInt64 {
        ngram.count == 1 ? ngram[0] : (ngram[0] &* 0x9E37_79B9_7F4A_7C15) ^ ngram[1] &* 0xC2B2_AE3D_27D4_EB4F
    }

    /// Blocks of one document the indexer sends to attention (all of them, dense).
    public static func select(_ question: Question, index: DocumentIndex, dense: Bool) -> [Int] {
        if dense { return Array(0..<index.blockCount) }
        let scores = LightningIndexer.scores(question.indexQuery, keys: index.keys)
        return LightningIndexer.select(scores, k: index.parameters.topK, neighbours: index.parameters.neighbours)
    }

    /// Asks one document: `bytes` is its text.
    public static func ask(_ question: Question, index: DocumentIndex, bytes: UnsafeBufferPointer<UInt8>, k: Int,
                           dense: Bool = false, memory: EngramMemory? = nil) -> AskResult {
        let blocks = select(question, index: index, dense: dense)
        let units = blocks.flatMap { index.units(ofBlock: $0) }
        let scored = attend(question, units: units, index: index, bytes: bytes, memory: memory)
        let beta = StreamingSoftmax.temperature(units: index.unitCount, scale: index.parameters.temperatureScale)
        var softmax = StreamingSoftmax()
        softmax.add(contentsOf: scored.map { beta * $0.similarity })
        let best = scored.enumerated().sorted { ($1.element.similarity, $0.offset) < ($0.element.similarity, $1.offset) }.prefix(k)
        let answers = best.filter { $0.element.similarity > 0 }.map { entry -> Answer in
            let u = entry.element.unit
            return Answer(text: text(bytes, index.unitStarts[u], index.unitEnds[u]), context: context(of: u, index: index, bytes: bytes),
                          score: softmax.probability(beta * entry.element.similarity),
                          start: Int(index.unitStarts[u]), end: Int(index.unitEnds[u]), similarity: entry.element.similarity)
        }
        return AskResult(answers: answers, stats: AskStats(blocksScanned: index.blockCount, blocksSelected: blocks.count,
                                                           sentencesAttended: units.count, mode: dense ? "dense" : "sparse"))
    }

    /// The salience-weighted cosine of each unit with the question.
    public static func attend(_ question: Question, units: [Int], index: DocumentIndex, bytes: UnsafeBufferPointer<UInt8>, memory: EngramMemory?) -> [(unit: Int, similarity: Double)] {
        guard question.norm > 0 else { return units.map { ($0, 0) } }
        var tokenizer = Tokenizer()
        var tokens: [Token] = []
        var salienceCache: [UInt64: Double] = [:]
        return units.map { u in
            tokens.removeAll(keepingCapacity: true)
            tokenizer.tokenize(bytes, range: Int(index.unitStarts[u])..<Int(index.unitEnds[u]), into: &tokens)
            let ids = tokens.filter(\.isContent).map(\.id)
            let density = Double(ids.count) / Double(max(1, tokens.count))
            var seen = Set<UInt64>()
            var dot = 0.0, norm = 0.0
            for t in 0..<ids.count {
                for order in 1...2 where t - order + 1 >= 0 {
                    let ngram = Array(ids[(t - order + 1)...t])
                    let key = termKey(ngram)
                    guard seen.insert(key).inserted else { continue }
                    let weight: Double
                    if let q = question.terms[key] {
                        weight = q
                    } else if let cached = salienceCache[key] {
                        weight = cached
                    } else {
                        weight = memory?.salience(ngram) ?? 1
                        salienceCache[key] = weight
                    }
                    norm += weight * weight
                    if let q = question.terms[key] { dot += q * weight }
                }
            }
            return (u, norm > 0 ? density.squareRoot() * dot / (pow(question.norm, 1.5) * pow(norm, 0.25)) : 0)
        }
    }

    public static func text(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int32, _ end: Int32) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[Int(start)..<Int(end)]), as: UTF8.self)
    }

    /// The unit with its neighbours, at most about 200 bytes on each side.
    public static func context(of u: Int, index: DocumentIndex, bytes: UnsafeBufferPointer<UInt8>) -> String {
        let from = u > 0 ? max(Int(index.unitStarts[u - 1]), Int(index.unitStarts[u]) - 200) : Int(index.unitStarts[u])
        let to = u + 1 < index.unitCount ? min(Int(index.unitEnds[u + 1]), Int(index.unitEnds[u]) + 200) : Int(index.unitEnds[u])
        // Do not cut a UTF-8 sequence in half.
        var start = from, end = to
        while start < Int(index.unitStarts[u]) && bytes[start] & 0xC0 == 0x80 { start += 1 }
        while end > Int(index.unitEnds[u]) && end < bytes.count && bytes[end] & 0xC0 == 0x80 { end -= 1 }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }
}
