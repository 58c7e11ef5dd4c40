import Foundation

/// Sinkhorn-Knopp balancing of a probes × units score matrix (mHC's
/// projection onto doubly-stochastic matrices), so that several probes at
/// once spend their attention without taking the same unit twice.
///
/// From logits Z (m × n), find P = diag(a) · e^Z · diag(b) with row sums r_i
/// (default 1: each probe spends unit mass) and column sums c_j (default m/n:
/// units shared evenly), by alternately rescaling rows and columns in the log
/// domain (log-sum-exp, so large logits cannot overflow):
///
///     log P_ij ← log P_ij − (LSE_j log P_ij − ln r_i)      (rows)
///     log P_ij ← log P_ij − (LSE_i log P_ij − ln c_j)      (columns)
///
/// Invariants (tested): P ≥ 0; row and column sums within `epsilon` of their
/// targets once converged; for a square matrix the spectral norm is ≤ 1 + ε.
public enum Sinkhorn {
    public struct Result: Sendable {
        /// Row-major m × n.
        public var matrix: [Double]
        public var iterations: Int
        /// The largest deviation of a row or column sum from its target.
        public var error: Double
    }

    public static func balance(logits: [Double], rows m: Int, columns n: Int, iterations: Int = 20, epsilon: Double = 1e-6) -> Result {
        precondition(logits.count == m * n && m > 0 && n > 0, "shape")
        let logRow = 0.0                                   // r_i = 1
        let logColumn = log(Double(m) / Double(n))          // c_j = m / n
        var p = logits
        var done = 0
        var error = Double.infinity
        while done < iterations {
            for i in 0..<m {
                let lse = logSumExp((0..<n).lazy.map { p[i * n + $0] })
                for j in 0..<n { p[i * n + j] -= lse - logRow }
            }
            for j in 0..<n {
                let lse = logSumExp((0..<m).lazy.map { p[$0 * n + j] })
                for i in 0..<m { p[i * n + j] -= lse - logColumn }
            }
            done += 1
            error = deviation(p, m: m, n: n)
            if error <= epsilon { break }
        }
        return Result(matrix: p.map { exp($0) }, iterations: done, error: error)
    }

    /// max over rows and columns of |sum − target|, with P = e^p.
    static func deviation(_ p: [Double], m: Int, n: Int) -> Double {
        var worst = 0.0
        for i in 0..<m { worst = max(worst, abs((0..<n).reduce(0) { $0 + exp(p[i * n + $1]) } - 1)) }
        let target = Double(m) / Double(n)
        for j in 0..<n { worst = max(worst, abs((0..<m).reduce(0) { $0 + exp(p[$1 * n + j]) } - target)) }
        return worst
    }

    static func logSumExp(_ values: some Sequence<Double>) -> Double {
        var softmax = StreamingSoftmax()
        softmax.add(contentsOf: values)
        return softmax.logSumExp
    }
}
