import Foundation

/// What Edmundson's cue and location methods read, apart from the
/// algorithm: the headings of concluding sections ("Conclusions",
/// "Zusammenfassung", "Conclusion", "Conclusiones", …) and the sentences
/// that state what a document does ("In this paper we …", "This package
/// provides …"), in English, German, French and Spanish.
extension Summarizer {
    /// Words that open the heading of a section that sums the document up.
    static let concludingWords: Set<String> = [
        "conclusion", "conclusions", "concluding", "summary", "discussion",
        "zusammenfassung", "fazit", "schlussfolgerung", "schlussfolgerungen", "schlussbemerkungen", "diskussion",
        "conclusión", "conclusiones", "resumen", "discusión", "résumé", "conclusioni", "riassunto", "discussione",
        "conclusão", "conclusões", "resumo", "discussão",
    ]

    /// The words that may follow them in such a heading ("Summary and
    /// outlook", "Conclusions and future work", "Discussion of the results"),
    /// so that "Summary of options" or "Summary statistics" is not one.
    static let concludingTails: Set<String> = [
        "and", "&", "of", "the", "remarks", "outlook", "future", "work", "research", "directions", "results", "findings",
        "perspectives", "limitations", "recommendations", "further", "conclusion", "conclusions", "discussion", "summary",
        "und", "ausblick", "et", "y", "e", "trabajo", "futuro", "prospettive",
    ]

    /// The first words of those headings, as UTF-8.
    static let concludingFirstWords = Set((concludingWords + ["final", "closing"]).map { Array($0.utf8) })

    /// The concluding sections of a document: from the unit that starts a
    /// line reading as such a heading (`isConcludingHeading`; not a line
    /// inside a sentence, nor a running head repeated on three pages or
    /// more) to the next heading or outline section, in order. A heading
    /// that is page furniture (`lines`: a running head such as the authors'
    /// names) does not end it.
    static func concludingSections(_ index: DocumentIndex, bytes: UnsafeBufferPointer<UInt8>, lines: NonProseLines) -> [Range<Int32>] {
        var found: [(unit: Int, title: String)] = []
        var seen: [String: Int] = [:]
        var lineStart = 0
        for i in 0...bytes.count where i == bytes.count || bytes[i] == 0x0A {
            defer { lineStart = i + 1 }
            guard i - lineStart <= 80, i > lineStart else { continue }
            // Cheap first, on bytes (this runs on every line): past any section number, a first word that can open one.
            var first = lineStart
            while first < i, Self.numbering(bytes[first]) { first += 1 }
            var end = first
            while end < i && bytes[end] > 0x20 { end += 1 }
            guard end > first, end - first <= 24 else { continue }
            // Every such word starts with an ASCII capital; one that is all ASCII must be one of them.
            let word = bytes[first..<end]
            guard (0x41...0x5A).contains(word[first]) else { continue }
            if word.allSatisfy({ $0 < 0x80 }) {
                guard concludingFirstWords.contains(word.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }) else { continue }
            }
            // The line must start a unit: the unit before it ends before the line does.
            let u = (index.unitStarts.lastIndex(atMost: Int32(lineStart - 1)) ?? -1) + 1
            guard u < index.unitCount, Int(index.unitStarts[u]) < i, u == 0 || Int(index.unitEnds[u - 1]) <= lineStart else { continue }
            let line = String(decoding: UnsafeBufferPointer(rebasing: bytes[lineStart..<i]), as: UTF8.self)
            guard isConcludingHeading(line) else { continue }
            let title = line.lowercased().filter(\.isLetter)
            seen[title, default: 0] += 1
            if found.last?.unit != u { found.append((u, title)) }
        }
        let starts = found.filter { seen[$0.title, default: 0] < 3 }.map(\.unit)
        return starts.enumerated().map { n, start in
            var limit = n + 1 < starts.count ? starts[n + 1] : index.unitCount
            let section = (index.sectionStarts.lastIndex(atMost: Int32(start)) ?? -1) + 1
            if section < index.sectionStarts.count { limit = min(limit, Int(index.sectionStarts[section])) }
            var end = start + 1
            while end < limit && (index.unitKinds[end] != UnitKind.heading.rawValue
                                  || lines.crosses(Int(index.unitStarts[end])..<Int(index.unitEnds[end]))) { end += 1 }
            return Int32(start)..<Int32(end)
        }
    }

    /// Spaces, a form feed (a page's first line) and the characters of a section number ("5.2", "IV.").
    @inline(__always)
    static func numbering(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x20, 0x09, 0x0B, 0x0C, 0x0D, 0x2E, 0x30...0x39, 0x49, 0x56, 0x58: true
        default: false
        }
    }

    /// A line that heads a concluding section: an optional section number
    /// ("5", "5.", "IV."), then one to six words without a final stop, the
    /// first capitalised and one of `concludingWords`, the rest from
    /// `concludingTails` ("5 Conclusions", "Summary and outlook",
    /// "Zusammenfassung", "CONCLUSIÓN"), or "Final remarks", "Closing
    /// remarks". Not a sentence ("Conclusions are drawn in Section 5."), a
    /// contents line ("5 Conclusions 23"), nor another kind of summary
    /// ("Summary of options").
    static func isConcludingHeading(_ line: String) -> Bool {
        var words = line.split(whereSeparator: { $0.isWhitespace || $0 == "\u{0C}" })
        if let first = words.first, first.allSatisfy({ $0.isNumber || $0 == "." }) || isRomanNumeral(first) { words.removeFirst() }
        guard (1...6).contains(words.count), let first = words.first, first.first?.isUppercase == true,
              let last = line.last(where: { !$0.isWhitespace }), !".,;:!?".contains(last) else { return false }
        let lower = words.map { $0.lowercased() }
        if concludingWords.contains(lower[0]) { return lower.dropFirst().allSatisfy(concludingTails.contains) }
        return lower.count == 2 && (lower[0] == "final" || lower[0] == "closing") && lower[1] == "remarks"
    }

    /// "IV.": a section number in Roman numerals (capitals), with its stop.
    static func isRomanNumeral(_ word: Substring) -> Bool {
        let body = word.dropLast()
        return word.hasSuffix(".") && body == body.uppercased() && RomanNumeral.matches(body)
    }

    /// A word's id for `statesItsAim`: its bytes hashed (FNV-1a).
    static func word(_ text: String) -> UInt64 { CanonicalForm.fnv1a(text.utf8) }

    /// What a document calls itself when it says what it does.
    static let aimNouns = Set([
        "paper", "article", "vignette", "note", "chapter", "document", "report", "thesis", "manual", "tutorial", "guide",
        "book", "package", "study", "work", "introduction", "overview", "handbook", "memo", "proposal", "library", "tool",
    ].map(word))

    /// What it then does ("This vignette describes", "this study examines"), with an "s" or "es" too.
    static let aimVerbs = Set(([
        "describe", "present", "introduce", "propose", "provide", "show", "explain", "document", "demonstrate",
        "illustrate", "discuss", "implement", "develop", "review", "give", "focus", "outline", "compare", "extend",
        "address", "offer", "aim", "summarize", "summarise", "investigate", "examine", "study", "analyze", "analyse",
        "report", "define", "specify", "cover", "explore", "evaluate", "consider",
    ].flatMap { [$0, $0 + "s", $0 + "es"] } + ["studies"]).map(word))

    /// What "we" do when they state the aim ("we propose"); not "we show that", "we consider two cases",
    /// "we define x as", which papers say all through.
    static let weAimVerbs = Set([
        "present", "propose", "introduce", "describe", "develop", "provide", "demonstrate", "illustrate", "implement",
        "outline", "summarize", "summarise", "review", "discuss", "explain", "document", "report", "offer", "aim",
    ].map(word))

    /// The words that say what it aims at ("the aim of this study", not "the purpose of the argument").
    static let aimWords = Set(["aim", "aims", "purpose", "goal", "objective", "intention"].map(word))

    /// What may stand between "we" and the verb ("we also describe").
    static let aimAdverbs = Set(["also", "first", "briefly", "will", "then", "now"].map(word))

    /// Other languages' "in this paper" and "we present".
    static let aimPhrases: [[UInt64]] = [
        "in diesem artikel", "in diesem beitrag", "in dieser arbeit", "in diesem papier", "in diesem dokument", "wir stellen",
        "dans cet article", "dans ce document", "dans ce chapitre", "nous présentons", "nous proposons", "nous décrivons",
        "en este artículo", "en este trabajo", "en este documento", "presentamos", "proponemos", "describimos",
        "in questo articolo", "in questo lavoro", "presentiamo", "proponiamo", "neste artigo", "neste trabalho", "apresentamos",
    ].map { $0.split(separator: " ").map { word(String($0)) } }

    static let (inWord, thisWord, theWord, presentWord, weWord, hereWord, ofWord, ourWord) =
        (word("in"), word("this"), word("the"), word("present"), word("we"), word("here"), word("of"), word("our"))

    /// A sentence's words, lower-cased and hashed as `word` does: runs of
    /// ASCII letters on bytes; a sentence with other bytes through String,
    /// so that a curly quote or a no-break space is not taken for a letter.
    static func words(_ bytes: some Collection<UInt8>) -> [UInt64] {
        guard bytes.allSatisfy({ $0 < 0x80 }) else {
            return String(decoding: bytes, as: UTF8.self).lowercased().split { !$0.isLetter }.map { CanonicalForm.fnv1a($0.utf8) }
        }
        return bytes.split { !NonProseLines.isASCIILetter($0) }.map { CanonicalForm.fnv1a($0.lazy.map { $0 | 0x20 }) }
    }

    /// Whether a sentence states what the document does: Edmundson's cue
    /// method, his "bonus words", as the phrases authors use for it — "In
    /// this paper we …", "in the present note", "This vignette describes
    /// …", "We propose …", "The aim of this study is …" (and other
    /// languages' "in diesem Artikel", "nous présentons", "en este
    /// trabajo"). Such a sentence restates the abstract: on the summary
    /// benchmark's tuning half its ROUGE-2 precision against the abstract
    /// is 1.8× other sentences'. It runs on every sentence a summary reads:
    /// words are hashed (`words`), not compared as strings.
    static func statesItsAim(_ bytes: some Collection<UInt8>) -> Bool {
        let words = words(bytes)
        func at(_ i: Int) -> UInt64 { i < words.count ? words[i] : 0 }
        for i in words.indices {
            switch words[i] {
            case Self.inWord:
                // "in this paper", "in the present note"
                if at(i + 1) == thisWord && aimNouns.contains(at(i + 2))
                    || at(i + 1) == theWord && at(i + 2) == presentWord && aimNouns.contains(at(i + 3)) { return true }
            case thisWord:
                // "this vignette describes", "this package provides"
                if aimNouns.contains(at(i + 1)) && aimVerbs.contains(at(i + 2)) { return true }
            case weWord, hereWord:
                // "we propose", "we also describe", "here we present"
                if weAimVerbs.contains(at(i + 1))
                    || (aimAdverbs.contains(at(i + 1)) || at(i + 1) == weWord) && weAimVerbs.contains(at(i + 2)) { return true }
            case let w where aimWords.contains(w):
                // "the aim of this study", "the purpose of our work", "the goal of the present note"
                if at(i + 1) == ofWord && (at(i + 2) == thisWord || at(i + 2) == ourWord
                                            || at(i + 2) == theWord && at(i + 3) == presentWord) { return true }
            default:
                break
            }
        }
        return aimPhrases.contains { phrase in
            words.count >= phrase.count && (0...(words.count - phrase.count)).contains { i in words[i..<(i + phrase.count)].elementsEqual(phrase) }
        }
    }
}
