/// The terms attention scores and block signatures hold: one per content
/// token, its term id. Bigrams were tried as terms too and measured worse
/// (Benchmarks/README.md): a pair of words is rarer than either, so its
/// salience outweighed the words themselves.
///
/// A term id is the canonical id of the token's stem: English inflections
/// are folded (Porter's steps 1a and 1b, then a final "e" and "y"), so
/// "exits"/"exited", "profile"/"profiling" and "library"/"libraries" meet.
/// Only words of ASCII letters are stemmed; a word with a digit, an
/// underscore, a dot or an apostrophe (an identifier, a version, a file
/// name) is kept whole, as is every non-ASCII word. A word the stemmer
/// leaves alone has its canonical id as its term id (both are FNV-1a 64 of
/// the lowercase bytes).
public enum TermKey {
    /// The term id of a content token of `bytes`.
    @inline(__always)
    public static func term(_ token: Token, in bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let start = Int(token.start), length = Int(token.end - token.start)
        guard token.kind == .word, length >= 4, length <= 32 else { return token.id }
        var w: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &w) { raw -> UInt64 in
            for i in 0..<length {
                let b = bytes[start + i] | 0x20
                guard b >= 0x61 && b <= 0x7A, bytes[start + i] >= 0x41 else { return token.id }
                raw[i] = b
            }
            let n = stem(raw, length)
            guard n != length || raw[n - 1] != bytes[start + n - 1] | 0x20 else { return token.id }
            var hash = CanonicalForm.offsetBasis
            for i in 0..<n { hash = (hash ^ UInt64(raw[i])) &* CanonicalForm.prime }
            return hash
        }
    }

    /// The term ids of a text's content tokens, in order.
    static func terms(of text: String) -> [UInt64] {
        var tokenizer = Tokenizer()
        var copy = text
        let tokens = tokenizer.tokenize(text).filter(\.isContent)
        return copy.withUTF8 { bytes in tokens.map { term($0, in: bytes) } }
    }

    /// Stems the lowercase letters `w[0..<n]` in place; returns the new length.
    static func stem(_ w: UnsafeMutableRawBufferPointer, _ length: Int) -> Int {
        var n = length
        func ends(_ suffix: StaticString) -> Bool {
            let k = suffix.utf8CodeUnitCount
            guard n > k else { return false }
            let p = suffix.utf8Start
            for i in 0..<k where w[n - k + i] != p[i] { return false }
            return true
        }
        func vowel(_ i: Int) -> Bool { [0x61, 0x65, 0x69, 0x6F, 0x75].contains(w[i]) || (w[i] == 0x79 && i > 0) }
        func hasVowel(before end: Int) -> Bool { (0..<end).contains(where: vowel) }
        // 1a: plurals and third persons.
        if ends("sses") { n -= 2 } else if ends("ies") { n -= 2; w[n - 1] = 0x79 } else if n > 3, w[n - 1] == 0x73, ![0x73, 0x75, 0x69].contains(w[n - 2]) { n -= 1 }
        // 1b: -ed and -ing, then a doubled final consonant ("stopped").
        if n > 5, ends("ing"), hasVowel(before: n - 3) { n -= 3 } else if n > 4, ends("ed"), hasVowel(before: n - 2) { n -= 2 } else { return finish(w, n) }
        if n > 2, w[n - 1] == w[n - 2], !vowel(n - 1), ![0x6C, 0x73, 0x7A].contains(w[n - 1]) { n -= 1 }
        return finish(w, n)
    }

    /// A final "e" goes; a final "y" after a consonant is "i" (so "library" meets "librari(es)").
    private static func finish(_ w: UnsafeMutableRawBufferPointer, _ length: Int) -> Int {
        var n = length
        if n > 4, w[n - 1] == 0x65 { n -= 1 }
        if n > 3, w[n - 1] == 0x79, ![0x61, 0x65, 0x69, 0x6F, 0x75].contains(w[n - 2]) { w[n - 1] = 0x69 }
        return n
    }
}
