/// DSA's lightning indexer at block level: score every block cheaply, send
/// only the top-k to full attention.
///
/// Each block s has `heads` keys k_{s,j} ∈ int8^dim (one scale each), one per
/// feature family j — unigrams, bigrams, trigrams, numbers-and-names:
///
///     k_{s,j} = normalise( Σ_{g ∈ block, family j} w(g) · pattern(g) ),   w(g) = (1 + ln tf_s(g)) · ln(1 + T_n / cf_doc(g))
///
/// with weights from the document alone (so a stored key never changes when
/// other documents arrive). A query q brings per-family vectors q_j (weighted
/// by Engram salience) and family weights w_j (its salience mass in j):
///
///     I(q, s) = Σ_j w_j · ReLU(q_j · k_{s,j})
///
/// Top-k by a bounded min-heap: O(blocks · log k).
public struct IndexKeys: Sendable, Equatable {
    public var heads: Int
    public var dim: Int
    /// `values[(block · heads + j) · dim + d]`.
    public var values: [Int8]
    /// `scales[block · heads + j]`: value ≈ int8 · scale.
    public var scales: [Float]

    public var blockCount: Int { heads == 0 ? 0 : scales.count / heads }

    public init(heads: Int, dim: Int, values: [Int8] = [], scales: [Float] = []) {
        self.heads = heads
        self.dim = dim
        self.values = values
        self.scales = scales
    }

    /// Appends one block's float keys (`heads × dim`), quantised per head:
    /// scale = max|v| / 127, int8 = round(v / scale). The dot product with any
    /// q then errs by at most ‖q‖₁ · scale / 2.
    public mutating func append(block keys: [Float]) {
        for j in 0..<heads {
            let row = keys[(j * dim)..<((j + 1) * dim)]
            let maxAbs = row.reduce(0) { max($0, abs($1)) }
            let scale = maxAbs > 0 ? maxAbs / 127 : 0
            scales.append(scale)
            let inverse = scale > 0 ? 1 / scale : 0
            // Round half away from zero by adding ±½ and truncating (|v · inverse| ≤ 127).
            for v in row { values.append(Int8(truncatingIfNeeded: Int32(v * inverse + (v < 0 ? -0.5 : 0.5)))) }
        }
    }

    /// Float key of (block, head), for tests of the quantisation bound.
    public func dequantised(block: Int, head: Int) -> [Float] {
        let base = (block * heads + head) * dim
        let scale = scales[block * heads + head]
        return (0..<dim).map { Float(values[base + $0]) * scale }
    }
}

/// A question as the indexer sees it.
public struct IndexQuery: Sendable {
    /// `vectors[j]`: the unit-length query for family j (empty family: zeros).
    public var vectors: [[Float]]
    /// `weights[j]`: the family's share of the query's salience; they sum to 1.
    public var weights: [Float]
}

public enum LightningIndexer {
    /// I(q, s) for every block: blocks × heads dot products of int8 keys
    /// (dim, s) with float queries, summed in 16-lane SIMD accumulators (a
    /// scalar float sum cannot be vectorised by the compiler without
    /// reassociating it; these lanes make that explicit).
    public static func scores(_ query: IndexQuery, keys: IndexKeys) -> [Float] {
        let heads = keys.heads, dim = keys.dim
        var out = [Float](repeating: 0, count: keys.blockCount)
        let lanes = dim / 16
        keys.values.withUnsafeBufferPointer { values in
            keys.scales.withUnsafeBufferPointer { scales in
                guard let base = values.baseAddress else { return }
                for j in 0..<heads where query.weights[j] > 0 {
                    let q = query.vectors[j]
                    let w = query.weights[j]
                    let qLanes = (0..<lanes).map { l in SIMD16<Float>(q[(l * 16)..<(l * 16 + 16)]) }
                    for s in 0..<out.count {
                        let row = (s * heads + j) * dim
                        var acc = SIMD16<Float>()
                        for l in 0..<lanes {
                            let k = UnsafeRawPointer(base + row + l * 16).loadUnaligned(as: SIMD16<Int8>.self)
                            acc += qLanes[l] * SIMD16<Float>(k)
                        }
                        var dot = acc.sum()
                        for d in (lanes * 16)..<dim { dot += q[d] * Float(values[row + d]) }  // a dim that is not a multiple of 16
                        out[s] += w * max(0, dot * scales[s * heads + j])
                    }
                }
            }
        }
        return out
    }

    /// The indexes of the `k` highest scores, best first (ties: lower index
    /// first), by a bounded min-heap.
    public static func topK(_ scores: [Float], k: Int) -> [Int] {
        guard k > 0 else { return [] }
        var heap = BoundedHeap(capacity: k)
        for (i, s) in scores.enumerated() { heap.offer(score: s, index: i) }
        return heap.sortedDescending()
    }

    /// The blocks attention will read: the top `k`, the first block, and the
    /// `neighbours` blocks on each side of every selected one, in order.
    public static func select(_ scores: [Float], k: Int, neighbours: Int) -> [Int] {
        guard !scores.isEmpty else { return [] }
        var chosen = Set<Int>([0])
        for i in topK(scores, k: k) {
            for n in max(0, i - neighbours)...min(scores.count - 1, i + neighbours) { chosen.insert(n) }
        }
        return chosen.sorted()
    }
}

/// A min-heap keeping the `capacity` best (score, index) pairs seen.
struct BoundedHeap {
    let capacity: Int
    private(set) var items: [(score: Float, index: Int)] = []

    init(capacity: Int) {
        self.capacity = capacity
        items.reserveCapacity(capacity)
    }

    /// `a` ranks below `b`: a lower score, or an equal score and a later index.
    @inline(__always) private static func below(_ a: (score: Float, index: Int), _ b: (score: Float, index: Int)) -> Bool {
        a.score < b.score || (a.score == b.score && a.index > b.index)
    }

    mutating func offer(score: Float, index: Int) {
        let item = (score: score, index: index)
        if items.count < capacity {
            items.append(item)
            var c = items.count - 1
            while c > 0 {
                let p = (c - 1) / 2
                guard Self.below(items[c], items[p]) else { break }
                items.swapAt(c, p)
                c = p
            }
        } else if let root = items.first, Self.below(root, item) {
            items[0] = item
            var p = 0
            while true {
                let l = 2 * p + 1, r = l + 1
                var m = p
                if l < items.count, Self.below(items[l], items[m]) { m = l }
                if r < items.count, Self.below(items[r], items[m]) { m = r }
                if m == p { break }
                items.swapAt(p, m)
                p = m
            }
        }
    }

    func sortedDescending() -> [Int] {
        items.sorted { Self.below($1, $0) }.map(\.index)
    }
}
