import Dispatch
import Synchronization

/// One vector per WordPiece id, distilled from the sentence encoder
/// (model2vec's idea, Tulkens & van Dongen 2024): the encoder reads each
/// piece alone, and its mean-pooled output is the piece's vector,
///
///     v_t = SentenceEncoder.meanPooled([CLS] t [SEP])
///
/// so that a sentence's vector at index time is a weighted sum of table
/// rows (`SemanticHead`) instead of six transformer layers: cheap enough to
/// give every unit of a million-token document a vector.
///
/// Each vector is then centred and projected on the pieces' principal
/// axes 2 … d+1 (`PrincipalAxes`, over the vocabulary's word pieces), the
/// space the semantic head compares in:
///
///     r_t = [a₂ … a_{d+1}]ᵀ (v_t − μ)
///
/// Bytes: "TOMEVEC" 2:u8 dims:u32 count:u32 model:u64 kept:u32
/// f32[count · kept] f32[count · dims], little-endian — the projected
/// vectors first, so the semantic head reads a prefix of the file and
/// never the encoder's own (`headerLength`, `projectedLength`); `model`
/// is the fingerprint of the weights distilled.
public struct StaticVectors: Sendable, Equatable {
    public var dimensions: Int
    public var count: Int
    /// FNV-1a 64 of the model file the vectors were distilled from.
    public var model: UInt64
    /// Row-major: piece t's vector is `values[t · dimensions ..< (t + 1) · dimensions]`.
    public var values: [Float]
    /// The width of the projected vectors, and piece t's at `projected[t · kept ..< (t + 1) · kept]`.
    public var kept: Int
    public var projected: [Float]

    /// How many principal axes the projection keeps (after the first, dropped).
    public static let keptAxes = 192

    static let magic = Array("TOMEVEC".utf8)
    /// Where `tome-distil` writes them, in the model's folder.
    public static let fileName = "static-vectors.bin"

    /// FNV-1a 64 of a model file's bytes: which weights a set of vectors (and the codes made from them) came from.
    public static func fingerprint(of bytes: some Sequence<UInt8>) -> UInt64 { CanonicalForm.fnv1a(bytes) }

    public init(dimensions: Int, count: Int, model: UInt64, values: [Float], kept: Int, projected: [Float]) {
        self.dimensions = dimensions
        self.count = count
        self.model = model
        self.values = values
        self.kept = kept
        self.projected = projected
    }

    /// `values` projected on axes 2 … kept+1 of the rows in `axesFrom` (the vocabulary's word pieces).
    static func project(_ values: [Float], dimensions: Int, axesFrom rows: Range<Int>, kept: Int) -> [Float] {
        let sample = Array(values[(rows.lowerBound * dimensions)..<(rows.upperBound * dimensions)])
        let (mean, axes, _) = PrincipalAxes.of(sample, width: dimensions)
        let used = Array(axes.dropFirst().prefix(kept))
        let count = values.count / dimensions
        var out = [Float](repeating: 0, count: count * used.count)
        var centred = [Double](repeating: 0, count: dimensions)
        for t in 0..<count {
            for j in 0..<dimensions { centred[j] = Double(values[t * dimensions + j]) - mean[j] }
            for (k, axis) in used.enumerated() {
                var dot = 0.0
                for j in 0..<dimensions { dot += axis[j] * centred[j] }
                out[t * used.count + k] = Float(dot)
            }
        }
        return out
    }

    /// Runs `encoder` on every id of its vocabulary, `batch` ids at a time
    /// spread over `workers` (each batch is computed alone: the same vectors
    /// for any number of workers). `progress(done, total)` is called as batches end.
    public static func distil(_ encoder: SentenceEncoder, vocabulary: WordPieceVocabulary, model: UInt64, workers: Int,
                              batch: Int = 256, progress: @Sendable (Int, Int) -> Void = { _, _ in }) -> StaticVectors {
        let classToken = vocabulary.classToken, separator = vocabulary.separator
        let n = encoder.vocabularySize, h = SentenceEncoder.hidden
        var values = [Float](repeating: 0, count: n * h)
        let batches = (n + batch - 1) / batch
        let done = Atomic<Int>(0)
        values.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let out = buffer
            DispatchQueue.concurrentPerform(iterations: max(1, workers)) { worker in
                var b = worker
                while b < batches {
                    let ids = (b * batch)..<min(n, (b + 1) * batch)
                    let pooled = encoder.meanPooled(batch: ids.map { [classToken, Int32($0), separator] })
                    for (i, id) in ids.enumerated() {
                        for j in 0..<h { out[id * h + j] = pooled[i][j] }
                    }
                    progress((done.add(1, ordering: .relaxed).newValue) * batch, n)
                    b += max(1, workers)
                }
            }
        }
        let kept = min(keptAxes, (h - 1) / UnitMeanings.lanes * UnitMeanings.lanes)
        let projected = project(values, dimensions: h, axesFrom: vocabulary.firstWordPiece..<n, kept: kept)
        return StaticVectors(dimensions: h, count: n, model: model, values: values, kept: kept, projected: projected)
    }

    public func encoded() -> [UInt8] {
        var w = IndexArchive.Writer()
        w.bytes(Self.magic)
        w.bytes([Self.version])
        w.int(UInt32(dimensions))
        w.int(UInt32(count))
        w.int(model)
        w.int(UInt32(kept))
        w.array(projected)
        w.array(values)
        return w.out
    }

    static let version: UInt8 = 2
    /// The bytes before the vectors.
    public static let headerLength = 7 + 1 + 4 + 4 + 8 + 4

    /// How many bytes from the start of a file hold its header and projected
    /// vectors, read from its first `headerLength` bytes (nil: not static vectors).
    public static func projectedLength(header: [UInt8]) -> Int? {
        guard header.count >= headerLength, Array(header[0..<7]) == magic, header[7] == version else { return nil }
        func u32(_ at: Int) -> Int { (0..<4).reduce(0) { $0 | Int(header[at + $1]) << (8 * $1) } }
        let count = u32(12), kept = u32(24)
        guard count <= 1 << 22, kept <= 4096 else { return nil }
        return headerLength + count * kept * 4
    }

    /// `projectedOnly`: the bytes may end after the projected vectors (the
    /// semantic head reads only those; the raw ones are for checking the distillation).
    public init(decoding bytes: [UInt8], projectedOnly: Bool = false) throws(EngineError) {
        var r = IndexArchive.Reader(bytes)
        guard try r.bytes(Self.magic.count) == Self.magic, try r.bytes(1) == [Self.version] else {
            throw .damaged("not static vectors of this version (run make model again)")
        }
        let dimensions = Int(try r.int(UInt32.self)), count = Int(try r.int(UInt32.self))
        guard dimensions > 0, dimensions <= 4096, count > 0, count <= 1 << 22 else { throw .damaged("static vectors of \(count) × \(dimensions)") }
        model = try r.int(UInt64.self)
        kept = Int(try r.int(UInt32.self))
        guard kept > 0, kept <= dimensions, kept % UnitMeanings.lanes == 0 else {
            throw .damaged("static vectors projected on \(kept) axes (a multiple of \(UnitMeanings.lanes) is read)")
        }
        projected = try r.array(Float.self, kept * count)
        if projectedOnly {
            values = []
        } else {
            values = try r.array(Float.self, dimensions * count)
            guard r.atEnd else { throw .damaged("bytes after the static vectors") }
        }
        guard values.allSatisfy(\.isFinite), projected.allSatisfy(\.isFinite) else { throw .damaged("static vectors that are not finite") }
        self.dimensions = dimensions
        self.count = count
    }
}
