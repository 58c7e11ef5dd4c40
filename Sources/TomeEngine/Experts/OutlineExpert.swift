/// The outline: the extracted one (PDF bookmarks, HTML headings) merged
/// with the headings detected in the text (`UnitKind.heading`), in text
/// order, each cited by its heading's line.
///
/// An extracted entry keeps its title and level; entries extraction could
/// not place in the text are left out (the document's stored outline has
/// them). A detected heading joins when it is not an entry's own line and
/// the text does not repeat it (a running head repeats); when the extracted
/// outline has three or more entries, only numbered headings join
/// (`3.2 Memory use`), since the outline already names the rest. Likewise
/// when the text numbers three or more of its headings: after the first
/// numbered one only numbered headings join, since a document that numbers
/// its sections numbers them all, and the short lines between are a
/// table's column heads ("Size"), a list of error codes ("BZ_OK") or a
/// form's labels. A heading
/// without a letter ("914704", "7") or a Roman page number ("iii") never
/// does. Nor does a short line that heads no text — one before the
/// document's first sentence (a letter's or an invoice's letterhead,
/// addresses, a title page, a contract's "BETWEEN:") unless numbered or
/// that sentence's own heading (an extracted outline of fewer than three
/// entries obeys this too: an invoice's styled company name and "TAX
/// INVOICE"), one not followed by
/// prose (an address block, a signature, a form's fields), a salutation or
/// a closing, or a label with its value (`isLetterLine`), a signature's
/// line (`isSignatureLine`), a line of a block of short lines
/// (`isBlockLine`: an address), a lead-in ("In this Agreement:"), or a
/// line with a price ("1 Sticky Toffee Pudding £7.50", "Total due
/// £6,504.00"). A detected
/// heading's level is the depth of its number (`3.2` → 2), else 1.
enum OutlineExpert {
    static func extract(_ text: ExpertText, outline: [OutlineItem], unitStarts: [Int32], unitEnds: [Int32]) -> [Extraction] {
        func unit(at offset: Int) -> Int? {
            var low = 0, high = unitStarts.count - 1
            guard high >= 0, Int(unitStarts[0]) <= offset else { return nil }
            while low < high {
                let mid = (low + high + 1) / 2
                if Int(unitStarts[mid]) <= offset { low = mid } else { high = mid - 1 }
            }
            return Int(unitEnds[low]) > offset ? low : nil
        }
        func trimmed(_ u: Int) -> (Int32, Int32) {
            var (s, e) = (Int(unitStarts[u]), Int(unitEnds[u]))
            while s < e, text.bytes[s] <= 0x20 { s += 1 }
            while e > s, text.bytes[e - 1] <= 0x20 { e -= 1 }
            return (Int32(s), Int32(e))
        }
        var out: [Extraction] = [], taken = Set<Int>()
        // The title block: what stands before the first sentence (a letterhead, "TAX INVOICE", "ENTRE LES
        // SOUSSIGNÉS :", a salutation) titles no section, unless numbered or the heading of that sentence.
        let firstSentence = text.unitKinds.indices.first { isSentence(text, $0) } ?? Int.max
        func titleBlock(_ u: Int, depth: Int) -> Bool {
            !(u >= firstSentence || depth > 0 || u + 1 == firstSentence && !endsWithColon(text, u))
        }
        for item in outline {
            guard let offset = item.offset, let u = unit(at: offset) else { continue }
            taken.insert(u)
            // A short extracted outline (an invoice's styled <h2>Company</h2><h3>TAX INVOICE</h3>) obeys the title
            // block too; a long one (a manual's bookmarks) is the author's and kept whole.
            if outline.count < 3 && titleBlock(u, depth: 0) { continue }
            let (s, e) = trimmed(u)
            out.append(Extraction(kind: .outline, start: s, end: e, value: item.title, number: Double(item.level)))
        }
        var seen: [String: Int] = [:]
        let headings = text.unitKinds.indices.filter { text.kind($0) == .heading }
        let titles = headings.map { collapsed(text, $0) }, depths = headings.map { numberDepth(text, $0) }
        for title in titles { seen[title, default: 0] += 1 }
        let numbered = headings.indices.filter { depths[$0] > 0 && seen[titles[$0]] == 1 }
        let numberedFrom = numbered.count >= 3 ? headings[numbered[0]] : Int.max
        for h in headings.indices where !taken.contains(headings[h]) {
            let (u, title, depth) = (headings[h], titles[h], depths[h])
            guard seen[title] == 1, outline.count < 3 || depth > 0, u < numberedFrom || depth > 0, namesASection(title),
                  !titleBlock(u, depth: depth), introducesText(text, u, numbered: depth > 0), !isLetterLine(text, u),
                  !isSignatureLine(text, u), !hasPrice(text, u), depth > 0 || !isBlockLine(text, u),
                  // A lead-in ("In this Agreement:", "Bill to:") introduces what follows it, but titles no section.
                  depth > 0 || !endsWithColon(text, u) else { continue }
            let (s, e) = trimmed(u)
            out.append(Extraction(kind: .outline, start: s, end: e, value: title, number: Double(max(1, depth))))
        }
        return out.sorted { ($0.start, $0.end) < ($1.start, $1.end) }
    }

    /// Whether a detected heading's text can title a section: a letter at
    /// least ("C" and "R" are headings in manuals), not a page number in
    /// lower-case Roman numerals, and none of the marks of code, an address
    /// or a notice (`=`, `;`, `@`, braces, angle brackets, `|`, a backslash,
    /// `://`, `©`). A row of a table ("914704"), a page number ("7", "iii"),
    /// a bare section number, a line of code ("Next state = FINISHING;"), an
    /// author's address ("Julian Seward, jseward@acm.org", "Julian Seward,
    /// https://sourceware.org/bzip2/") or a title page's copyright line is a
    /// short line without a stop too, so the analysis calls it a heading.
    static func namesASection(_ title: String) -> Bool {
        title.contains(where: \.isLetter) && !(title == title.lowercased() && RomanNumeral.matches(title))
            && !title.unicodeScalars.contains { "=;@{}<>|\\©".unicodeScalars.contains($0) } && !title.contains("://")
    }

    /// A paragraph of prose, what a section's heading introduces: a whole
    /// sentence of a few words, or a long line; never a table's row.
    static func isProse(_ text: ExpertText, _ u: Int) -> Bool {
        guard text.kind(u) == .prose else { return false }
        let range = text.unitTokens[u]
        guard let first = range.first, let last = range.last,
              !SentenceSplitter.containsTab(text.bytes, from: text.tokens[first].start, to: text.tokens[last].end) else { return false }
        let content = range.filter { text.tokens[$0].isContent }.count
        let ends = text.tokens[last].kind == .punctuation && SentenceSplitter.terminalKind(text.bytes, text.tokens[last]) != nil
        return ends ? content >= 3 : content >= 12
    }

    /// Prose that ends as a sentence does (a full stop, a question or exclamation mark, "。").
    static func isSentence(_ text: ExpertText, _ u: Int) -> Bool {
        guard isProse(text, u), let last = text.unitTokens[u].last else { return false }
        return text.tokens[last].kind == .punctuation && SentenceSplitter.terminalKind(text.bytes, text.tokens[last]) != nil
    }

    /// The unit's last token is a colon (ASCII or full-width): a lead-in or a salutation ("各位业主、住户：").
    static func endsWithColon(_ text: ExpertText, _ u: Int) -> Bool {
        guard let last = text.unitTokens[u].last else { return false }
        let s = text.string(token: last)
        return s == ":" || s == "："
    }

    /// A heading introduces text: prose comes next, or (for a numbered
    /// heading) a numbered sub-heading or a list. The short lines of an
    /// address block, a signature or a form are followed by more short lines.
    static func introducesText(_ text: ExpertText, _ u: Int, numbered: Bool) -> Bool {
        guard u + 1 < text.unitKinds.count else { return false }
        if isProse(text, u + 1) { return true }
        // "1. DEFINITIONS" then "In this Agreement:", "CONSULTATION DU DOSSIER" then "… peut être consulté :": a lead-in
        // to the section's list or prose.
        if endsWithColon(text, u + 1), u + 2 < text.unitKinds.count, isProse(text, u + 2) || text.kind(u + 2) == .listItem { return true }
        // "3. COMPENSATION" then "3.1 Base salary. You will…": a clause's first sub-clause.
        let opensNumbered = text.unitTokens[u + 1].first.map { text.tokens[$0].kind == .number } ?? false
        return numbered && (text.kind(u + 1) == .listItem || opensNumbered)
    }

    /// The lines of a letter that stand alone but head nothing: a salutation
    /// or a closing ("Dear Ms Vogt,", "Yours faithfully", "Mit freundlichen
    /// Grüßen", "Madame, Monsieur,"), a line ending in a comma, and a
    /// label with its value ("Invoice No: 2025-0931").
    static func isLetterLine(_ text: ExpertText, _ u: Int) -> Bool {
        let range = text.unitTokens[u]
        guard let last = range.last else { return true }
        if text.tokens[last].kind == .punctuation, [0x2C, 0x3B].contains(text.first(last)) { return true }
        if range.contains(where: { letterWords.contains(text.tokens[$0].id) }) { return true }
        // A colon with a number after it: a form's label and its value.
        if let colon = range.first(where: { text.isChar($0, 0x3A) }), colon != last,
           range.contains(where: { $0 > colon && text.tokens[$0].kind == .number }) { return true }
        return false
    }
    /// A line of a letter's signature, which heads nothing though prose may
    /// follow it (a postscript, a notice's footer): on the line just below a
    /// closing ("Mit freundlichen Grüßen aus Trins" / "Familie Gruber und
    /// das Gruberhof-Team") or a titled name ("Dr Owen Pilling" / "Head of
    /// Environment and Waste Services"), or breaking after a comma itself
    /// ("Le maire," / "Christiane Vallier").
    static func isSignatureLine(_ text: ExpertText, _ u: Int) -> Bool {
        let range = text.unitTokens[u]
        guard !range.isEmpty else { return false }
        // A comma, then the rest on the next line.
        if range.dropLast().contains(where: { t in
            text.isChar(t, 0x2C) && SentenceSplitter.newlines(text.bytes, from: text.tokens[t].end, to: text.tokens[t + 1].start) > 0
        }) { return true }
        guard u > 0, let above = text.unitTokens[u - 1].first else { return false }
        let lines = lineBreaks(text, u - 1, u)
        // A closing may stand a blank line above ("… mes salutations distinguées." / "" / "Thibault Girard"); its word
        // ends the line ("Kind regards,", "Mit freundlichen Grüßen aus Trins"), unlike "As regards the deposit, …".
        let closing = lines <= 2 && text.unitTokens[u - 1].suffix(5).contains { closingWords.contains(text.tokens[$0].id) }
        let titledName = lines == 1 && NameExpert.honorifics.contains(text.tokens[above].id) && text.unitTokens[u - 1].count <= 6
            && text.kind(u - 1) != .prose
        return closing || titledName
    }

    /// A line with a price: a currency's symbol or code next to a number
    /// other than the line's first token ("1 Sticky Toffee Pudding £7.50",
    /// "Total due £6,504.00"; not "5.2 PHP configuration", "2.4 The $PATH
    /// variable", "3. Payment in EUR").
    static func hasPrice(_ text: ExpertText, _ u: Int) -> Bool {
        let range = text.unitTokens[u]
        return range.contains { t in
            guard text.tokens[t].kind == .number, t != range.lowerBound else { return false }
            return MoneyExpert.isCurrencyToken(text, t - 1) || t + 1 < range.upperBound && MoneyExpert.isCurrencyToken(text, t + 1)
        }
    }

    /// A line of a block of three or more short lines with no blank line
    /// between them and one around them (an address, a signature, a form's fields), which heads
    /// nothing whatever follows the block: "Shannonside Veterinary Clinic" /
    /// "Attn. Dr. Ciarán Moloney" / "Dock Road" / "Limerick V94 K8W3";
    /// "Kennzeichen: L-TW 4812" / "Fahrzeug: Pkw, grau". (A numbered heading
    /// is exempt: "3 Files" / "3.1 Paths" / "3.1.1 Search order".)
    static func isBlockLine(_ text: ExpertText, _ u: Int) -> Bool {
        func short(_ v: Int) -> Bool {
            text.kind(v) == .heading || text.kind(v) == .prose && !isSentence(text, v) && text.unitTokens[v].count <= 16
        }
        func breaks(_ a: Int, _ b: Int) -> Int { lineBreaks(text, a, b) }
        var first = u, last = u
        while first > 0, short(first - 1), breaks(first - 1, first) == 1 { first -= 1 }
        while last + 1 < text.unitKinds.count, short(last + 1), breaks(last, last + 1) == 1 { last += 1 }
        // Set apart by blank lines (an HTML paragraph, a letter's block): where every line ends in one line break
        // (a PDF's text), a chapter's "Part II" / "Advanced Topics" / "Introduction" is no block.
        let apart = (first == 0 || breaks(first - 1, first) >= 2) && (last + 1 == text.unitKinds.count || breaks(last, last + 1) >= 2)
        return last - first + 1 >= 3 && apart
    }

    /// The line breaks between the end of unit `a` and the start of unit `b` (0 when either has no token).
    static func lineBreaks(_ text: ExpertText, _ a: Int, _ b: Int) -> Int {
        guard let end = text.unitTokens[a].last, let start = text.unitTokens[b].first else { return 0 }
        return SentenceSplitter.newlines(text.bytes, from: text.tokens[end].end, to: text.tokens[start].start)
    }

    /// The words of a letter's closing ("Yours sincerely", "Kind regards", "Mit freundlichen Grüßen", "Cordialement").
    static let closingWords = ExpertWords.ids(["sincerely", "faithfully", "regards", "freundlichen", "grüßen", "grüße", "cordialement",
                                               "salutations", "atentamente", "saludos"])
    /// A salutation's or a closing's words.
    static let letterWords = closingWords.union(ExpertWords.ids(["dear", "yours", "geehrte", "geehrter", "liebe", "lieber", "madame", "monsieur",
                                                                 "mesdames", "messieurs", "estimado", "estimada"]))

    /// The heading's text with white-space runs as one space.
    static func collapsed(_ text: ExpertText, _ u: Int) -> String {
        text.unitTokens[u].map { text.string(token: $0) }.enumerated().reduce(into: "") { s, p in
            let t = text.unitTokens[u].lowerBound + p.offset
            if p.offset > 0, !text.touching(t - 1, t) { s += " " }
            s += p.element
        }
    }

    /// The depth of a heading's section number (`3.2.1` → 3, `3.` → 1,
    /// `12 Definitions` → 1), 0 without one. A bare number is a section's
    /// only with a stop or bracket after it, or when it has one or two
    /// digits and a capitalised word that is not a month follows: "12 rue
    /// des Tanneurs" and "14 March 2025" are not numbered headings.
    static func numberDepth(_ text: ExpertText, _ u: Int) -> Int {
        let range = text.unitTokens[u]
        guard let t = range.first, text.tokens[t].kind == .number, range.count > 1 else { return 0 }
        let number = text.string(token: t)
        if number.contains(".") { return number.split(separator: ".").count }
        let next = t + 1
        if text.touching(t, next), text.isChar(next, 0x2E) || text.isChar(next, 0x29) { return 1 }
        let word = text.tokens[next]
        guard number.utf8.count <= 2, word.kind == .word, word.capitalized, DateExpert.months[word.id] == nil else { return 0 }
        return 1
    }
}
