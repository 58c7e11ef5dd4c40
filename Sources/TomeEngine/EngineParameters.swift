/// Every tunable of the engine, in one place, each default with its reason
/// (nanoGPT's `GPTConfig` is the model). Pipelines may override them.
public struct EngineParameters: Sendable, Equatable, Codable {
    /// Tokens per block, the unit the lightning indexer selects. 64 keeps a
    /// block to two or three sentences of prose, so a selected block is
    /// specific; 32 selected blocks then cover ~2,048 tokens, DSA's budget.
    public var blockTokens = 64
    /// Keys per block: unigrams, bigrams, trigrams, numbers-and-names.
    public var indexHeads = 4
    /// Width of each key. DESIGN.md says 64; measured on a 1M-token document
    /// (120 questions, Benchmarks/README.md), 64 dims put ~60 n-grams × 4
    /// non-zeros into 64 slots and the sparse first answer agreed with dense
    /// on 98.3%; 128 agreed on 100% for ~1 ms more per ask (a 16-lane SIMD
    /// scan) and ~0.02 s more analysis per million tokens.
    public var indexDim = 128
    /// Non-zeros of each n-gram's ±1 pattern in a key. More spreads collisions
    /// thinner but costs proportionally; 4 is the usual sparse-JL choice.
    public var patternNonZeros = 4
    /// Blocks selected by the indexer (before the first block and neighbours).
    public var topK = 32
    /// Selected blocks bring their neighbours this far on each side (NSA's local window).
    public var neighbours = 1
    /// Attention temperature scale s in β(n) = s · ln n.
    public var temperatureScale = 2.0
    /// Sinkhorn-Knopp iterations and tolerance.
    public var sinkhornIterations = 20
    public var sinkhornEpsilon = 1e-6

    public init() {}
}
