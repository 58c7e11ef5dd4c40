import Dispatch
import Foundation

/// What the engine keeps of a document: its units (sentences, or pieces of
/// long ones), blocks of units, and the indexer's keys. Independent of every
/// other document.
public struct DocumentIndex: Sendable, Equatable {
    public var parameters: EngineParameters
    public var tokenCount: Int
    /// Units as UTF-8 byte ranges, in order.
    public var unitStarts: [Int32]
    public var unitEnds: [Int32]
    /// Block b holds units `blockFirstUnit[b] ..< blockFirstUnit[b + 1]` (the last runs to the end).
    public var blockFirstUnit: [Int32]
    public var keys: IndexKeys

    public init(parameters: EngineParameters, tokenCount: Int, unitStarts: [Int32], unitEnds: [Int32], blockFirstUnit: [Int32], keys: IndexKeys) {
        self.parameters = parameters
        self.tokenCount = tokenCount
        self.unitStarts = unitStarts
        self.unitEnds = unitEnds
        self.blockFirstUnit = blockFirstUnit
        self.keys = keys
    }

    public var unitCount: Int { unitStarts.count }
    public var blockCount: Int { blockFirstUnit.count }

    public func units(ofBlock b: Int) -> Range<Int> {
        Int(blockFirstUnit[b])..<(b + 1 < blockFirstUnit.count ? Int(blockFirstUnit[b + 1]) : unitCount)
    }

    /// Bytes this index takes in memory (for caches bounded by size).
    public var byteSize: Int { unitStarts.count * 8 + blockFirstUnit.count * 4 + keys.values.count + keys.scales.count * 4 }
}

/// A document's analysis: its index, and its Engram counts for the corpus memory.
public struct Analysis: Sendable {
    public var index: DocumentIndex
    public var engram: EngramContribution
}

/// text → tokens → sentences → blocks → Engram counts → keys.
///
/// The text is cut at paragraph breaks into one chunk per worker; each chunk
/// is tokenized, segmented and counted on its own core, the counts are summed,
/// and a second parallel pass builds each block's keys with the document's
/// own weights.
public struct DocumentAnalyzer: Sendable {
    public var parameters: EngineParameters
    public var hasher: NgramHasher
    public var workers: Int

    public init(parameters: EngineParameters = EngineParameters(), hasher: NgramHasher = NgramHasher(), workers: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.parameters = parameters
        self.hasher = hasher
        self.workers = max(1, workers)
    }

    /// The chunk of one worker after the first pass.
    private struct Chunk {
        var tokens: [Token] = []
        var units: [Sentence] = []
        var blocks: [Block] = []
        /// Canonical ids of the content tokens, and where each unit's run ends.
        var ids: [UInt64] = []
        var boundaries: [Int] = []
        var keys: IndexKeys
    }

    public func analyze(_ text: String) -> Analysis {
        var copy = text
        return copy.withUTF8 { analyze(bytes: $0) }
    }

    public func analyze(bytes: UnsafeBufferPointer<UInt8>) -> Analysis {
        let ranges = Self.chunkRanges(bytes, count: bytes.count < 1 << 16 ? 1 : workers)
        let layout = hasher.layout
        let chunks = UnsafeMutableBufferPointer<Chunk?>.allocate(capacity: ranges.count)
        chunks.initialize(repeating: nil)
        defer { chunks.deinitialize(); chunks.deallocate() }
        let parameters = self.parameters, hasher = self.hasher
        // The workers read the caller's text and write disjoint slots of
        // `chunks`; both outlive concurrentPerform, which returns when all are done.
        nonisolated(unsafe) let out = chunks
        nonisolated(unsafe) let bytes = bytes
        // Pass 1: tokens, units, blocks.
        DispatchQueue.concurrentPerform(iterations: ranges.count) { c in
            var chunk = Chunk(keys: IndexKeys(heads: parameters.indexHeads, dim: parameters.indexDim))
            var tokenizer = Tokenizer()
            tokenizer.tokenize(bytes, range: ranges[c], into: &chunk.tokens)
            let sentences = SentenceSplitter.split(bytes, tokens: chunk.tokens)
            chunk.units = BlockPacker.limit(sentences, tokens: chunk.tokens, tokenOffset: 0, blockTokens: parameters.blockTokens)
            chunk.blocks = BlockPacker.pack(chunk.units, blockTokens: parameters.blockTokens)
            (chunk.ids, chunk.boundaries) = Self.contentRuns(chunk.units, tokens: chunk.tokens)
            out[c] = chunk
        }
        // Counts: one buffer, its tables shared out between the workers (no per-worker copies to merge).
        var engram = EngramContribution(layout: layout)
        let workers = self.workers
        engram.counts.withUnsafeMutableBufferPointer { counts in
            nonisolated(unsafe) let counts = counts
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                for c in 0..<ranges.count {
                    guard let chunk = out[c] else { continue }
                    EngramContribution.count(runs: chunk.ids, boundaries: chunk.boundaries, hasher: hasher, into: counts) { order, head in
                        ((order - 1) * layout.heads + head) % workers == w
                    }
                }
            }
        }
        for c in 0..<ranges.count {
            guard let chunk = chunks[c] else { continue }
            for (o, n) in EngramContribution.ngramTotals(boundaries: chunk.boundaries, orders: layout.orders).enumerated() { engram.totals[o] += n }
        }
        // Pass 2: keys, weighted by the whole document's counts.
        let documentCounts = engram
        DispatchQueue.concurrentPerform(iterations: ranges.count) { c in
            guard var chunk = out[c] else { return }
            var scratch = KeyScratch(heads: parameters.indexHeads, dim: parameters.indexDim)
            chunk.keys.values.reserveCapacity(chunk.blocks.count * parameters.indexHeads * parameters.indexDim)
            for block in chunk.blocks {
                Self.blockKeys(block, units: chunk.units, tokens: chunk.tokens, counts: documentCounts, parameters: parameters,
                               hasher: hasher, scratch: &scratch)
                chunk.keys.append(block: scratch.keys)
            }
            out[c] = chunk
        }
        var index = DocumentIndex(parameters: parameters, tokenCount: 0, unitStarts: [], unitEnds: [], blockFirstUnit: [],
                                  keys: IndexKeys(heads: parameters.indexHeads, dim: parameters.indexDim))
        for c in 0..<ranges.count {
            guard let chunk = chunks[c] else { continue }
            let unitOffset = Int32(index.unitCount)
            index.tokenCount += chunk.tokens.count
            for unit in chunk.units {
                index.unitStarts.append(unit.start)
                index.unitEnds.append(unit.end)
            }
            for block in chunk.blocks { index.blockFirstUnit.append(block.firstSentence + unitOffset) }
            index.keys.values += chunk.keys.values
            index.keys.scales += chunk.keys.scales
        }
        return Analysis(index: index, engram: engram)
    }

    /// Canonical ids of the content tokens of each unit, with the end of each unit's run.
    static func contentRuns(_ units: [Sentence], tokens: [Token]) -> ([UInt64], [Int]) {
        var ids: [UInt64] = []
        ids.reserveCapacity(tokens.count)
        var boundaries: [Int] = []
        boundaries.reserveCapacity(units.count)
        for unit in units {
            for t in Int(unit.firstToken)..<Int(unit.firstToken + unit.tokenCount) where tokens[t].isContent { ids.append(tokens[t].id) }
            boundaries.append(ids.count)
        }
        return (ids, boundaries)
    }

    /// Buffers reused from block to block (a million tokens make ~16,000
    /// blocks: fresh arrays for each were a fifth of the analysis).
    struct KeyScratch {
        var keys: [Float]
        var grams: [(family: Int, index: Int, order: Int)] = []
        var ids: [UInt64] = []
        var named: [Bool] = []

        init(heads: Int, dim: Int) {
            keys = [Float](repeating: 0, count: heads * dim)
        }
    }

    /// ln(tf) for the term frequencies a block can have.
    static let logTF: [Float] = (0...256).map { $0 == 0 ? 0 : log(Float($0)) }

    /// The float keys (heads × dim) of one block, into `scratch.keys`; see `LightningIndexer`.
    static func blockKeys(_ block: Block, units: [Sentence], tokens: [Token], counts: EngramContribution,
                          parameters: EngineParameters, hasher: NgramHasher, scratch: inout KeyScratch) {
        let heads = parameters.indexHeads, dim = parameters.indexDim
        // (family, flat index of head 0) of every n-gram in the block, for tf.
        scratch.grams.removeAll(keepingCapacity: true)
        for u in Int(block.firstSentence)..<Int(block.firstSentence + block.sentenceCount) {
            let unit = units[u]
            scratch.ids.removeAll(keepingCapacity: true)
            scratch.named.removeAll(keepingCapacity: true)
            for t in Int(unit.firstToken)..<Int(unit.firstToken + unit.tokenCount) where tokens[t].isContent {
                scratch.ids.append(tokens[t].id)
                scratch.named.append(tokens[t].kind == .number || (tokens[t].capitalized && scratch.ids.count > 1))
            }
            let named = scratch.named
            scratch.ids.withUnsafeBufferPointer { ids in
                for t in 0..<ids.count {
                    for order in 1...min(3, hasher.layout.orders) where t - order + 1 >= 0 {
                        let index = hasher.index(ids, end: t, order: order, head: 0)
                        scratch.grams.append((order - 1, index, order))
                        if order == 1 && named[t] && heads > 3 { scratch.grams.append((3, index, 1)) }
                    }
                }
            }
        }
        scratch.grams.sort { ($0.family, $0.index) < ($1.family, $1.index) }
        let grams = scratch.grams
        for k in scratch.keys.indices { scratch.keys[k] = 0 }
        var i = 0
        while i < grams.count {
            var j = i + 1
            while j < grams.count && grams[j].family == grams[i].family && grams[j].index == grams[i].index { j += 1 }
            let g = grams[i]
            let tf = j - i
            // In-document rarity: the count-min over heads needs the other heads' slots, and head 0's is a fair upper bound.
            let cf = max(1, Float(counts.counts[g.index]))
            let total = Float(max(1, counts.totals[g.order - 1]))
            let weight = (1 + (tf < logTF.count ? logTF[tf] : log(Float(tf)))) * log(1 + total / cf)
            if g.family < heads {
                let slot = hasher.slot(ofIndex: g.index, order: g.order, head: 0)
                SparsePattern.positions(order: g.order, slot: slot, dim: dim, nonZeros: parameters.patternNonZeros) { d, sign in
                    scratch.keys[g.family * dim + d] += sign * weight
                }
            }
            i = j
        }
        for j in 0..<heads {
            var norm: Float = 0
            for d in 0..<dim { norm += scratch.keys[j * dim + d] * scratch.keys[j * dim + d] }
            norm = norm.squareRoot()
            if norm > 0 { for d in 0..<dim { scratch.keys[j * dim + d] /= norm } }
        }
    }

    /// Byte ranges for `count` chunks, cut at a paragraph break (blank line or
    /// form feed) near each even split point, else a line break, else a space.
    static func chunkRanges(_ bytes: UnsafeBufferPointer<UInt8>, count: Int) -> [Range<Int>] {
        guard count > 1, bytes.count > 0 else { return [0..<bytes.count] }
        var cuts = [0]
        for k in 1..<count {
            let target = bytes.count * k / count
            guard target > cuts[cuts.count - 1] else { continue }
            cuts.append(cut(bytes, near: target, after: cuts[cuts.count - 1]))
        }
        cuts.append(bytes.count)
        return zip(cuts, cuts.dropFirst()).compactMap { $0 < $1 ? $0..<$1 : nil }
    }

    private static func cut(_ bytes: UnsafeBufferPointer<UInt8>, near target: Int, after floor: Int) -> Int {
        let window = min(bytes.count, target + (1 << 16))
        for i in target..<window where bytes[i] == 0x0C || (bytes[i] == 0x0A && i + 1 < bytes.count && bytes[i + 1] == 0x0A) { return i + 1 }
        for i in target..<window where bytes[i] == 0x0A { return i + 1 }
        for i in target..<window where bytes[i] == 0x20 { return i + 1 }
        return max(floor, target)
    }
}

extension DocumentAnalyzer {
    /// Only the Engram counts of a text (for the corpus memory: removing a
    /// deleted document, rebuilding), without building keys.
    public func engramContribution(_ text: String) -> EngramContribution {
        var copy = text
        return copy.withUTF8 { bytes in
            var tokenizer = Tokenizer()
            var tokens: [Token] = []
            tokenizer.tokenize(bytes, range: 0..<bytes.count, into: &tokens)
            let units = BlockPacker.limit(SentenceSplitter.split(bytes, tokens: tokens), tokens: tokens, tokenOffset: 0, blockTokens: parameters.blockTokens)
            let (ids, boundaries) = Self.contentRuns(units, tokens: tokens)
            var contribution = EngramContribution(layout: hasher.layout)
            contribution.add(runs: ids, boundaries: boundaries, hasher: hasher)
            return contribution
        }
    }
}
