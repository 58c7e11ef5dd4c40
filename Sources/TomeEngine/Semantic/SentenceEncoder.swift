import Foundation

/// all-MiniLM-L6-v2: a 6-layer BERT encoder (hidden size H = 384, 12 heads
/// of 32, feed-forward 1536), mean-pooled into a sentence vector. The
/// arithmetic of HuggingFace's `BertModel` in float32, written out:
///
///     x₀ = LN(E_word[id] + E_pos[i] + E_type[0])
///     for each layer:
///         Q, K, V = x Wqᵀ + bq, x Wkᵀ + bk, x Wvᵀ + bv        (per head h: 32 columns)
///         A_h = softmax(Q_h K_hᵀ / √32) V_h
///         x = LN(x + [A_1 … A_12] Woᵀ + bo)
///         x = LN(x + gelu(x W1ᵀ + b1) W2ᵀ + b2),   gelu(z) = z · ½(1 + erf(z / √2))
///     sentence = Σ_i x_i / n                             (mean over all n positions, [CLS] and [SEP] included)
///
/// with LN(z) = (z − mean z) / √(var z + 1e-12) · γ + β. Sequences are cut
/// to `maxTokens` (256, as sentence-transformers does). Every sum runs in a
/// fixed order (no threads, no fused multiply-add), so the same ids give the
/// same bits for any number of workers; exp and erf come from the C
/// library, whose last bits may differ between machines (the distilled
/// vectors are made once, at install). Golden-tested against the reference
/// implementation's vectors (Tests/TomeEngineTests/Fixtures).
public struct SentenceEncoder: Sendable {
    public static let hidden = 384
    static let heads = 12
    static let headSize = 32
    static let intermediate = 1536
    static let layerCount = 6
    public static let maxTokens = 256

    /// y = x Wᵀ + b for x of `inputs` columns; W is `outputs` × `inputs`, row-major (PyTorch's layout).
    struct Linear: Sendable {
        var weight: [Float]
        var bias: [Float]
        var inputs: Int
        var outputs: Int
    }

    struct Norm: Sendable {
        var gamma: [Float]
        var beta: [Float]
    }

    struct Layer: Sendable {
        var query, key, value, output: Linear
        var attentionNorm: Norm
        var up, down: Linear
        var outputNorm: Norm
    }

    let wordEmbeddings: [Float]
    let positionEmbeddings: [Float]
    let typeEmbedding: [Float]
    let embeddingNorm: Norm
    let layers: [Layer]
    public let vocabularySize: Int

    /// The encoder from the bytes of `model.safetensors` (the caller reads the file).
    public init(safetensors bytes: some ContiguousBytes) throws(EngineError) {
        // withUnsafeBytes rethrows untyped: the typed error is carried out in a Result.
        var encoder: Result<SentenceEncoder, EngineError> = .failure(.damaged("no bytes read"))
        bytes.withUnsafeBytes { raw in encoder = Result { () throws(EngineError) in try SentenceEncoder(SafeTensors(raw)) } }
        self = try encoder.get()
    }

    /// The encoder from all-MiniLM-L6-v2's `model.safetensors` (BertModel names).
    public init(_ tensors: SafeTensors) throws(EngineError) {
        let h = Self.hidden
        guard let words = tensors.tensors["embeddings.word_embeddings.weight"], words.shape.count == 2, words.shape[1] == h else {
            throw .damaged("the model has no word embeddings of width \(h)")
        }
        vocabularySize = words.shape[0]
        wordEmbeddings = words.values
        positionEmbeddings = try tensors.tensor("embeddings.position_embeddings.weight", [512, h])
        typeEmbedding = Array(try tensors.tensor("embeddings.token_type_embeddings.weight", [2, h]).prefix(h))
        func norm(_ name: String) throws(EngineError) -> Norm {
            Norm(gamma: try tensors.tensor(name + ".weight", [h]), beta: try tensors.tensor(name + ".bias", [h]))
        }
        func linear(_ name: String, _ inputs: Int, _ outputs: Int) throws(EngineError) -> Linear {
            Linear(weight: try tensors.tensor(name + ".weight", [outputs, inputs]), bias: try tensors.tensor(name + ".bias", [outputs]),
                   inputs: inputs, outputs: outputs)
        }
        embeddingNorm = try norm("embeddings.LayerNorm")
        var layers: [Layer] = []
        for l in 0..<Self.layerCount {
            let p = "encoder.layer.\(l)."
            layers.append(Layer(
                query: try linear(p + "attention.self.query", h, h), key: try linear(p + "attention.self.key", h, h),
                value: try linear(p + "attention.self.value", h, h), output: try linear(p + "attention.output.dense", h, h),
                attentionNorm: try norm(p + "attention.output.LayerNorm"),
                up: try linear(p + "intermediate.dense", h, Self.intermediate), down: try linear(p + "output.dense", Self.intermediate, h),
                outputNorm: try norm(p + "output.LayerNorm")))
        }
        self.layers = layers
    }

    /// The mean-pooled sentence vector of `ids` (with [CLS] and [SEP]; cut to `maxTokens`), not normalised.
    public func meanPooled(_ ids: [Int32]) -> [Float] {
        meanPooled(batch: [ids])[0]
    }

    /// Mean-pooled vectors of sequences of one length (they are run as one
    /// matrix, which is what makes distilling a whole vocabulary affordable).
    public func meanPooled(batch: [[Int32]]) -> [[Float]] {
        let states = hiddenStates(batch: batch)
        let length = min(batch.first?.count ?? 0, Self.maxTokens), h = Self.hidden
        return batch.indices.map { s in
            var sum = [Float](repeating: 0, count: h)
            for i in 0..<length {
                for j in 0..<h { sum[j] += states[(s * length + i) * h + j] }
            }
            return sum.map { $0 / Float(max(1, length)) }
        }
    }

    /// The last layer's states, row (sequence · length + position) by H.
    /// Every sequence must have the same length; ids outside the vocabulary read as 0 ([PAD]).
    public func hiddenStates(batch: [[Int32]]) -> [Float] {
        let h = Self.hidden
        let length = min(batch.first?.count ?? 0, Self.maxTokens)
        let rows = batch.count * length
        guard rows > 0 else { return [] }
        var x = [Float](repeating: 0, count: rows * h)
        for (s, ids) in batch.enumerated() {
            precondition(ids.count >= length, "sequences of one batch have one length")
            for i in 0..<length {
                let id = Int(ids[i]) < vocabularySize && ids[i] >= 0 ? Int(ids[i]) : 0
                let row = (s * length + i) * h
                for j in 0..<h {
                    x[row + j] = wordEmbeddings[id * h + j] + positionEmbeddings[i * h + j] + typeEmbedding[j]
                }
            }
        }
        Self.normalise(&x, embeddingNorm)
        for layer in layers {
            let q = Self.apply(layer.query, x), k = Self.apply(layer.key, x), v = Self.apply(layer.value, x)
            let context = Self.attend(q: q, k: k, v: v, sequences: batch.count, length: length)
            var attended = Self.apply(layer.output, context)
            for i in attended.indices { attended[i] += x[i] }
            Self.normalise(&attended, layer.attentionNorm)
            var inner = Self.apply(layer.up, attended)
            for i in inner.indices { inner[i] = Self.gelu(inner[i]) }
            var out = Self.apply(layer.down, inner)
            for i in out.indices { out[i] += attended[i] }
            Self.normalise(&out, layer.outputNorm)
            x = out
        }
        return x
    }

    @inline(__always)
    static func gelu(_ z: Float) -> Float { z * 0.5 * (1 + erf(z * 0.70710678118654752)) }

    /// LN over each row of H.
    static func normalise(_ x: inout [Float], _ norm: Norm) {
        let h = hidden
        x.withUnsafeMutableBufferPointer { x in
            for row in stride(from: 0, to: x.count, by: h) {
                var mean: Float = 0
                for j in 0..<h { mean += x[row + j] }
                mean /= Float(h)
                var variance: Float = 0
                for j in 0..<h { let d = x[row + j] - mean; variance += d * d }
                variance /= Float(h)
                let scale = 1 / (variance + 1e-12).squareRoot()
                for j in 0..<h { x[row + j] = (x[row + j] - mean) * scale * norm.gamma[j] + norm.beta[j] }
            }
        }
    }

    /// Scaled dot-product attention within each sequence, head by head.
    static func attend(q: [Float], k: [Float], v: [Float], sequences: Int, length: Int) -> [Float] {
        let h = hidden, d = headSize
        let scale = 1 / Float(d).squareRoot()
        var out = [Float](repeating: 0, count: q.count)
        var weights = [Float](repeating: 0, count: length)
        for s in 0..<sequences {
            for head in 0..<heads {
                let column = head * d
                for i in 0..<length {
                    let qi = (s * length + i) * h + column
                    var best = -Float.infinity
                    for j in 0..<length {
                        let kj = (s * length + j) * h + column
                        var dot: Float = 0
                        for c in 0..<d { dot += q[qi + c] * k[kj + c] }
                        weights[j] = dot * scale
                        best = max(best, weights[j])
                    }
                    var total: Float = 0
                    for j in 0..<length { weights[j] = exp(weights[j] - best); total += weights[j] }
                    for j in 0..<length {
                        let w = weights[j] / total
                        let vj = (s * length + j) * h + column
                        for c in 0..<d { out[qi + c] += w * v[vj + c] }
                    }
                }
            }
        }
        return out
    }

    /// y = x Wᵀ + b, two rows by four outputs at a time, each dot product
    /// in four lanes summed (lane 0 + lane 1) + (lane 2 + lane 3): a fixed
    /// order, fast enough to distil the vocabulary at install time.
    static func apply(_ linear: Linear, _ x: [Float]) -> [Float] {
        let n = linear.inputs, m = linear.outputs
        let rows = x.count / n
        var y = [Float](repeating: 0, count: rows * m)
        precondition(n % 4 == 0 && m % 4 == 0)
        x.withUnsafeBufferPointer { xb in
            linear.weight.withUnsafeBufferPointer { wb in
                y.withUnsafeMutableBufferPointer { yb in
                    guard let xBase = xb.baseAddress, let wBase = wb.baseAddress else { return }
                    let xp = UnsafeRawPointer(xBase), wp = UnsafeRawPointer(wBase)
                    func load(_ base: UnsafeRawPointer, _ offset: Int) -> SIMD4<Float> {
                        base.loadUnaligned(fromByteOffset: offset * 4, as: SIMD4<Float>.self)
                    }
                    func total(_ v: SIMD4<Float>) -> Float { (v[0] + v[1]) + (v[2] + v[3]) }
                    var r = 0
                    while r < rows {
                        let pair = r + 1 < rows
                        let x0 = r * n, x1 = (pair ? r + 1 : r) * n
                        for o in stride(from: 0, to: m, by: 4) {
                            var a00 = SIMD4<Float>(), a01 = SIMD4<Float>(), a02 = SIMD4<Float>(), a03 = SIMD4<Float>()
                            var a10 = SIMD4<Float>(), a11 = SIMD4<Float>(), a12 = SIMD4<Float>(), a13 = SIMD4<Float>()
                            let w0 = o * n, w1 = w0 + n, w2 = w1 + n, w3 = w2 + n
                            for c in stride(from: 0, to: n, by: 4) {
                                let u = load(xp, x0 + c), v = load(xp, x1 + c)
                                let k0 = load(wp, w0 + c), k1 = load(wp, w1 + c), k2 = load(wp, w2 + c), k3 = load(wp, w3 + c)
                                a00 += u * k0; a01 += u * k1; a02 += u * k2; a03 += u * k3
                                a10 += v * k0; a11 += v * k1; a12 += v * k2; a13 += v * k3
                            }
                            yb[r * m + o] = total(a00) + linear.bias[o]
                            yb[r * m + o + 1] = total(a01) + linear.bias[o + 1]
                            yb[r * m + o + 2] = total(a02) + linear.bias[o + 2]
                            yb[r * m + o + 3] = total(a03) + linear.bias[o + 3]
                            if pair {
                                yb[(r + 1) * m + o] = total(a10) + linear.bias[o]
                                yb[(r + 1) * m + o + 1] = total(a11) + linear.bias[o + 1]
                                yb[(r + 1) * m + o + 2] = total(a12) + linear.bias[o + 2]
                                yb[(r + 1) * m + o + 3] = total(a13) + linear.bias[o + 3]
                            }
                        }
                        r += 2
                    }
                }
            }
        }
        return y
    }
}
