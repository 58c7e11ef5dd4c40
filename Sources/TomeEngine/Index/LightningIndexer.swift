import Dispatch

/// DSA's lightning indexer at block level, made a bound (after Quest: select
/// by a bound of what attention will score, not by a noisy estimate of it).
///
/// A block's key is the set of its terms — the term ids (`TermKey`) of its
/// units and of the units just outside it, exactly what attention scores a
/// unit of the block on — kept as a Bloom signature: term t sets rows h₁(t)…h_H(t) of R
/// shared rows or, when it is in at least 1/D of the document's blocks, an
/// exact row of its own (common words would otherwise fill the shared rows
/// and make every rare term look present everywhere). Rows are stored
/// bit-sliced, row r holding one bit per block, so a question reads H rows
/// of ⌈blocks/64⌉ words per term, never a block's whole key.
///
/// Index score of block s for a question with term weights w_t:
///
///     I(q, s) = Σ_{t ∈ q} w_t · [every row of t is set for s]  /  Σ_{t ∈ q} w_t
///
/// A Bloom signature may claim a term it does not hold, never the reverse,
/// so I(q, s) is at least the coverage of any unit of s, and
///
///     bound(s) = I(q, s) · factor(s) ≥ score(u)   for every unit u of s
///
/// (factor: the block's best prior, see `DocumentIndex.blockFactors`;
/// a rare term's only holder scores without its prior, at most the bound without the factor,
/// and selection reads its blocks whatever their bound: `Attention.liftOnlyHolders`).
/// Sums run in the question's term order, so the bound holds in floating
/// point too (rounding is monotone). Hashed int8 keys, the first design,
/// lost exactly the blocks users ask for: a rare name is one n-gram among
/// ~190 hashed into 128 dimensions (Benchmarks/README.md).
public struct BlockSignatures: Sendable, Equatable {
    public var blockCount: Int
    public var sharedRows: Int
    public var hashes: Int
    /// Terms with a row of their own, ascending; term i's row is `sharedRows + i`.
    public var commonTerms: [UInt64]
    /// `words[row · wordsPerRow + b / 64]` bit `b % 64`: block b's signature has `row`.
    public var words: [UInt64]

    public init(blockCount: Int, sharedRows: Int, hashes: Int, commonTerms: [UInt64], words: [UInt64]) {
        self.blockCount = blockCount
        self.sharedRows = sharedRows
        self.hashes = hashes
        self.commonTerms = commonTerms
        self.words = words
    }

    public var rowCount: Int { sharedRows + commonTerms.count }
    public var wordsPerRow: Int { (blockCount + 63) >> 6 }

    /// Shared row `i` of a term: a splitmix64 finaliser of (term, i), mod R.
    @inline(__always)
    static func sharedRow(_ term: UInt64, _ i: Int, rows: Int) -> Int {
        var x = term &+ UInt64(i + 1) &* 0x9E37_79B9_7F4A_7C15
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        x ^= x >> 31
        return Int(x % UInt64(rows))
    }

    /// The exact row of a common term, if it has one.
    func commonRow(_ term: UInt64) -> Int? {
        var low = 0, high = commonTerms.count
        while low < high {
            let mid = (low + high) / 2
            if commonTerms[mid] < term { low = mid + 1 } else { high = mid }
        }
        return low < commonTerms.count && commonTerms[low] == term ? sharedRows + low : nil
    }

    /// Adds `weight` to `scores[s]` for every block s whose signature holds `term`.
    public func accumulate(term: UInt64, weight: Double, into scores: UnsafeMutableBufferPointer<Double>) {
        forEachBlock(holding: term) { scores[$0] += weight; return true }
    }

    /// The blocks whose signature holds `term`, ascending, or nil when there
    /// are more than `limit` (the count stops there: a common term costs
    /// what a rare one does).
    public func blocks(holding term: UInt64, limit: Int) -> [Int]? {
        var found: [Int] = [], over = false
        forEachBlock(holding: term) { b in
            guard found.count < limit else { over = true; return false }
            found.append(b)
            return true
        }
        return over ? nil : found
    }

    /// Calls `body` with every block whose signature holds `term` (each of
    /// its rows set), ascending, until `body` returns false.
    @inline(__always)
    private func forEachBlock(holding term: UInt64, _ body: (Int) -> Bool) {
        guard blockCount > 0 else { return }
        let wpr = wordsPerRow
        let bases = commonRow(term).map { [$0 * wpr] } ?? (0..<hashes).map { Self.sharedRow(term, $0, rows: sharedRows) * wpr }
        words.withUnsafeBufferPointer { words in
            for w in 0..<wpr {
                var bits = words[bases[0] + w]
                for r in 1..<bases.count where bits != 0 { bits &= words[bases[r] + w] }
                while bits != 0 {
                    guard body(w << 6 + bits.trailingZeroBitCount) else { return }
                    bits &= bits - 1
                }
            }
        }
    }

    /// Builds the signatures of `blockCount` blocks; `terms(b, &out)` sets
    /// `out` to block b's distinct term keys. Workers take 64-block ranges
    /// (disjoint words), so the result is the same for any number of them.
    static func build(blockCount: Int, parameters p: EngineParameters, workers: Int,
                      terms: @Sendable (Int, inout [UInt64]) -> Void) -> BlockSignatures {
        let common = commonTerms(blockCount: blockCount, parameters: p, terms: terms)
        var signatures = BlockSignatures(blockCount: blockCount, sharedRows: p.signatureRows, hashes: p.signatureHashes,
                                         commonTerms: common, words: [])
        let wpr = signatures.wordsPerRow
        var words = [UInt64](repeating: 0, count: signatures.rowCount * wpr)
        let frozen = signatures
        words.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let out = buffer
            let groups = wpr
            DispatchQueue.concurrentPerform(iterations: min(max(1, workers), max(1, groups))) { worker in
                var keys: [UInt64] = []
                var g = worker
                while g < groups {
                    for b in (g << 6)..<min(blockCount, (g + 1) << 6) {
                        terms(b, &keys)
                        let bit = UInt64(1) << UInt64(b & 63)
                        for key in keys {
                            if let own = frozen.commonRow(key) {
                                out[own * wpr + g] |= bit
                            } else {
                                for i in 0..<frozen.hashes { out[sharedRow(key, i, rows: frozen.sharedRows) * wpr + g] |= bit }
                            }
                        }
                    }
                    g += max(1, workers)
                }
            }
        }
        signatures.words = words
        return signatures
    }

    /// The terms in at least 1/D of the blocks, counted on every
    /// ⌈blocks/4096⌉-th block (a fixed sample: the same terms on any
    /// machine), at most `maxCommonTerms`, most frequent first. A term the
    /// sample misses only shares rows; it is never lost.
    static func commonTerms(blockCount: Int, parameters p: EngineParameters, terms: @Sendable (Int, inout [UInt64]) -> Void) -> [UInt64] {
        guard p.maxCommonTerms > 0, blockCount > 0 else { return [] }
        let stride = max(1, (blockCount + 4095) / 4096)
        var counts: [UInt64: Int] = [:]
        var keys: [UInt64] = []
        var sampled = 0
        for b in Swift.stride(from: 0, to: blockCount, by: stride) {
            terms(b, &keys)
            for key in keys { counts[key, default: 0] += 1 }
            sampled += 1
        }
        let threshold = max(2, (sampled + p.commonTermDivisor - 1) / p.commonTermDivisor)
        let frequent = counts.filter { $0.value >= threshold }.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
        return frequent.prefix(p.maxCommonTerms).map(\.key).sorted()
    }

    func validate(blocks: Int, parameters p: EngineParameters) throws(EngineError) {
        guard blockCount == blocks, sharedRows == p.signatureRows, hashes == p.signatureHashes else {
            throw .damaged("signatures do not match the blocks or the parameters")
        }
        guard words.count == rowCount * wordsPerRow else { throw .damaged("signature rows of the wrong size") }
        for i in commonTerms.indices.dropFirst() where commonTerms[i] <= commonTerms[i - 1] { throw .damaged("common terms out of order") }
    }
}
