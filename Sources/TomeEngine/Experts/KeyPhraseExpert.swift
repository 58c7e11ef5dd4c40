import Foundation

/// Key phrases: one to three consecutive content words (no function word,
/// no punctuation, no line break between them) ranked by
///
///     score(p) = f(p) · Σ_{w ∈ p} salience(w)
///
/// where f(p) is how often the phrase occurs in the document (its words'
/// stems in order, so `key phrase`/`Key Phrases` are one) and salience is
/// Engram's formula (`Salience.value`) over the document's blocks:
/// ln(1 + (N + 1)/(df + ½)) + ln(1 + (T + 1)/(cf + 1)), N blocks, T content
/// tokens, df the blocks holding the word, cf its count. A word spread over
/// every block (`use`, `page`) weighs little, a word concentrated in the
/// parts about it weighs more; the sum favours phrases over their words.
/// A phrase inside a better one that occurs as often is left out (`attention
/// kernel` when `sparse attention kernel` is kept), and so are phrases that
/// occur once (a document of fewer than 2,000 tokens keeps them). Shown as
/// first written, in lower case but for words written there in capitals
/// (`SQL`, `NASA`).
enum KeyPhraseExpert {
    /// One phrase occurrence: its first token, its words, and a hash of their stems.
    struct Occurrence: Sendable {
        var firstToken: Int32
        var words: UInt8
        var key: UInt64
    }

    static let maxWords = 3

    static func isWord(_ text: ExpertText, _ t: Int) -> Bool {
        let token = text.tokens[t]
        return token.kind == .word && token.end - token.start >= 3 && !StopWords.all.contains(token.id) && !(text.first(t) >= 0x30 && text.first(t) <= 0x39)
    }

    static func key(_ stems: some Sequence<UInt64>) -> UInt64 {
        var hash = CanonicalForm.offsetBasis
        for s in stems { hash = (hash ^ s) &* CanonicalForm.prime }
        return hash
    }

    /// Phrase occurrences in the block's units (not contents lines).
    static func scan(_ text: ExpertText, units: Range<Int>, into out: inout [Occurrence]) {
        var run: [Int] = [], stems: [UInt64] = []
        func flush() {
            for i in run.indices {
                for n in 1...min(maxWords, run.count - i) {
                    out.append(Occurrence(firstToken: Int32(run[i]), words: UInt8(n), key: key(stems[i..<(i + n)])))
                }
            }
            run.removeAll(keepingCapacity: true)
            stems.removeAll(keepingCapacity: true)
        }
        for u in units where text.kind(u) != .contents {
            for t in text.unitTokens[u] {
                let word = isWord(text, t)
                if word, let last = run.last, !(last + 1 == t && text.oneSpace(after: last) && text.sameLine(last, t)) { flush() }
                if word {
                    run.append(t)
                    stems.append(TermKey.term(text.tokens[t], in: text.bytes))
                } else {
                    flush()
                }
            }
            flush()
        }
    }

    /// The top `limit` phrases of a document. `stats`: each word stem's
    /// (blocks holding it, occurrences); `blocks`, `tokens`: N and T.
    static func rank(_ found: [Occurrence], stats: [UInt64: (df: Int, cf: Int)], blocks: Int, tokens: Int, limit: Int,
                     text: ExpertText) -> [Extraction] {
        struct Phrase { var first: Occurrence; var count: Int; var order: Int }
        var phrases: [UInt64: Phrase] = [:]
        for o in found {
            if phrases[o.key] == nil { phrases[o.key] = Phrase(first: o, count: 0, order: phrases.count) }
            phrases[o.key]?.count += 1
        }
        let minimum = tokens < 2_000 ? 1 : 2
        func stems(_ o: Occurrence) -> [UInt64] {
            (Int(o.firstToken)..<(Int(o.firstToken) + Int(o.words))).map { TermKey.term(text.tokens[$0], in: text.bytes) }
        }
        func salience(_ stem: UInt64) -> Double {
            let s = stats[stem] ?? (1, 1)
            return Salience.value(df: Double(s.df), cf: Double(s.cf), documents: Double(blocks), total: Double(tokens))
        }
        let ranked = phrases.values.filter { $0.count >= minimum }
            .map { (phrase: $0, stems: stems($0.first)) }
            .map { (phrase: $0.phrase, stems: $0.stems, score: Double($0.phrase.count) * $0.stems.reduce(0) { $0 + salience($1) }) }
            .sorted { ($0.score, -$0.phrase.order) > ($1.score, -$1.phrase.order) }
        var kept: [(phrase: Phrase, stems: [UInt64], score: Double)] = []
        for candidate in ranked where kept.count < limit {
            let inside = kept.contains { k in
                k.phrase.count >= candidate.phrase.count && k.stems.count > candidate.stems.count
                    && (0...(k.stems.count - candidate.stems.count)).contains { Array(k.stems[$0..<($0 + candidate.stems.count)]) == candidate.stems }
            }
            if !inside { kept.append(candidate) }
        }
        return kept.map { p in
            let a = Int(p.phrase.first.firstToken), b = a + Int(p.phrase.first.words) - 1
            let shown = (a...b).map { t in
                let w = text.string(token: t)
                return NameExpert.isAllCaps(text, t) ? w : w.lowercased()
            }.joined(separator: " ")
            return Extraction(kind: .keyphrases, start: text.tokens[a].start, end: text.tokens[b].end, value: shown,
                              number: (p.score * 1000).rounded() / 1000, count: Int32(p.phrase.count))
        }
    }
}
