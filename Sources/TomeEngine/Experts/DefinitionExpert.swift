/// Definitions: a term and the sentence that defines it.
///
/// - a quoted term and a defining verb: `“Licensor” shall mean …`,
///   `"Software" means …`, `'Work' refers to …`, `« Logiciel » désigne …`;
/// - an unquoted term of one to five words opening the sentence (after
///   `The term`, `A`, `An`, `The`): `Free software means …`, `A daemon is
///   defined as …`, `Ein Dämon bezeichnet …`, `Un démon désigne …`,
///   `Un demonio significa …`;
/// - a term after an introducing phrase: `Unter X versteht man …`,
///   `On entend par X …`, `Se entiende por X …`;
/// - a glossary entry: in a section whose title says glossary, definitions
///   or terminology, a line `Term: definition` or `Term – definition`;
/// - a term a contract names in passing, in brackets and quotes:
///   `the Python Software Foundation ("PSF")`, `(hereinafter "Licensee")`.
///
/// Not definitions: `This means that …` (a pronoun or function word is not
/// a term, and `means that` explains, it does not define), questions, and
/// terms longer than five words. The value is the term; the range is the
/// defining sentence.
enum DefinitionExpert {
    /// Verbs that define what stands before them, with the words that may
    /// follow them (`is defined as`, `refers to`); "" for none.
    static let verbs: [UInt64: Set<String>] = {
        var table: [UInt64: Set<String>] = [:]
        for w in ["means", "mean", "denotes", "denote", "bezeichnet", "bedeutet", "désigne", "signifie", "significa", "designa"] {
            table[CanonicalForm.id(of: w)] = [""]
        }
        table[CanonicalForm.id(of: "defined")] = ["as"]
        table[CanonicalForm.id(of: "refers")] = ["to"]
        table[CanonicalForm.id(of: "refer")] = ["to"]
        return table
    }()
    /// Words a definition verb's subject may not be.
    static let notTerms = ExpertWords.ids(["this", "that", "it", "which", "what", "these", "those", "they", "he", "she", "there", "here",
                                           "dies", "das", "es", "cela", "ceci", "il", "esto", "eso", "ello", "which", "who", "term", "word"])
    /// Words before the verb that may stand between the term and it (`shall mean`, `is defined as`).
    static let auxiliaries = ExpertWords.ids(["shall", "will", "is", "are", "also", "hereby", "herein", "generally", "usually", "simply"])
    static let articles = ExpertWords.ids(["the", "a", "an", "der", "die", "das", "ein", "eine", "le", "la", "les", "un", "une", "l", "el", "los", "las", "una"])
    /// `Unter X versteht man`, `On entend par X`, `Se entiende por X`: the words before the term, and after it.
    static let introductions: [([UInt64], [UInt64])] = [
        (["unter"], ["versteht", "man"]), (["on", "entend", "par"], []), (["se", "entiende", "por"], []), (["by"], ["we", "mean"]),
    ].map { ($0.0.map(CanonicalForm.id(of:)), $0.1.map(CanonicalForm.id(of:))) }
    static let glossaryTitles = ExpertWords.ids(["glossary", "definitions", "definition", "terminology", "glossar", "begriffe",
                                                 "glossaire", "définitions", "glosario", "definiciones", "terms"])
    static let openQuotes: Set<String> = ["\"", "“", "‘", "'", "«", "„", "‚"]
    static let closeQuotes: Set<String> = ["\"", "”", "’", "'", "»", "“", "‘"]

    /// Definitions in the block's units; `glossary[u]`: unit u is in a glossary section.
    static func scan(_ text: ExpertText, units: Range<Int>, glossary: [Bool], into out: inout [Extraction]) {
        for u in units where text.kind(u) == .prose || text.kind(u) == .listItem {
            let range = text.unitTokens[u]
            guard !range.isEmpty else { continue }
            var terms = parenthesised(text, range)
            if let term = quoted(text, range) ?? opening(text, range) ?? introduced(text, range) ?? (glossary[u] ? entry(text, range) : nil) {
                terms.insert(term, at: 0)
            }
            let start = Int(text.tokens[range.lowerBound].start), end = Int(text.tokens[range.upperBound - 1].end)
            for term in terms {
                out.append(Extraction(kind: .definitions, start: Int32(start), end: Int32(end), value: term))
            }
        }
    }

    /// Whether a defining verb starts at token `t` (after any auxiliaries); the token after it.
    static func verb(_ text: ExpertText, at t: Int, in range: Range<Int>) -> Int? {
        var v = t
        while v < range.upperBound, v < t + 2, text.tokens[v].kind == .word, auxiliaries.contains(text.tokens[v].id) { v += 1 }
        if v < range.upperBound, text.isChar(v, 0x2C) { v += 1 }
        guard v < range.upperBound, let follow = verbs[text.tokens[v].id] else { return nil }
        if follow == [""] {
            // "means that" explains; "mean" needs its auxiliary ("shall mean").
            guard v + 1 < range.upperBound, text.string(token: v + 1).lowercased() != "that" else { return nil }
            if text.string(token: v).lowercased() == "mean", v == t { return nil }
            return v + 1
        }
        guard v + 1 < range.upperBound, follow.contains(text.string(token: v + 1).lowercased()) else { return nil }
        return v + 2
    }

    /// Words that may open a parenthesis naming a defined term: `(the "Agreement")`, `(hereinafter "Licensee")`.
    static let naming = ExpertWords.ids(["the", "a", "an", "hereinafter", "collectively", "together", "each", "referred", "to", "as", "called", "individually"])

    /// Terms a contract defines in passing: `the Python Software Foundation ("PSF")`, `(hereinafter "Licensee")`.
    static func parenthesised(_ text: ExpertText, _ range: Range<Int>) -> [String] {
        var terms: [String] = []
        for open in range where text.isChar(open, 0x28) {
            var q = open + 1
            while q < range.upperBound, q < open + 6, text.tokens[q].kind == .word, naming.contains(text.tokens[q].id) { q += 1 }
            guard q < range.upperBound, text.tokens[q].kind == .punctuation, openQuotes.contains(text.string(token: q)),
                  let close = (q + 1..<min(range.upperBound, q + 8)).first(where: { closeQuotes.contains(text.string(token: $0)) }),
                  close > q + 1, close + 1 < range.upperBound, text.isChar(close + 1, 0x29) || text.isChar(close + 1, 0x2C) || text.isChar(close + 1, 0x3B)
            else { continue }
            terms.append(text.string(Int(text.tokens[q + 1].start), Int(text.tokens[close - 1].end)))
        }
        return terms
    }

    /// `“Term” shall mean …` anywhere in the sentence's first words.
    static func quoted(_ text: ExpertText, _ range: Range<Int>) -> String? {
        for open in range.prefix(8) where text.tokens[open].kind == .punctuation && openQuotes.contains(text.string(token: open)) {
            guard let close = (open + 1..<min(range.upperBound, open + 8)).first(where: { closeQuotes.contains(text.string(token: $0)) }),
                  close > open + 1, (open + 1..<close).allSatisfy({ text.tokens[$0].kind != .punctuation || text.isChar($0, 0x2D) }),
                  verb(text, at: close + 1, in: range) != nil else { continue }
            return text.string(Int(text.tokens[open + 1].start), Int(text.tokens[close - 1].end))
        }
        return nil
    }

    /// `Free software means …` at the sentence's start.
    static func opening(_ text: ExpertText, _ range: Range<Int>) -> String? {
        var a = range.lowerBound
        if a + 1 < range.upperBound, text.string(token: a).lowercased() == "the", text.string(token: a + 1).lowercased() == "term" { a += 2 }
        else if articles.contains(text.tokens[a].id) { a += 1 }
        guard a + 1 < range.upperBound else { return nil }
        for end in (a + 1)...min(range.upperBound - 1, a + 5) {
            guard text.tokens[end - 1].kind == .word || text.isChar(end - 1, 0x2D) else { return nil }
            if verb(text, at: end, in: range) != nil {
                let words = (a..<end).filter { text.tokens[$0].kind == .word }
                guard let first = words.first, !notTerms.contains(text.tokens[first].id),
                      !words.contains(where: { StopWords.all.contains(text.tokens[$0].id) && !["of", "and"].contains(text.string(token: $0).lowercased()) })
                else { return nil }
                return text.string(Int(text.tokens[a].start), Int(text.tokens[end - 1].end))
            }
        }
        return nil
    }

    /// `Unter X versteht man …`, `By X we mean …` (the term up to the closing
    /// words), `On entend par X, …`, `Se entiende por X, …` (up to the comma).
    static func introduced(_ text: ExpertText, _ range: Range<Int>) -> String? {
        for (before, after) in introductions {
            let a = range.lowerBound + before.count
            guard a < range.upperBound, zip(range.lowerBound..<a, before).allSatisfy({ text.tokens[$0].id == $1 }) else { continue }
            let limit = min(range.upperBound, a + 7)
            let stop = after.isEmpty
                ? (a + 1..<limit).first { text.isChar($0, 0x2C) }
                : (a + 1..<limit).first { e in e + after.count <= range.upperBound && zip(e..<(e + after.count), after).allSatisfy { text.tokens[$0].id == $1 } }
            guard let end = stop else { continue }
            return text.string(Int(text.tokens[a].start), Int(text.tokens[end - 1].end))
        }
        return nil
    }

    /// `Term: definition` or `Term – definition` in a glossary.
    static func entry(_ text: ExpertText, _ range: Range<Int>) -> String? {
        let a = range.lowerBound
        guard let mark = (a + 1..<min(range.upperBound, a + 7)).first(where: { text.tokens[$0].kind == .punctuation }),
              text.isChar(mark, 0x3A) || ["–", "—", "-"].contains(text.string(token: mark)) && !text.touching(mark - 1, mark),
              mark + 2 < range.upperBound, text.sameLine(a, mark) else { return nil }
        return text.string(Int(text.tokens[a].start), Int(text.tokens[mark - 1].end))
    }
}
