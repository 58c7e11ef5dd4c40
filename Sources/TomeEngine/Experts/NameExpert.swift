/// Names of people and organisations: runs of capitalised words on one
/// line, joined by initials (`John F. Kennedy`), hyphens and lower-case
/// connectors (`University of California`, `Banco de España`, `AT&T`'s
/// `&`), and acronyms the text expands (`World Health Organization (WHO)`,
/// `WHO (World Health Organization)`). Listed once per name (case and
/// spacing folded) with its count and its first occurrence.
///
/// Authors cited before a year are names even alone (`Cameron and Miller
/// 2015`, `Zeileis (2004)`, `Long et al. 2000`).
///
/// What is not a name: a run of one capitalised word elsewhere (a sentence's
/// first word, a product, a place); an acronym the text never expands (`PDF`,
/// `HTML`); a run in a heading or a contents line; a run of capitals only
/// (`TERMS AND CONDITIONS`); a run of words the document mostly writes in
/// lower case (`Covered Software`), or a term it defines. A run's first word is dropped when it is a
/// function word or a month or day name (`The`, `In`, `March`), and at a
/// sentence's start also when the document writes it in lower case more
/// often than capitalised (`Contact John Smith`, but not `Harbour` in
/// `Harbour Holdings Ltd` beside one `harbour berth`): the document's own
/// use of a word says whether it is common. This is Engram salience within
/// the document, so a name does not depend on which other documents the
/// store holds.
enum NameExpert {
    /// One run found in a block, before counting.
    struct Occurrence: Sendable {
        var start: Int32
        var end: Int32
        var value: String
        /// The acronym the run expands, or the expansion of an acronym.
        var partner: String?
        var isAcronym: Bool
    }

    /// Lower-case words inside a name (`and` is not one: `Cameron and Miller` are two).
    static let connectors: Set<String> = ["of", "for", "&", "de", "der", "den", "des", "du", "la", "le", "von", "van", "del", "da", "di", "für", "the"]
    /// Words a citation's names may stand among before its year (`Cameron and Miller 2015`, `Zeileis et al. (2020)`).
    static let citationJoiners: Set<String> = ["and", "&", ",", "et", "al", ".", "(", "und"]
    static let calendarWords = ExpertWords.ids("""
        monday tuesday wednesday thursday friday saturday sunday january february march april may june july august september october
        november december montag dienstag mittwoch donnerstag freitag samstag sonntag lundi mardi mercredi jeudi vendredi samedi dimanche
        """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))

    /// Days named from today, dropped before a name ("Today Tome extracts …" names no one) but not
    /// after one ("Psychology Today" is a magazine).
    static let relativeDays = ExpertWords.ids(
        "today tomorrow yesterday tonight heute gestern demain hoy mañana ayer".split(separator: " ").map(String.init))

    static func isCapitalWord(_ text: ExpertText, _ t: Int) -> Bool {
        text.tokens[t].kind == .word && text.tokens[t].capitalized && !(text.first(t) >= 0x30 && text.first(t) <= 0x39)
    }

    /// A word of two or more capitals only (an acronym, or a word of a heading in capitals).
    static func isAllCaps(_ text: ExpertText, _ t: Int) -> Bool {
        guard text.tokens[t].kind == .word, text.tokens[t].end - text.tokens[t].start >= 2 else { return false }
        return text.bytes[Int(text.tokens[t].start)..<Int(text.tokens[t].end)].allSatisfy { $0 >= 0x41 && $0 <= 0x5A }
    }

    /// A word without a lower-case ASCII letter: `A`, `OF`, `MERCHANTABILITY`.
    static func hasNoLowerCase(_ text: ExpertText, _ t: Int) -> Bool {
        text.tokens[t].kind == .word && !text.bytes[Int(text.tokens[t].start)..<Int(text.tokens[t].end)].contains { $0 >= 0x61 && $0 <= 0x7A }
    }

    /// Where a run ends without its possessive: `Mark Adler’s` is `Mark Adler`.
    static func endWithoutPossessive(_ text: ExpertText, _ b: Int) -> Int32 {
        endWithoutPossessive(text.tokens[b], in: text.bytes)
    }

    /// Where a word ends without its possessive ('s or ’s).
    static func endWithoutPossessive(_ token: Token, in bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
        let (start, end) = (Int(token.start), Int(token.end))
        guard end - start > 3, bytes[end - 1] == 0x73 else { return Int32(end) }  // …s
        if bytes[end - 2] == 0x27 { return Int32(end - 2) }  // 's
        if bytes[(end - 4)..<(end - 1)].elementsEqual([0xE2, 0x80, 0x99]) { return Int32(end - 4) }  // ’s
        return Int32(end)
    }

    /// Runs in the block's units; `common`: the ids the document writes in lower case more often than not.
    static func scan(_ text: ExpertText, units: Range<Int>, common: Set<UInt64>, into out: inout [Occurrence]) {
        for u in units where text.kind(u) == .prose || text.kind(u) == .listItem {
            let range = text.unitTokens[u]
            let firstWord = range.first { text.tokens[$0].kind == .word }
            let unitStart = out.count
            defer { dropCitedWordsInsideNames(&out, from: unitStart) }
            citations(text, unit: range, firstWord: firstWord, into: &out)
            var t = range.lowerBound
            while t < range.upperBound {
                guard isCapitalWord(text, t) else { t += 1; continue }
                // Extend: capital words, initials ("F."), connectors between capital words, hyphens inside.
                var words = [t], last = t, u2 = t + 1
                while u2 < range.upperBound, text.sameLine(last, u2), text.oneSpace(after: u2 - 1) {
                    if isCapitalWord(text, u2) { words.append(u2); last = u2; u2 += 1; continue }
                    if text.isChar(u2, 0x2E), text.touching(u2 - 1, u2), text.tokens[u2 - 1].end - text.tokens[u2 - 1].start == 1, isCapitalWord(text, u2 - 1) {
                        last = u2; u2 += 1; continue  // an initial's full stop
                    }
                    let joiner = text.isChar(u2, 0x2D) && text.touching(u2 - 1, u2) && u2 + 1 < range.upperBound && text.touching(u2, u2 + 1)
                    let connector = text.tokens[u2].kind == .word && !text.tokens[u2].capitalized && connectors.contains(text.string(token: u2))
                        || text.isChar(u2, 0x26)
                    if (joiner || connector), u2 + 1 < range.upperBound, isCapitalWord(text, u2 + 1) || connectors.contains(text.string(token: u2 + 1)) {
                        u2 += 1; continue
                    }
                    break
                }
                let next = last + 1
                // Trim: function, month and day words first; at the sentence's start, a word the document writes in lower case.
                // (An acronym is never a function word: "WHO" is not "who"; nor is an initial: "A. Zeileis".)
                while let w = words.first, !isAllCaps(text, w), !isInitial(text, w),
                      StopWords.all.contains(text.tokens[w].id) || calendarWords.contains(text.tokens[w].id) || relativeDays.contains(text.tokens[w].id)
                        || (w == firstWord && common.contains(text.tokens[w].id)) {
                    words.removeFirst()
                }
                // And at the end: "Plan B. The" (a sentence the splitter did not end at an initial's full stop).
                while let w = words.last, !isAllCaps(text, w), calendarWords.contains(text.tokens[w].id) || StopWords.all.contains(text.tokens[w].id) {
                    words.removeLast()
                }
                defer { t = max(next, t + 1) }
                guard let a = words.first, let b = words.last else { continue }
                var value = normalised(text, from: a, to: b)
                let end = endWithoutPossessive(text, b)
                if end < text.tokens[b].end { value = String(value.utf8.dropLast(Int(text.tokens[b].end - end))) ?? value }
                // Capitals only, one-letter words too: a licence's shouting ("THE IMPLIED WARRANTIES … FOR A PARTICULAR PURPOSE"),
                // but not a short name in capitals with a one-letter part ("AT&T").
                let caps = words.allSatisfy { hasNoLowerCase(text, $0) } && (words.count >= 3 || words.allSatisfy { isAllCaps(text, $0) })
                // Every word one the document mostly writes in lower case ("Covered Software", "Source Code Form"): a term, not a name.
                let ordinary = words.allSatisfy { common.contains(text.tokens[$0].id) || connectors.contains(text.string(token: $0)) }
                let acronym = words.count >= 2 ? acronymAfter(text, b, words: words, in: range) : nil
                if words.count >= 2, !caps, !ordinary || acronym != nil {
                    out.append(Occurrence(start: text.tokens[a].start, end: end, value: value, partner: acronym, isAcronym: false))
                } else if words.count == 1, isAllCaps(text, a), text.tokens[a].end - text.tokens[a].start <= 8 {
                    out.append(Occurrence(start: text.tokens[a].start, end: text.tokens[a].end, value: value,
                                          partner: expansionAfter(text, a, in: range), isAcronym: true))
                }
            }
        }
    }

    /// A word a citation took alone that is part of a longer name found in
    /// the same unit is no name of its own: `Data`, `Compression` and
    /// `Conference` before the year in "Proceedings of the IEEE Data
    /// Compression Conference, 1997".
    static func dropCitedWordsInsideNames(_ out: inout [Occurrence], from first: Int) {
        guard out.count - first > 1 else { return }
        let found = out[first...]
        // Bytes, not `String.contains(_:)` (which searches as Foundation does: 6% of an analysis, perf).
        func words(_ r: Occurrence) -> Bool { r.value.utf8.contains(0x20) }
        let longer = found.filter { !$0.isAcronym && words($0) }
        guard !longer.isEmpty else { return }
        let kept = found.filter { r in
            r.isAcronym || words(r) || !longer.contains { $0.start <= r.start && r.end <= $0.end }
        }
        out.replaceSubrange(first..., with: kept)
    }

    /// A single capital and its full stop: `A.` in `A. Zeileis`.
    static func isInitial(_ text: ExpertText, _ t: Int) -> Bool {
        text.tokens[t].end - text.tokens[t].start == 1 && text.isChar(t + 1, 0x2E) && text.touching(t, t + 1)
    }

    /// Names cited before a year: `Cameron and Miller 2015`, `Zeileis (2004)`,
    /// `Zeileis, Köll, and Graham (2020)`, `Long et al. 2000` — each
    /// capitalised word among citation joiners right before a year (1800–2099)
    /// is a name, one word being enough here. Not a sentence's first word.
    static func citations(_ text: ExpertText, unit range: Range<Int>, firstWord: Int?, into out: inout [Occurrence]) {
        for y in range where y > range.lowerBound {
            guard let (year, digits) = text.integer(y), digits == 4, year >= 1800, year <= 2099 else { continue }
            var t = y - 1
            if text.isChar(t, 0x28) { t -= 1 }  // "Zeileis (2004)"
            var found: [Int] = []
            while t >= range.lowerBound, y - t <= 12, text.sameLine(t, y) {
                if isCapitalWord(text, t), !isAllCaps(text, t), !StopWords.all.contains(text.tokens[t].id), !calendarWords.contains(text.tokens[t].id),
                   DateExpert.months[text.tokens[t].id] == nil, text.tokens[t].end - text.tokens[t].start > 1 {
                    if t != firstWord { found.append(t) }
                } else if !citationJoiners.contains(text.string(token: t).lowercased()) {
                    break
                }
                t -= 1
            }
            // The word just before the year (or its "et al.") must be a name for the rest to be.
            guard let last = found.first, y - last <= (text.isChar(y - 1, 0x28) ? 2 : 1) || text.string(token: y - 1) == "." else { continue }
            for w in found.reversed() {
                out.append(Occurrence(start: text.tokens[w].start, end: text.tokens[w].end, value: text.string(token: w), partner: nil, isAcronym: false))
            }
        }
    }

    /// The run's words from `a` to `b` with single spaces between them.
    static func normalised(_ text: ExpertText, from a: Int, to b: Int) -> String {
        var s = ""
        for t in a...b {
            if t > a, !text.touching(t - 1, t) { s += " " }
            s += text.string(token: t)
        }
        return s
    }

    /// The initials of a run's words (capital words only, or all words).
    static func initials(_ text: ExpertText, _ words: [Int]) -> String {
        String(words.map { Character(Unicode.Scalar(text.first($0))) }).uppercased()
    }

    /// `(WHO)` after a run whose capital words' initials spell it.
    static func acronymAfter(_ text: ExpertText, _ b: Int, words: [Int], in range: Range<Int>) -> String? {
        guard b + 3 < range.upperBound, text.isChar(b + 1, 0x28), text.isChar(b + 3, 0x29), isAllCaps(text, b + 2) else { return nil }
        let acronym = text.string(token: b + 2)
        guard let first = words.first else { return nil }
        let all = (first...b).filter { text.tokens[$0].kind == .word }
        return acronym == initials(text, words) || acronym == initials(text, all) ? acronym : nil
    }

    /// `WHO (World Health Organization)`: the expansion after an acronym.
    static func expansionAfter(_ text: ExpertText, _ a: Int, in range: Range<Int>) -> String? {
        guard a + 2 < range.upperBound, text.isChar(a + 1, 0x28), let close = (a + 2..<min(range.upperBound, a + 14)).first(where: { text.isChar($0, 0x29) }),
              close > a + 2 else { return nil }
        let inner = (a + 2..<close).filter { text.tokens[$0].kind == .word }
        let capitals = inner.filter { isCapitalWord(text, $0) }
        let acronym = text.string(token: a)
        guard acronym == initials(text, capitals) || acronym == initials(text, inner) else { return nil }
        return normalised(text, from: a + 2, to: close - 1)
    }

    /// Names from the runs of every block, in block order: one per folded
    /// value with its count and first occurrence, most frequent first. An
    /// acronym is a name only where the text expands it; a term the
    /// document defines (`"Licensed Work" means …`) is not a name.
    static func aggregate(_ runs: [Occurrence], definedTerms: Set<String>) -> [Extraction] {
        var order: [String] = [], byKey: [String: Extraction] = [:]
        var expanded: [String: String] = [:]
        for r in runs where !r.isAcronym { if let p = r.partner, expanded[p] == nil { expanded[p] = r.value } }
        for r in runs where r.isAcronym { if let p = r.partner, expanded[r.value] == nil { expanded[r.value] = p } }
        for r in runs {
            var detail = r.partner
            if r.isAcronym {
                guard let expansion = expanded[r.value] else { continue }
                detail = expansion
            }
            let key = r.isAcronym ? r.value : r.value.lowercased()
            guard !definedTerms.contains(key), !(key.hasSuffix("s") && definedTerms.contains(String(key.dropLast()))) else { continue }
            if var e = byKey[key] {
                e.count += 1
                if e.detail == nil { e.detail = detail }
                byKey[key] = e
            } else {
                order.append(key)
                byKey[key] = Extraction(kind: .names, start: r.start, end: r.end, value: r.value, detail: detail)
            }
        }
        return order.compactMap { byKey[$0] }.enumerated().sorted { ($0.element.count, -$0.offset) > ($1.element.count, -$1.offset) }.map(\.element)
    }
}
