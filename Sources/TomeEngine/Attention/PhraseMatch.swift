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

    /// Adjacent pairs of content words (term keys), stop and question words
    /// left out. The ways a form writes "number" ("Invoice no.", "Kunden-Nr.",
    /// "Facture n°", "Order #", "numéro", "Nummer") are one term, so "invoice
    /// number" is the pair "Invoice no." holds.
    static func pairs(_ tokens: [Token], bytes: UnsafeBufferPointer<UInt8>) -> Set<UInt64> {
        var out = Set<UInt64>()
        var previous: UInt64?
        for (i, token) in tokens.enumerated() {
            let term: UInt64
            if isNumberWord(tokens, i, bytes: bytes) {
                term = numberTerm
            } else if token.isContent && !StopWords.all.contains(token.id) && !Asker.questionWords.contains(token.id) {
                term = TermKey.term(token, in: bytes)
            } else {
                continue
            }
            if let previous { out.insert(previous &* 0x9E37_79B9_7F4A_7C15 ^ term) }
            previous = term
        }
        return out
    }

    static let numberWords = ExpertWords.ids(["number", "numbers", "nummer", "numéro", "número", "numero", "nº"])
    static let numberAbbreviations = ExpertWords.ids(["no", "nr", "nos", "num"])
    static let numberTerm: UInt64 = {
        var tokenizer = Tokenizer()
        var word = "number"
        return word.withUTF8 { bytes in TermKey.term(tokenizer.tokenize("number")[0], in: bytes) }
    }()

    /// Token `i` writes "number": the word, an abbreviation with its stop or
    /// degree sign ("no.", "Nr.", "n°"), or "#" before a figure or alone.
    static func isNumberWord(_ tokens: [Token], _ i: Int, bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let token = tokens[i]
        if token.kind == .word && numberWords.contains(token.id) { return true }
        let next = i + 1 < tokens.count && tokens[i + 1].start == token.end ? tokens[i + 1] : nil
        let nextByte = next.map { bytes[Int($0.start)] }
        if token.kind == .word && numberAbbreviations.contains(token.id) { return nextByte == 0x2E }
        if token.kind == .word && token.end - token.start == 1 && (bytes[Int(token.start)] | 0x20) == 0x6E, let next,
           next.end - next.start == 2, bytes[Int(next.start)] == 0xC2, bytes[Int(next.start) + 1] == 0xB0 || bytes[Int(next.start) + 1] == 0xBA {
            return true  // "n°", "Nº"
        }
        // "#" before a figure or alone ("Order #12345", "the order #?"), not a word's mark ("#include", "#tag").
        guard token.kind == .punctuation, token.end - token.start == 1, bytes[Int(token.start)] == 0x23 else { return false }
        guard let next, next.kind == .word else { return true }
        return bytes[Int(next.start)] >= 0x30 && bytes[Int(next.start)] <= 0x39
    }

    static func factor(_ question: Set<UInt64>, tokens: [Token], bytes: UnsafeBufferPointer<UInt8>) -> Double {
        guard !question.isEmpty else { return 1 }
        let shared = pairs(tokens, bytes: bytes).intersection(question).count
        return 1 + weight * Double(shared) / Double(question.count)
    }
}
