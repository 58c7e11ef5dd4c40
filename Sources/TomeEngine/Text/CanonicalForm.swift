import Foundation

/// Engram's tokenizer compression: a token's canonical form is
/// NFKC → NFD → strip combining marks → lowercase, so `Straße`/`STRASSE`
/// differ but `Café`/`cafe`, `ﬁle`/`file` and full-width `Ａ`/`a` meet.
/// (NFD of NFKC is NFKD, which is what is computed.)
///
/// The canonical id is FNV-1a 64 of the canonical UTF-8 bytes: documented,
/// identical across runs and machines (never `Hasher`, which is seeded per
/// process). ASCII takes a byte-wise fast path; other words go through
/// Foundation once and are cached, since its normalisation costs about a
/// microsecond a word on Linux.
public struct CanonicalForm {
    private var cache: [Substring: UInt64] = [:]

    public init() {}

    /// The id of `bytes[range]`.
    mutating func id(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, ascii: Bool) -> UInt64 {
        if ascii {
            var hash = Self.offsetBasis
            for i in range {
                var b = bytes[i]
                if b >= 0x41 && b <= 0x5A { b |= 0x20 }
                hash = (hash ^ UInt64(b)) &* Self.prime
            }
            return hash
        }
        let raw = Substring(String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self))
        if let cached = cache[raw] { return cached }
        let id = Self.fnv1a(Self.canonical(String(raw)).utf8)
        if cache.count > 200_000 { cache.removeAll(keepingCapacity: true) }  // bound memory on hostile text
        cache[raw] = id
        return id
    }

    /// The canonical form of `word`.
    public static func canonical(_ word: String) -> String {
        let decomposed = word.decomposedStringWithCompatibilityMapping
        var scalars = String.UnicodeScalarView()
        for scalar in decomposed.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .nonspacingMark, .spacingMark, .enclosingMark: continue
            default: scalars.append(scalar)
            }
        }
        return String(scalars).lowercased()
    }

    /// The id of a word given as a string (questions, tests).
    public static func id(of word: String) -> UInt64 { fnv1a(canonical(word).utf8) }

    static let offsetBasis: UInt64 = 0xCBF2_9CE4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01B3

    static func fnv1a(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash = offsetBasis
        for b in bytes { hash = (hash ^ UInt64(b)) &* prime }
        return hash
    }
}
