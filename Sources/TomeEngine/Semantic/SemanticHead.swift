import Dispatch

/// The semantic head: a question and a unit compared by what they mean, not
/// by the words they share. Both become a vector from the static vectors
/// of their WordPiece pieces (`StaticVectors`, projected):
///
///     v(x) = normalise( Σ_{t ∈ pieces(x)} w_t · r_t ),   w_t = ρ_t / (ρ_t + K)
///
/// ρ_t is piece t's frequency rank in the vocabulary (1 for "the"), so a
/// common word weighs little and a rare one nearly 1 (Zipf's law makes
/// this the smooth-inverse-frequency weight a/(a + p(t)) of Arora et al.,
/// 2017); K = `rankHalfWeight`. Single characters weigh ½; punctuation
/// and special pieces 0.
///
/// A unit's vector is stored as int8, û = round(127 · v) / 127, and a
/// question q scores every unit of the documents asked by sem(q, u) = q · û,
/// taken as a z-score among the document's units (`UnitMeanings.scores`):
/// one scan, the same integer sums for every unit, so attention's score and
/// the indexer's bound use the same number (`Attention`).
public struct SemanticHead: Sendable {
    /// The fingerprint of the vectors compared (FNV-1a 64 over the weighed
    /// table's words, its width and the weights' version, never 0): a unit's stored
    /// vector is only compared with a question's made the same way.
    public let model: UInt64
    public let dimensions: Int
    public let vocabulary: WordPieceVocabulary
    /// w_t · r_t, row-major.
    let rows: [Float]

    /// K: the rank at which a piece weighs ½. 300 ranked the tuning
    /// paraphrases best (100: 9 of 15 first, 300: 10, 1,000: 9).
    public static let rankHalfWeight = 300.0

    public init(vocabulary: WordPieceVocabulary, vectors: StaticVectors) throws(EngineError) {
        guard vectors.kept % UnitMeanings.lanes == 0, vectors.kept > 0 else {
            throw .damaged("static vectors \(vectors.kept) wide (a multiple of \(UnitMeanings.lanes) is read)")
        }
        guard vectors.count == vocabulary.size else {
            throw .damaged("the static vectors have \(vectors.count) rows and the vocabulary \(vocabulary.size) pieces")
        }
        let d = vectors.kept
        var rows = vectors.projected
        for t in 0..<vectors.count {
            let weight = Float(Self.weight(t, vocabulary: vocabulary))
            for j in 0..<d { rows[t * d + j] *= weight }
        }
        self.rows = rows
        self.vocabulary = vocabulary
        dimensions = d
        // FNV-1a over 32-bit words (the floats' bits), not bytes: every analysing child computes it.
        var hash = CanonicalForm.offsetBasis
        for word in [vectors.model, UInt64(d), UInt64(Self.rankHalfWeight), 1] { hash = (hash ^ word) &* CanonicalForm.prime }
        for value in rows { hash = (hash ^ UInt64(value.bitPattern)) &* CanonicalForm.prime }
        model = hash == 0 ? 1 : hash
    }

    /// The files of a model folder, read by the caller: `vocab.txt` and `StaticVectors.fileName`.
    public init(vocabText: String, vectorBytes: [UInt8]) throws(EngineError) {
        try self.init(vocabulary: try WordPieceVocabulary(vocabText: vocabText), vectors: try StaticVectors(decoding: vectorBytes, projectedOnly: true))
    }

    static func weight(_ t: Int, vocabulary: WordPieceVocabulary) -> Double {
        if vocabulary.isWordless[t] { return 0 }
        guard t >= vocabulary.firstWordPiece else { return 0.5 }
        let rank = Double(t - vocabulary.firstWordPiece + 1)
        return rank / (rank + rankHalfWeight)
    }

    /// v(text) for `bytes[range]`, or nil when no piece of it weighs anything.
    public func vector(_ bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>, scratch: inout Scratch) -> [Float]? {
        scratch.ids.removeAll(keepingCapacity: true)
        scratch.tokenizer.encode(bytes, range: range, into: &scratch.ids)
        let d = dimensions
        var sum = [Double](repeating: 0, count: d)
        rows.withUnsafeBufferPointer { rows in
            for id in scratch.ids {
                let base = Int(id) * d
                for j in 0..<d { sum[j] += Double(rows[base + j]) }
            }
        }
        let norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 0 else { return nil }
        return sum.map { Float($0 / norm) }
    }

    /// The question's vector.
    public func vector(of text: String) -> [Float]? {
        var scratch = Scratch(vocabulary: vocabulary)
        var copy = text
        return copy.withUTF8 { vector($0, range: 0..<$0.count, scratch: &scratch) }
    }

    /// The stored vectors of `units` (byte ranges of `bytes`): `dimensions`
    /// int8 each, zeros for a unit with no weighed piece. Workers take
    /// disjoint units: the same bytes for any number of them.
    public func unitVectors(_ bytes: UnsafeBufferPointer<UInt8>, starts: [Int32], ends: [Int32], workers: Int) -> [Int8] {
        let d = dimensions, n = starts.count
        var out = [Int8](repeating: 0, count: n * d)
        let parts = max(1, min(workers, n))
        out.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let out = buffer
            nonisolated(unsafe) let bytes = bytes
            DispatchQueue.concurrentPerform(iterations: parts) { w in
                var scratch = Scratch(vocabulary: vocabulary)
                for u in (n * w / parts)..<(n * (w + 1) / parts) {
                    guard let v = vector(bytes, range: Int(starts[u])..<Int(ends[u]), scratch: &scratch) else { continue }
                    for j in 0..<d { out[u * d + j] = Self.quantise(v[j]) }
                }
            }
        }
        return out
    }

    @inline(__always)
    static func quantise(_ x: Float) -> Int8 { Int8(max(-127, min(127, (x * 127).rounded()))) }

    /// Per worker: a tokenizer and its buffers.
    public struct Scratch {
        var tokenizer: WordPieceTokenizer
        var ids: [Int32] = []
        public init(vocabulary: WordPieceVocabulary) { tokenizer = WordPieceTokenizer(vocabulary: vocabulary) }
    }
}
