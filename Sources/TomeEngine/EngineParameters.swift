/// Every tunable of the engine, in one place, each default with its reason
/// (nanoGPT's `GPTConfig` is the model). Pipelines may override them.
public struct EngineParameters: Sendable, Equatable, Codable {
    /// Tokens per block, the unit the lightning indexer selects. 64 keeps a
    /// block to two or three sentences of prose, so a selected block is
    /// specific; 32 selected blocks then cover ~2,048 tokens, DSA's budget.
    public var blockTokens = 64
    /// Keys per block: unigrams, bigrams, trigrams, numbers-and-names.
    public var indexHeads = 4
    /// Width of each key. 64 int8 values hold a block's ~60 n-grams per
    /// family with few collisions at 4 non-zeros each; 128 measured no better
    /// first-answer agreement and doubled the scan.
    public var indexDim = 64
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
