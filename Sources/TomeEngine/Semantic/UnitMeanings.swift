import Dispatch

/// What an index keeps of the semantic head: each unit's vector, as int8
/// (`SemanticHead`), and the model they came from. An index built without
/// the model has none (`model` 0): it is asked lexically, as before.
public struct UnitMeanings: Sendable, Equatable {
    /// `SemanticHead.model`, or 0 when the units have no vectors.
    public var model: UInt64
    public var width: Int
    /// Row-major, `width` per unit: round(127 · v), read as code / 127.
    public var codes: [Int8]

    public static let none = UnitMeanings(model: 0, width: 0, codes: [])
    /// The scan reads sixteen dimensions at a time: a width is a multiple of it.
    public static let lanes = 16

    public init(model: UInt64, width: Int, codes: [Int8]) {
        self.model = model
        self.width = width
        self.codes = codes
    }

    public var isEmpty: Bool { model == 0 || width == 0 }

    /// sem⁺(u) for every unit (see `SemanticHead`): the cosine q · û as a
    /// z-score among the document's units, z = (cos − mean) / sd, then
    /// sem⁺ = min(1, max(0, z − z₀) / span). A document's sentences share
    /// its topic and are all somewhat alike; what meaning adds is the unit
    /// that stands out from them.
    ///
    /// The dot products are integer: the question's entries as
    /// round(4096 · q_i) (int16) against the stored int8 codes, summed in
    /// int32 (at most 127 · 4096 · width: no overflow below 4,096 dimensions),
    /// so cos = dot / (127 · 4096) has the same bits on any machine, and the
    /// scan is pairs of int16 products (SSE2's pmaddwd) rather than floats.
    public func scores(_ question: [Float], floor z0: Double, span: Double) -> [Float] {
        let d = width, n = width > 0 ? codes.count / width : 0
        guard question.count == d, d % Self.lanes == 0, n > 1 else { return [Float](repeating: 0, count: n) }
        let q = question.map { Int16(max(-4096, min(4096, ($0 * 4096).rounded()))) }
        var dots = [Int32](repeating: 0, count: n)
        codes.withUnsafeBufferPointer { codes in
            q.withUnsafeBufferPointer { q in
                dots.withUnsafeMutableBufferPointer { out in
                    guard let cBase = codes.baseAddress, let qBase = q.baseAddress else { return }
                    // Wrapping index arithmetic and two lanes of eight: the loop is loads, pmaddwd and adds.
                    // A long document's units in two halves, one a core: each unit's sum is the same whoever computes it.
                    nonisolated(unsafe) let out = out, codes = UnsafeRawPointer(cBase), qp = UnsafeRawPointer(qBase)
                    let parts = n >= 16_384 ? 2 : 1
                    DispatchQueue.concurrentPerform(iterations: parts) { part in
                        for u in (n * part / parts)..<(n * (part + 1) / parts) {
                            let row = codes + u &* d
                            var a = SIMD4<Int32>(), b = SIMD4<Int32>()
                            var j = 0
                            while j < d {
                                let p = SIMD8<Int32>(truncatingIfNeeded: row.loadUnaligned(fromByteOffset: j, as: SIMD8<Int8>.self))
                                    &* SIMD8<Int32>(truncatingIfNeeded: qp.loadUnaligned(fromByteOffset: j &* 2, as: SIMD8<Int16>.self))
                                let r = SIMD8<Int32>(truncatingIfNeeded: row.loadUnaligned(fromByteOffset: j &+ 8, as: SIMD8<Int8>.self))
                                    &* SIMD8<Int32>(truncatingIfNeeded: qp.loadUnaligned(fromByteOffset: (j &+ 8) &* 2, as: SIMD8<Int16>.self))
                                a &+= p.evenHalf &+ p.oddHalf
                                b &+= r.evenHalf &+ r.oddHalf
                                j &+= 16
                            }
                            out[u] = (a &+ b).wrappedSum()
                        }
                    }
                }
            }
        }
        let unit = 1 / (127.0 * 4096)
        var sum = 0.0, squares = 0.0
        for dot in dots { let c = Double(dot) * unit; sum += c; squares += c * c }
        let mean = sum / Double(n), sd = max(1e-6, (squares / Double(n) - mean * mean).squareRoot())
        return dots.map { dot in Float(min(1, max(0, (Double(dot) * unit - mean) / sd - z0) / span)) }
    }
}
