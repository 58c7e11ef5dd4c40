import Foundation

/// Attention that stays exact and sharp at any length (the mHC idea).
///
/// Scores over n candidate units use a log-length temperature,
///
///     z_i = β(n) · s_i,   β(n) = s · ln n,
///
/// where s_i is the unit's score (`Attention`: the question's
/// salience-weighted coverage of the unit and its context, times its
/// prior), so attention does not flatten as documents grow, and the softmax is a
/// streaming log-sum-exp in Float64: a running maximum m and sum S,
///
///     add z:  if z > m { S = S · e^(m - z) + 1; m = z } else { S += e^(z - m) }
///     merge:  m = max(m₁, m₂);  S = S₁ · e^(m₁ - m) + S₂ · e^(m₂ - m)
///     p_i = e^(z_i - (m + ln S))
///
/// equal to the two-pass softmax to 1e-9 in any chunk order, with no NaN or
/// Inf for finite z (even ±1e300).
public struct StreamingSoftmax: Sendable, Equatable {
    public private(set) var maximum = -Double.infinity
    public private(set) var sum = 0.0

    public init() {}

    public mutating func add(_ z: Double) {
        if z > maximum {
            sum = sum * exp(maximum - z) + 1
            maximum = z
        } else {
            sum += exp(z - maximum)
        }
    }

    public mutating func add(contentsOf zs: some Sequence<Double>) {
        for z in zs { add(z) }
    }

    /// Combines the state of another chunk.
    public mutating func merge(_ other: StreamingSoftmax) {
        guard other.sum > 0 else { return }
        guard sum > 0 else { self = other; return }
        let m = max(maximum, other.maximum)
        sum = sum * exp(maximum - m) + other.sum * exp(other.maximum - m)
        maximum = m
    }

    /// ln Σ e^z.
    public var logSumExp: Double { maximum + log(sum) }

    public func probability(_ z: Double) -> Double { exp(z - logSumExp) }

    /// β(n) = s · ln n, at least s · ln 2 (one candidate still gets a finite temperature).
    public static func temperature(units n: Int, scale s: Double) -> Double {
        s * log(Double(max(2, n)))
    }
}
