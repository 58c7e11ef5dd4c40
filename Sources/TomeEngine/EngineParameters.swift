/// Every tunable of the engine, in one place, each default with its reason
/// (nanoGPT's `GPTConfig` is the model). A stored index keeps the
/// parameters it was built with, and is always asked with those. (What a
/// pipeline sets — summary lengths, the experts — is in `SummaryParameters`
/// and `ExtractionParameters`.)
///
/// The figures behind the defaults are in Benchmarks/README.md; they were
/// tuned on the tuning questions (Benchmarks/questions/tune.jsonl) and
/// reported on the held-out ones.
public struct EngineParameters: Sendable, Equatable, Codable {
    // MARK: Blocks

    /// Tokens per block, the unit the lightning indexer selects. 64 keeps a
    /// block to two or three sentences of prose, so a selected block is
    /// specific; 32 selected blocks then cover ~2,048 tokens, DSA's budget.
    /// At most 255 (a unit's length is stored in a byte).
    public var blockTokens = 64

    // MARK: Indexer (block signatures)

    /// Shared signature rows: each block's key is a Bloom signature of its
    /// terms over this many bits, stored bit-sliced (one row per bit, one bit
    /// per block). 2,048 keep the false-match rate of a term near 1 in 2,000
    /// blocks once the common terms have rows of their own, at 256 bytes a block.
    public var signatureRows = 2048
    /// Rows set by each term; a term is present where all of them are set.
    /// 3 is the Bloom optimum for ~60 terms in 2,048 bits.
    public var signatureHashes = 3
    /// A term in at least 1/`commonTermDivisor` of the blocks gets an exact
    /// row of its own (BitFunnel's "private rows"): common words would fill
    /// the shared rows and make every rare term look present everywhere.
    public var commonTermDivisor = 32
    /// At most this many terms get exact rows (the most frequent first).
    public var maxCommonTerms = 512

    // MARK: Selection

    /// Blocks selected by the indexer before the bound is checked: the top
    /// `topK` by their bound, ~2,048 tokens (DSA's budget).
    public var topK = 32
    /// Selection goes on past `topK`, in bound order, while a block's bound
    /// could still beat the k-th answer found (Quest's rule: select by a bound
    /// of what attention will score), up to this many blocks in all. Past it
    /// the answers are still the best of what was read, and `exact` says no.
    /// 1,024 (5% of a 1M-token document's blocks): with phrases the bound is
    /// checked against the tenth candidate, and at 512 it was not met for 3
    /// of the 110 tuning questions over 4.5M tokens (all met at 1,024).
    public var maxBlocks = 1024
    /// An answer holds at least this share of the attention the best answer
    /// holds; below it a unit is not a plausible answer (and no block that
    /// could only hold such units is read).
    public var answerFloor = 1e-3

    // MARK: Attention

    /// A unit's score is its salience-weighted coverage of the question's
    /// terms, Σ w^p over the terms it holds / Σ w^p over all; p = 2 lets a
    /// rare name or number count for more than several ordinary words.
    public var salienceExponent = 2.0
    /// A question term with a digit in it (a number, a code like E-4471, a
    /// version) weighs this many times more: a user who types 71951 wants
    /// that exact token, and its salience alone is only a little above an
    /// ordinary word's (the logarithm in it).
    public var keyTermWeight = 3.0
    /// A question term found only in a unit's neighbour (the sentence before
    /// or after) counts this much towards the unit's coverage: an answer
    /// often names its topic in the sentence before it.
    public var contextWeight = 0.5
    /// How many units on each side count as context, at contextWeight^distance.
    public var contextUnits = 1
    /// A question term found only in the heading of the unit's section counts
    /// this much: a reference page names its function once, at the top.
    public var sectionWeight = 0.5
    /// Units longer than this many content tokens are scaled by
    /// (n₀ / n)^`lengthExponent`: a long sentence that holds the terms says
    /// less about them than a short one. Shorter units are not favoured (a
    /// fragment is not a better answer).
    public var focusTokens = 24
    public var lengthExponent = 0.5
    /// Prior of a unit that is not prose: a heading, a short list item, a
    /// contents or index line (Ask.swift explains each).
    public var headingPrior = 0.5
    public var listItemPrior = 0.75
    public var contentsPrior = 0.25
    /// A heading that matches hands this share of its score to the prose under
    /// it: the answer is the section's own text.
    public var headingCredit = 0.9
    /// Attention temperature scale s in β(n) = s · ln n.
    public var temperatureScale = 2.0
    /// Bytes of passage before and after an answer's unit, cut at unit
    /// boundaries. More after than before: a sentence that matches the
    /// question is often followed by the one that answers it (on the tuning
    /// questions 200/560 held the fact more often than 320/320, in passages
    /// of about 630 bytes; an FTS5 block with its neighbours is about 770).
    public var passageBefore = 200
    public var passageAfter = 560

    // MARK: Meaning (the semantic head)

    /// How much a unit's meaning score counts beside its coverage:
    /// score(u) = (cov(u) + λ · sem⁺(u)) · prior(u). 0.3: a paraphrase that
    /// shares no word can still win, while a unit holding the question's
    /// terms outranks one that only resembles it (0.5 and more cost tuning
    /// manual questions: Benchmarks/README.md, "Meaning").
    public var meaningWeight = 0.3
    /// z₀ in sem⁺ = min(1, max(0, z − z₀) / span), z the unit's cosine as a
    /// z-score among its document's units: a document's sentences share its
    /// topic; below z₀ standard deviations above their mean a unit gets
    /// nothing from meaning (so a document of five units or fewer, where z
    /// cannot pass 2, gets nothing).
    public var meaningFloor = 2.0
    /// z₀ + span is the z-score at which sem⁺ reaches 1.
    public var meaningSpan = 3.0

    // MARK: Sinkhorn (multi-probe balancing)

    /// Sinkhorn-Knopp's tolerance (the summarizer sets its iterations: `SummaryParameters`).
    public var sinkhornEpsilon = 1e-6

    public init() {}

    /// Keys an index written before a parameter existed lacks take its default (so such an index is still read).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let v = try c.decodeIfPresent(type(of: blockTokens).self, forKey: .blockTokens) { blockTokens = v }
        if let v = try c.decodeIfPresent(type(of: signatureRows).self, forKey: .signatureRows) { signatureRows = v }
        if let v = try c.decodeIfPresent(type(of: signatureHashes).self, forKey: .signatureHashes) { signatureHashes = v }
        if let v = try c.decodeIfPresent(type(of: commonTermDivisor).self, forKey: .commonTermDivisor) { commonTermDivisor = v }
        if let v = try c.decodeIfPresent(type(of: maxCommonTerms).self, forKey: .maxCommonTerms) { maxCommonTerms = v }
        if let v = try c.decodeIfPresent(type(of: topK).self, forKey: .topK) { topK = v }
        if let v = try c.decodeIfPresent(type(of: maxBlocks).self, forKey: .maxBlocks) { maxBlocks = v }
        if let v = try c.decodeIfPresent(type(of: answerFloor).self, forKey: .answerFloor) { answerFloor = v }
        if let v = try c.decodeIfPresent(type(of: salienceExponent).self, forKey: .salienceExponent) { salienceExponent = v }
        if let v = try c.decodeIfPresent(type(of: keyTermWeight).self, forKey: .keyTermWeight) { keyTermWeight = v }
        if let v = try c.decodeIfPresent(type(of: contextWeight).self, forKey: .contextWeight) { contextWeight = v }
        if let v = try c.decodeIfPresent(type(of: contextUnits).self, forKey: .contextUnits) { contextUnits = v }
        if let v = try c.decodeIfPresent(type(of: sectionWeight).self, forKey: .sectionWeight) { sectionWeight = v }
        if let v = try c.decodeIfPresent(type(of: focusTokens).self, forKey: .focusTokens) { focusTokens = v }
        if let v = try c.decodeIfPresent(type(of: lengthExponent).self, forKey: .lengthExponent) { lengthExponent = v }
        if let v = try c.decodeIfPresent(type(of: headingPrior).self, forKey: .headingPrior) { headingPrior = v }
        if let v = try c.decodeIfPresent(type(of: listItemPrior).self, forKey: .listItemPrior) { listItemPrior = v }
        if let v = try c.decodeIfPresent(type(of: contentsPrior).self, forKey: .contentsPrior) { contentsPrior = v }
        if let v = try c.decodeIfPresent(type(of: headingCredit).self, forKey: .headingCredit) { headingCredit = v }
        if let v = try c.decodeIfPresent(type(of: temperatureScale).self, forKey: .temperatureScale) { temperatureScale = v }
        if let v = try c.decodeIfPresent(type(of: passageBefore).self, forKey: .passageBefore) { passageBefore = v }
        if let v = try c.decodeIfPresent(type(of: passageAfter).self, forKey: .passageAfter) { passageAfter = v }
        if let v = try c.decodeIfPresent(type(of: meaningWeight).self, forKey: .meaningWeight) { meaningWeight = v }
        if let v = try c.decodeIfPresent(type(of: meaningFloor).self, forKey: .meaningFloor) { meaningFloor = v }
        if let v = try c.decodeIfPresent(type(of: meaningSpan).self, forKey: .meaningSpan) { meaningSpan = v }
        if let v = try c.decodeIfPresent(type(of: sinkhornEpsilon).self, forKey: .sinkhornEpsilon) { sinkhornEpsilon = v }
    }
}
