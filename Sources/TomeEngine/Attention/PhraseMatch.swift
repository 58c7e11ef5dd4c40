/// Phrases the question and a sentence share: 2-grams, as Engram counts
/// them, but of stemmed content words (`TermKey`) with stop words left out.
/// Attention scores a sentence by the question's terms it holds, in
/// any order; among the candidates it finds plausible, one that holds the
/// question's words as the question puts them together ("release year",
/// "hook scripts", "could not initialize database directory") more likely
/// says what was asked. Stop words are left out before pairing, so "exit
/// status of a pipeline" gives (exit, status) and (status, pipeline).
///
///     factor(s) = 1 + w · |pairs(q) ∩ pairs(s)| / |pairs(q)|
///
/// It reorders attention's best candidates (as the answer expert's lift
/// does, and with it): it never makes a sentence attention did not find
/// plausible an answer.
enum PhraseMatch {
    /// w: the most a sentence holding every pair of the question gains. On
    /// the tuning questions the first answer held the fact for 73 of 110
    /// without phrases, 76 at w = 0.25, 0.5 and 1, 74 at 2, 69 at 4: the
    /// middle of the plateau is taken (Benchmarks/README.md). Reordering
    /// only the best five (k) instead of ten kept 73: the sentence that says
    /// it in the question's words often sits sixth to tenth.
    static let weight = 0.5

    /// Adjacent pairs of content words (term keys), stop and question words left out.
    static func pairs(_ tokens: [Token], bytes: UnsafeBufferPointer<UInt8>) -> Set<UInt64> {
        var out = Set<UInt64>()
        var previous: UInt64?
        for token in tokens where token.isContent && !StopWords.all.contains(token.id) && !Asker.questionWords.contains(token.id) {
            let term = TermKey.term(token, in: bytes)
            if let previous { out.insert(previous &* 0x9E37_79B9_7F4A_7C15 ^ term) }
            previous = term
        }
        return out
    }

    static func factor(_ question: Set<UInt64>, tokens: [Token], bytes: UnsafeBufferPointer<UInt8>) -> Double {
        guard !question.isEmpty else { return 1 }
        let shared = pairs(tokens, bytes: bytes).intersection(question).count
        return 1 + weight * Double(shared) / Double(question.count)
    }
}
