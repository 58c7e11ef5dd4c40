import Dispatch
import Foundation

/// Deep reading: attention's best candidates read again by the full
/// sentence encoder (`SentenceEncoder`, six transformer layers), not by
/// the static vectors the semantic head sums. Too slow for every unit of a
/// long document, affordable for a handful: the question and each of the
/// `depth` best answers of an exact ask are encoded, and the answers are
/// reordered by
///
///     deep(c) = sim(c) / max_c′ sim(c′) + a · cos(E(q), E(sentence(c)))
///
/// (sim: the answer's similarity, which ranked it; E: the encoder's
/// mean-pooled vector; a: `weight`). The candidates are those of the ask
/// itself, sparse = dense, so deep reading changes the order of what
/// attention found plausible and never what it selects; each answer's
/// probability is then e^{β·deep(c)} / Σ_c′ e^{β·deep(c′)} over the
/// candidates reordered, so the score shown is the one that ranks.
///
/// Each sentence is encoded alone (one sequence, no padding), one worker a
/// sentence (on every core: the caller's thread priority does not carry
/// to the workers): the same vector whoever computes it. The encoder's exp and
/// erf come from the C library, whose last bits may differ between C
/// libraries (not between core counts).
public struct DeepReader: Sendable {
    public let encoder: SentenceEncoder
    public let vocabulary: WordPieceVocabulary
    /// a: how much the encoder's cosine adds to the answer's normalised
    /// similarity (chosen on the tuning questions and paraphrase pairs).
    public var weight: Double
    /// How many of attention's best answers are read (at least k).
    public var depth: Int

    public static let defaultWeight = 3.0
    public static let defaultDepth = 10

    public init(encoder: SentenceEncoder, vocabulary: WordPieceVocabulary, weight: Double = defaultWeight, depth: Int = defaultDepth) {
        self.encoder = encoder
        self.vocabulary = vocabulary
        self.weight = weight
        self.depth = depth
    }

    /// What the encoder reads of `text`: [CLS] pieces [SEP], cut to its length (`SentenceEncoder.maxTokens`).
    public func sequence(of text: String) -> [Int32] {
        var tokenizer = WordPieceTokenizer(vocabulary: vocabulary)
        return [vocabulary.classToken] + tokenizer.encode(text).prefix(SentenceEncoder.maxTokens - 2) + [vocabulary.separator]
    }

    /// E(text): the encoder's mean-pooled vector of `sequence(of: text)`, normalised.
    public func vector(of text: String) -> [Float] { vector(of: sequence(of: text)) }

    func vector(of sequence: [Int32]) -> [Float] {
        let pooled = encoder.meanPooled(sequence)
        let norm = pooled.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        return norm > 0 ? pooled.map { Float(Double($0) / norm) } : pooled
    }

    /// The answers of `result` (asked with k ≥ `depth`, or fewer when fewer
    /// were plausible): its first `depth` reordered by deep(c), the rest
    /// after them in attention's order (a written answer asks for more than
    /// ten; only ten are read), the first `k` kept.
    public func reorder(_ result: AskResult, question: String, k: Int, beta: Double) -> AskResult {
        var reordered = result
        reordered.stats.deep = true
        let read = Array(result.answers.prefix(depth))
        guard !read.isEmpty else { return reordered }
        let sequences = ([question] + read.map(\.text)).map(sequence(of:))
        var vectors = [[Float]](repeating: [], count: sequences.count)
        vectors.withUnsafeMutableBufferPointer { out in
            nonisolated(unsafe) let out = out
            DispatchQueue.concurrentPerform(iterations: sequences.count) { i in out[i] = vector(of: sequences[i]) }
        }
        let cosines = read.indices.map { i in
            vectors[0].indices.reduce(0.0) { $0 + Double(vectors[0][$1]) * Double(vectors[i + 1][$1]) }
        }
        let ranked = Self.rank(similarities: read.map(\.similarity), cosines: cosines, weight: weight, beta: beta)
        reordered.answers = Array((ranked.map { r in
            var answer = read[r.index]
            answer.similarity = r.deep
            answer.score = r.probability
            return answer
        } + result.answers.dropFirst(read.count)).prefix(k))
        return reordered
    }

    /// deep(c) = sim(c) / max sim + a · cos(c) for each candidate, best
    /// first (equal scores in the candidates' order), with its probability
    /// among them, e^{β·deep(c)} / Σ e^{β·deep(c′)}.
    static func rank(similarities: [Double], cosines: [Double], weight: Double, beta: Double)
        -> [(index: Int, deep: Double, probability: Double)] {
        let best = similarities.max() ?? 0
        let deep = similarities.indices.map { (best > 0 ? similarities[$0] / best : 0) + weight * cosines[$0] }
        let top = deep.max() ?? 0
        let total = deep.reduce(0.0) { $0 + exp(beta * ($1 - top)) }
        return deep.indices.sorted { (deep[$0], -$0) > (deep[$1], -$1) }.map { (index: $0, deep: deep[$0], probability: exp(beta * (deep[$0] - top)) / total) }
    }
}
