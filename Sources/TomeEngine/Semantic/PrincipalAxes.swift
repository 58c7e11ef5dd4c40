/// The principal axes of a set of vectors, by the cyclic Jacobi method on
/// their covariance (Golub & Van Loan, §8.5), in Float64:
///
///     C = (1/n) Σ_r (x_r − μ)(x_r − μ)ᵀ,   C = Q Λ Qᵀ
///
/// Each rotation zeroes one off-diagonal entry C_pq with the angle
/// tan 2θ = 2 C_pq / (C_qq − C_pp); sweeps over every (p, q) run until the
/// off-diagonal mass is below 1e-24 of the total (or 30 sweeps). The axes
/// are returned by falling variance, each with its largest entry positive,
/// so the same vectors give the same axes on any machine.
///
/// The semantic head keeps axes 2 … d+1 of its pieces' vectors: the first
/// axis of an encoder's outputs is what every sentence shares (its
/// "common direction"), and dropping it and the weakest axes made
/// paraphrases rank higher on the tuning needles (Benchmarks/README.md).
public enum PrincipalAxes {
    /// The mean of `rows` vectors of `width` (row-major) and the covariance's eigenvectors, by falling eigenvalue.
    public static func of(_ values: [Float], width: Int) -> (mean: [Double], axes: [[Double]], variances: [Double]) {
        let rows = width > 0 ? values.count / width : 0
        guard rows > 1 else { return ([Double](repeating: 0, count: width), [], []) }
        var mean = [Double](repeating: 0, count: width)
        for r in 0..<rows { for j in 0..<width { mean[j] += Double(values[r * width + j]) } }
        for j in 0..<width { mean[j] /= Double(rows) }
        // C, upper triangle then mirrored: Σ over rows of the centred outer products.
        var c = [Double](repeating: 0, count: width * width)
        var centred = [Double](repeating: 0, count: width)
        for r in 0..<rows {
            for j in 0..<width { centred[j] = Double(values[r * width + j]) - mean[j] }
            for i in 0..<width {
                let ci = centred[i]
                for j in i..<width { c[i * width + j] += ci * centred[j] }
            }
        }
        for i in 0..<width {
            for j in i..<width {
                c[i * width + j] /= Double(rows)
                c[j * width + i] = c[i * width + j]
            }
        }
        let (eigenvalues, vectors) = jacobi(c, n: width)
        let order = eigenvalues.indices.sorted { (eigenvalues[$0], -$0) > (eigenvalues[$1], -$1) }
        let axes = order.map { k -> [Double] in
            var axis = (0..<width).map { vectors[$0 * width + k] }
            if let largest = axis.indices.max(by: { abs(axis[$0]) < abs(axis[$1]) }), axis[largest] < 0 { axis = axis.map { -$0 } }
            return axis
        }
        return (mean, axes, order.map { eigenvalues[$0] })
    }

    /// Eigenvalues and eigenvectors (columns of the returned n × n matrix) of a symmetric matrix.
    static func jacobi(_ matrix: [Double], n: Int) -> ([Double], [Double]) {
        var a = matrix
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        let total = a.reduce(0) { $0 + $1 * $1 }
        for _ in 0..<30 {
            var off = 0.0
            for p in 0..<n { for q in (p + 1)..<max(p + 1, n) { off += a[p * n + q] * a[p * n + q] } }
            if off <= 1e-24 * total { break }
            for p in 0..<n {
                for q in (p + 1)..<max(p + 1, n) where a[p * n + q] != 0 {
                    let apq = a[p * n + q]
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
                    let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let cosine = 1 / (t * t + 1).squareRoot(), sine = t * cosine
                    for k in 0..<n {
                        let akp = a[k * n + p], akq = a[k * n + q]
                        a[k * n + p] = cosine * akp - sine * akq
                        a[k * n + q] = sine * akp + cosine * akq
                    }
                    for k in 0..<n {
                        let apk = a[p * n + k], aqk = a[q * n + k]
                        a[p * n + k] = cosine * apk - sine * aqk
                        a[q * n + k] = sine * apk + cosine * aqk
                    }
                    for k in 0..<n {
                        let vkp = v[k * n + p], vkq = v[k * n + q]
                        v[k * n + p] = cosine * vkp - sine * vkq
                        v[k * n + q] = sine * vkp + cosine * vkq
                    }
                }
            }
        }
        return ((0..<n).map { a[$0 * n + $0] }, v)
    }
}
