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
/// form's labels; before it the title page's lines stay. A heading
/// without a letter ("914704", "7") or a Roman page number ("iii") never
/// does. A detected heading's level is the depth of its number
/// (`3.2` → 2), else 1.
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
        for item in outline {
            guard let offset = item.offset, let u = unit(at: offset) else { continue }
            taken.insert(u)
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
            guard seen[title] == 1, outline.count < 3 || depth > 0, u < numberedFrom || depth > 0, namesASection(title) else { continue }
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

    /// The heading's text with white-space runs as one space.
    static func collapsed(_ text: ExpertText, _ u: Int) -> String {
        text.unitTokens[u].map { text.string(token: $0) }.enumerated().reduce(into: "") { s, p in
            let t = text.unitTokens[u].lowerBound + p.offset
            if p.offset > 0, !text.touching(t - 1, t) { s += " " }
            s += p.element
        }
    }

    /// The depth of a heading's section number (`3.2.1` → 3, `3.` → 1), 0 without one.
    static func numberDepth(_ text: ExpertText, _ u: Int) -> Int {
        let range = text.unitTokens[u]
        guard let t = range.first, text.tokens[t].kind == .number else { return 0 }
        let parts = text.string(token: t).split(separator: ".").count
        return range.count > 1 ? parts : 0
    }
}
