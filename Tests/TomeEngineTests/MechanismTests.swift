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
    @Test(arguments: [UInt64(1), 2, 3])
    func int8DotProductsStayWithinTheQuantisationBound(seed: UInt64) {
        var rng = SeededGenerator(state: seed)
        let heads = 4, dim = 64
        var keys = IndexKeys(heads: heads, dim: dim)
        var floats: [[Float]] = []
        for _ in 0..<20 {
            let block = (0..<(heads * dim)).map { _ in Float.random(in: -1...1, using: &rng) }
            floats.append(block)
            keys.append(block: block)
        }
        for _ in 0..<20 {
            let q = (0..<dim).map { _ in Float.random(in: -1...1, using: &rng) }
            let l1 = q.reduce(0) { $0 + abs($1) }
            for (b, block) in floats.enumerated() {
                for j in 0..<heads {
                    let exact = (0..<dim).reduce(Float(0)) { $0 + q[$1] * block[j * dim + $1] }
                    let quantised = zip(q, keys.dequantised(block: b, head: j)).reduce(Float(0)) { $0 + $1.0 * $1.1 }
                    let bound = l1 * keys.scales[b * heads + j] / 2
                    #expect(abs(exact - quantised) <= bound * 1.0001 + 1e-6)
                }
            }
        }
    }

    @Test(arguments: [UInt64(1), 2, 3, 4])
    func heapTopKEqualsSortTopK(seed: UInt64) {
        var rng = SeededGenerator(state: seed)
        // Few distinct values, so ties are common and the tie rule is tested too.
        let scores = (0..<1000).map { _ in Float(Int.random(in: 0...50, using: &rng)) }
        for k in [1, 5, 32, 999, 1000, 2000] {
            let bySort = scores.enumerated().sorted { ($0.element, -$0.offset) > ($1.element, -$1.offset) }.prefix(k).map(\.offset)
            #expect(LightningIndexer.topK(scores, k: k) == Array(bySort))
        }
    }

    @Test func selectionAddsTheFirstBlockAndNeighbours() {
        var scores = [Float](repeating: 0, count: 20)
        scores[10] = 5
        scores[15] = 4
        #expect(LightningIndexer.select(scores, k: 2, neighbours: 1) == [0, 9, 10, 11, 14, 15, 16])
    }
}

@Suite struct EngramTests {
    @Test func countMinNeverUnderCounts() {
        var rng = SeededGenerator(state: 7)
        // A small layout, so collisions happen.
        let layout = EngramLayout(orders: 3, heads: 2, sizes: [[101, 103], [107, 109], [113, 127]])
        let hasher = NgramHasher(layout: layout)
        var counters = [UInt32](repeating: 0, count: EngramMemory.counterCount(layout))
        var exactDF: [[UInt64]: Int] = [:], exactCF: [[UInt64]: Int] = [:]
        counters.withUnsafeMutableBufferPointer { buffer in
            var memory = EngramMemory(hasher: hasher, counters: buffer, documents: 0, totals: [0, 0, 0])
            for _ in 0..<30 {
                let ids = (0..<200).map { _ in UInt64.random(in: 1...60, using: &rng) }
                var contribution = EngramContribution(layout: layout)
                contribution.add(runs: ids, boundaries: [ids.count], hasher: hasher)
                memory.apply(contribution, sign: 1)
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

    @Test func removingADocumentRestoresTheCounts() {
        let layout = EngramLayout(orders: 3, heads: 2, sizes: [[101, 103], [107, 109], [113, 127]])
        let hasher = NgramHasher(layout: layout)
        var counters = [UInt32](repeating: 0, count: EngramMemory.counterCount(layout))
        counters.withUnsafeMutableBufferPointer { buffer in
            var memory = EngramMemory(hasher: hasher, counters: buffer, documents: 0, totals: [0, 0, 0])
            var a = EngramContribution(layout: layout), b = EngramContribution(layout: layout)
            a.add(runs: [1, 2, 3, 4], boundaries: [4], hasher: hasher)
            b.add(runs: [3, 4, 5], boundaries: [3], hasher: hasher)
            memory.apply(a, sign: 1)
            let after = Array(buffer)
            memory.apply(b, sign: 1)
            #expect(memory.estimate([3, 4]).documents >= 2)
            memory.apply(b, sign: -1)
            #expect(Array(buffer) == after)
            #expect(memory.documents == 1)
        }
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
