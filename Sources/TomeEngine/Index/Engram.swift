import Foundation

/// Engram: a hashed N-gram memory with O(1) lookups (DeepSeek's conditional
/// memory, made a corpus statistic).
///
/// For N-gram orders n = 1…3 and hash heads h = 1…H, the n-gram ending at
/// token t lands in slot
///
///     mix  = (x_t · m[n,h,0]) ^ (x_{t-1} · m[n,h,1]) ^ … ^ (x_{t-n+1} · m[n,h,n-1])   (wrapping)
///     slot = fold32(mix) mod p[n,h]
///
/// where x are canonical token ids, m are odd 64-bit multipliers and every
/// table size p[n,h] is a distinct prime. Each slot holds a document
/// frequency (documents with an n-gram there) and a collection frequency
/// (occurrences). A lookup takes the minimum over heads: a count-min sketch,
/// which may over-count (collisions) but never under-counts.
///
/// Salience, O(1) from the counts, with N documents and T n-grams of that order:
///
///     salience(g) = ln(1 + (N + 1) / (df + ½)) + ln(1 + (T + 1) / (cf + 1))
///
/// The first term is rarity across documents; the second, rarity in the
/// collection, still informative when the corpus is one long document.
public struct EngramLayout: Sendable, Equatable, Codable {
    public var orders: Int
    public var heads: Int
    /// Table sizes, `[order - 1][head]`, distinct primes.
    public var sizes: [[Int]]

    public init(orders: Int, heads: Int, sizes: [[Int]]) {
        self.orders = orders
        self.heads = heads
        self.sizes = sizes
    }

    /// Unigram tables of ~131K slots hold a large vocabulary; bigram and
    /// trigram tables of ~524K slots keep the whole memory at 2 counters × 4
    /// bytes × ~4.7M slots = 38 MB. Measured on 1M tokens of the benchmark
    /// prose (2 cores): analysis 0.128 s and 155 MiB peak with these sizes,
    /// 0.224 s and 408 MiB with ~1M/4M-slot tables (290 MB). The price is
    /// count-min over-counting, which grows with the corpus (about
    /// n-grams ÷ table size per slot): a corpus past ~100M tokens would want
    /// larger tables, and the layout is in the file's header for that day.
    public static let standard = EngramLayout(orders: 3, heads: 4, sizes: [
        [131_071, 131_063, 131_059, 131_023],
        [524_287, 524_269, 524_261, 524_257],
        [524_243, 524_231, 524_219, 524_203],
    ])

    /// First counter of table (order, head) in the flat counter array.
    public func offset(order: Int, head: Int) -> Int {
        var offset = 0
        for o in 0..<(order - 1) { offset += sizes[o].reduce(0, +) }
        for h in 0..<head { offset += sizes[order - 1][h] }
        return offset
    }

    /// Slots over all tables.
    public var slotCount: Int { sizes.joined().reduce(0, +) }
}

/// Hashes N-grams of canonical ids to slots (see `EngramLayout`).
public struct NgramHasher: Sendable {
    public let layout: EngramLayout
    /// `multipliers[order - 1][head][k]`, odd.
    private let multipliers: [[[UInt64]]]
    /// Lemire's fastmod constants, one per table: `UInt64.max / p + 1`.
    private let magic: [[UInt64]]
    private let sizes: [[UInt64]]
    private let offsets: [[Int]]

    public init(layout: EngramLayout = .standard, seed: UInt64 = 0x5EED_7043_E4A9_1A11) {
        self.layout = layout
        var state = seed
        func next() -> UInt64 {  // splitmix64
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        multipliers = (1...layout.orders).map { order in
            (0..<layout.heads).map { _ in (0..<order).map { _ in next() | 1 } }
        }
        sizes = layout.sizes.map { $0.map(UInt64.init) }
        magic = layout.sizes.map { $0.map { UInt64.max / UInt64($0) &+ 1 } }
        offsets = (1...layout.orders).map { order in (0..<layout.heads).map { layout.offset(order: order, head: $0) } }
    }

    /// The flat counter index of the n-gram `ids[end - order + 1 ... end]` in table (order, head).
    @inline(__always)
    public func index(_ ids: UnsafeBufferPointer<UInt64>, end: Int, order: Int, head: Int) -> Int {
        let m = multipliers[order - 1][head]
        var mix: UInt64 = 0
        for k in 0..<order { mix ^= ids[end - k] &* m[k] }
        return offsets[order - 1][head] + Int(fastmod(fold(mix), order: order, head: head))
    }

    /// The flat counter index of an n-gram given as an array (questions, lookups).
    public func index(_ ngram: [UInt64], head: Int) -> Int {
        ngram.withUnsafeBufferPointer { index($0, end: ngram.count - 1, order: ngram.count, head: head) }
    }

    @inline(__always) private func fold(_ mix: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: mix ^ (mix >> 32)) }

    /// `x mod p` without a division (Lemire, Kaser & Kurz 2019).
    @inline(__always)
    private func fastmod(_ x: UInt32, order: Int, head: Int) -> UInt64 {
        let low = magic[order - 1][head] &* UInt64(x)
        return low.multipliedFullWidth(by: sizes[order - 1][head]).high
    }

    /// The table slot (not the flat index) of a flat index, for patterns.
    public func slot(ofIndex index: Int, order: Int, head: Int) -> Int { index - offsets[order - 1][head] }
}

/// One document's counts, kept compactly: the flat counter indexes it
/// touched, in ascending order, each with its collection frequency in the
/// document (its document frequency is 1 there), plus its n-grams per order.
///
/// Computed once, when the document is analysed, and stored with its index:
/// adding, removing and rebuilding the corpus memory all apply these same
/// bytes, so a removal takes away exactly what the addition put in.
///
/// Encoding: for each touched index, the varint of `gap << 1 | (count > 1)`
/// (gap from the previous index, the first from -1), then the varint of
/// `count - 2` when that bit is set. Most gaps are small and most counts 1,
/// so an entry is about one byte (a 1M-token document: ~4M entries, ~5 MB).
public struct EngramContribution: Sendable, Equatable {
    /// Counter slots of the layout it was counted with (bounds every index).
    public let slotCount: Int
    public private(set) var encoded: [UInt8]
    public private(set) var totals: [UInt64]

    /// Encodes dense per-slot counts (`counts.count == slotCount`).
    public init(counts: UnsafeBufferPointer<UInt32>, totals: [UInt64]) {
        slotCount = counts.count
        self.totals = totals
        var out: [UInt8] = []
        var previous = -1
        for i in 0..<counts.count where counts[i] != 0 {
            let count = counts[i]
            Varint.append(UInt64(i - previous - 1) << 1 | (count > 1 ? 1 : 0), to: &out)
            if count > 1 { Varint.append(UInt64(count - 2), to: &out) }
            previous = i
        }
        encoded = out
    }

    /// A stored contribution; `decode` checks it on use.
    public init(slotCount: Int, encoded: [UInt8], totals: [UInt64]) {
        self.slotCount = slotCount
        self.encoded = encoded
        self.totals = totals
    }

    /// Counts the n-grams (orders 1…3, within each run of `ids`) of a text.
    public init(runs ids: [UInt64], boundaries: [Int], hasher: NgramHasher) {
        var dense = [UInt32](repeating: 0, count: hasher.layout.slotCount)
        dense.withUnsafeMutableBufferPointer { counts in
            Self.count(runs: ids, boundaries: boundaries, hasher: hasher, into: counts) { _, _ in true }
        }
        self = dense.withUnsafeBufferPointer { Self(counts: $0, totals: Self.ngramTotals(boundaries: boundaries, orders: hasher.layout.orders)) }
    }

    /// Calls `body(index, count)` for every touched counter, in ascending
    /// order; throws if the bytes do not decode to indexes below `slotCount`.
    public func decode(_ body: (Int, UInt32) -> Void) throws(EngineError) {
        var reader = Varint.Reader(encoded)
        var index = -1
        while !reader.atEnd {
            let head = try reader.next()
            let gap = head >> 1
            guard gap < UInt64(slotCount) else { throw .damaged("Engram counts: an index past the tables") }
            index += Int(gap) + 1
            guard index < slotCount else { throw .damaged("Engram counts: an index past the tables") }
            var count: UInt32 = 1
            if head & 1 == 1 {
                let extra = try reader.next()
                guard extra < UInt64(UInt32.max - 1) else { throw .damaged("Engram counts: a count out of range") }
                count = UInt32(extra) + 2
            }
            body(index, count)
        }
    }

    /// Counts the n-grams of `ids` into the tables `(order, head)` for which
    /// `include` holds: workers given disjoint tables may fill one buffer at once.
    public static func count(runs ids: [UInt64], boundaries: [Int], hasher: NgramHasher, into counts: UnsafeMutableBufferPointer<UInt32>,
                             include: (Int, Int) -> Bool) {
        let layout = hasher.layout
        let tables = (1...layout.orders).flatMap { order in (0..<layout.heads).map { (order, $0) } }.filter { include($0.0, $0.1) }
        ids.withUnsafeBufferPointer { ids in
            for (order, head) in tables {
                var runStart = 0
                for runEnd in boundaries {
                    var t = runStart + order - 1
                    while t < runEnd {
                        counts[hasher.index(ids, end: t, order: order, head: head)] &+= 1
                        t += 1
                    }
                    runStart = runEnd
                }
            }
        }
    }

    /// N-grams per order in runs ending at `boundaries`.
    public static func ngramTotals(boundaries: [Int], orders: Int) -> [UInt64] {
        var totals = [UInt64](repeating: 0, count: orders)
        var runStart = 0
        for runEnd in boundaries {
            for order in 1...orders where runEnd - runStart >= order { totals[order - 1] += UInt64(runEnd - runStart - order + 1) }
            runStart = runEnd
        }
        return totals
    }
}

/// LEB128 varints, for the compact arrays of a stored index.
enum Varint {
    static func append(_ value: UInt64, to out: inout [UInt8]) {
        var v = value
        while v >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    struct Reader {
        let bytes: [UInt8]
        var position = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { position >= bytes.count }

        mutating func next() throws(EngineError) -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while position < bytes.count {
                let b = bytes[position]
                position += 1
                guard shift < 64 else { break }
                value |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return value }
                shift += 7
            }
            throw .damaged("a varint runs past its array")
        }
    }
}

/// The corpus memory: document and collection frequencies over every
/// document, in a flat buffer the caller owns (the daemon maps a file; tests
/// use an array). Layout: `df[slotCount]` then `cf[slotCount]`, UInt32 each.
public struct EngramMemory {
    public let hasher: NgramHasher
    public let counters: UnsafeMutableBufferPointer<UInt32>
    /// Documents counted, and n-grams per order over all of them.
    public var documents: UInt64
    public var totals: [UInt64]

    /// Counters a buffer must hold for `layout`.
    public static func counterCount(_ layout: EngramLayout) -> Int { 2 * layout.slotCount }

    public init(hasher: NgramHasher, counters: UnsafeMutableBufferPointer<UInt32>, documents: UInt64, totals: [UInt64]) {
        precondition(counters.count >= Self.counterCount(hasher.layout), "counter buffer too small")
        self.hasher = hasher
        self.counters = counters
        self.documents = documents
        self.totals = totals
    }

    /// Adds (`sign` +1) or removes (-1) one document's counts. Removing
    /// takes away exactly what adding the same contribution put in; a counter
    /// that would fall below zero (a contribution never added) stays at zero.
    public mutating func apply(_ contribution: EngramContribution, sign: Int) throws(EngineError) {
        guard contribution.slotCount == hasher.layout.slotCount, contribution.totals.count == totals.count else {
            throw .damaged("Engram counts of another table layout")
        }
        let n = hasher.layout.slotCount
        let counters = self.counters
        // Decode once to check, then change: a damaged contribution changes nothing.
        try contribution.decode { _, _ in }
        try contribution.decode { i, count in
            if sign > 0 {
                counters[i] &+= 1
                counters[n + i] &+= count
            } else {
                counters[i] = counters[i] > 0 ? counters[i] - 1 : 0
                counters[n + i] = counters[n + i] >= count ? counters[n + i] - count : 0
            }
        }
        if sign > 0 {
            documents += 1
            for o in totals.indices { totals[o] += contribution.totals[o] }
        } else {
            documents = documents > 0 ? documents - 1 : 0
            for o in totals.indices { totals[o] = totals[o] >= contribution.totals[o] ? totals[o] - contribution.totals[o] : 0 }
        }
    }

    /// Count-min estimates for an n-gram of 1…3 canonical ids: O(heads).
    public func estimate(_ ngram: [UInt64]) -> (documents: UInt32, occurrences: UInt32) {
        guard (1...hasher.layout.orders).contains(ngram.count) else { return (0, 0) }
        let n = hasher.layout.slotCount
        var df = UInt32.max, cf = UInt32.max
        for head in 0..<hasher.layout.heads {
            let i = hasher.index(ngram, head: head)
            df = min(df, counters[i])
            cf = min(cf, counters[n + i])
        }
        return (df, cf)
    }

    public func salience(_ ngram: [UInt64]) -> Double {
        let (df, cf) = estimate(ngram)
        let total = ngram.count <= totals.count ? totals[ngram.count - 1] : 0
        return Salience.value(df: Double(df), cf: Double(cf), documents: Double(documents), total: Double(total))
    }
}

public enum Salience {
    /// See `EngramLayout`'s doc for the formula.
    public static func value(df: Double, cf: Double, documents: Double, total: Double) -> Double {
        log(1 + (documents + 1) / (df + 0.5)) + log(1 + (total + 1) / (cf + 1))
    }
}
