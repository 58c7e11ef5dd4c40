/// Calendar dates, normalised to ISO 8601.
///
/// Forms read (tokens touching or one space apart, on one line):
/// - a month name in English, German, French or Spanish, full or
///   abbreviated: `12 March 2024`, `12th of March, 2024`, `15. März 2024`,
///   `1er janvier 2020`, `15 de mayo de 2023`, `March 12, 2024`,
///   `Mar. 12 2024` → `2024-03-12`; `March 2024`, `mayo de 2023` → `2024-03`
///   (a partial date stays partial);
/// - Chinese and Japanese: `2025年3月15日`, `2025年3月`;
/// - numeric: `2024-03-12`, `2024/03/12`, `2024.03.12` (year first), and
///   `12/03/2024`, `12-03-2024`, `12.03.2024`, `12.03.24` (two-digit
///   years only with two-digit day and month; 00–69 → 20xx).
///
/// A numeric date whose first two numbers could each be the month is
/// ambiguous: `ExtractionRun` reads it in the pipeline's order, else in the
/// order the document's unambiguous numeric dates use, else day first, and
/// says which in `detail`. Left out rather than invented: a day and month
/// without a year, ranges whose first day borrows the month (`12–14 May
/// 2025`, `du 1er au 31 juillet 2015`; two whole dates with a dash between,
/// `01.05.14-31.05.14`, are two dates), relative dates, bare years,
/// and number chains that are not dates (versions `1.2.3`, section numbers
/// `3.2.10`, addresses `192.168.1.1`, phone numbers `555-123-4567`).
/// `May`, `March`, `Mar` and `August` must be capitalised (they are also
/// English verbs and adjectives); `May` still needs a number beside it to
/// be a date. A timestamp's date is read (`2024-03-12T10:00:00Z`).
enum DateExpert {
    /// Marks a numeric date read day first whose order was not in the text.
    static let ambiguous = "ambiguous day/month order"

    struct Month {
        let number: Int
        let needsCapital: Bool
    }

    static let months: [UInt64: Month] = {
        var table: [UInt64: Month] = [:]
        func add(_ words: String, capital: Bool) {
            for (i, group) in words.split(separator: ";").enumerated() {
                for word in group.split(separator: " ") { table[CanonicalForm.id(of: String(word))] = Month(number: i + 1, needsCapital: capital) }
            }
        }
        add("january jan;february feb;march mar;april apr;may;june jun;july jul;august aug;september sep sept;october oct;november nov;december dec",
            capital: false)
        add("januar jänner jän;februar;märz mär;april;mai;juni;juli;august;september;oktober okt;november;dezember dez", capital: false)
        add("janvier janv;février févr fevr;mars;avril avr;mai;juin;juillet juil;août aout;septembre sept;octobre;novembre;décembre déc", capital: false)
        add("enero ene;febrero feb;marzo;abril abr;mayo;junio;julio;agosto ago;septiembre setiembre sep;octubre oct;noviembre nov;diciembre dic", capital: false)
        // English words that are also verbs or adjectives: a month only when capitalised ("you may", "march on", "mar the view").
        for (word, month) in [("may", 5), ("march", 3), ("mar", 3), ("august", 8)] { table[CanonicalForm.id(of: word)] = Month(number: month, needsCapital: true) }
        return table
    }()

    /// Words between a day and its month (`12th of March`, `15 de mayo`), or a month and its year (`mayo de 2023`).
    static let joiners = ExpertWords.ids(["of", "de", "del"])
    /// Words between the two days of a range (`du 1er au 31 juillet`, `from 1 to 31 July`).
    static let rangeWords = ExpertWords.ids(["to", "au", "bis", "al", "and", "until", "till", "through", "thru", "et", "y", "und"])
    /// A number after one of these is not a date.
    static let notBefore = ExpertWords.ids(["version", "v", "release", "section", "chapter", "isbn", "ip", "rfc", "figure", "table", "§"])

    /// The month of token `t`, when it is a month word written as one.
    static func month(_ text: ExpertText, _ t: Int) -> Int? {
        guard t >= 0, t < text.tokens.count, text.tokens[t].kind == .word, let m = months[text.tokens[t].id] else { return nil }
        return !m.needsCapital || text.tokens[t].capitalized ? m.number : nil
    }

    /// A day of the month: `1`…`31`, or with an ordinal ending (`1st`, `2nd`, `21st`, `1er`, `1º`).
    static func day(_ text: ExpertText, _ t: Int) -> Int? {
        guard t >= 0, t < text.tokens.count else { return nil }
        if let (v, digits) = text.integer(t) { return digits <= 2 && v >= 1 && v <= 31 ? v : nil }
        guard text.tokens[t].kind == .word else { return nil }
        let word = Array(text.string(token: t).lowercased().utf8)
        var v = 0, i = 0
        while i < word.count, i < 2, word[i] >= 0x30, word[i] <= 0x39 { v = v * 10 + Int(word[i] - 0x30); i += 1 }
        let suffix = String(decoding: word[i...], as: UTF8.self)
        guard i > 0, v >= 1, v <= 31, ["st", "nd", "rd", "th", "er", "o", "º", "°"].contains(suffix) else { return nil }
        return v
    }

    /// A four-digit year, 1000–2999.
    static func year(_ text: ExpertText, _ t: Int) -> Int? {
        guard let (v, digits) = text.integer(t), digits == 4, v >= 1000, v <= 2999 else { return nil }
        return v
    }

    static func isDash(_ text: ExpertText, _ t: Int) -> Bool {
        guard t >= 0, t < text.tokens.count, text.tokens[t].kind == .punctuation else { return false }
        let s = text.string(token: t)
        return s == "-" || s == "–" || s == "—"
    }

    static func iso(_ y: Int, _ m: Int, _ d: Int?) -> String {
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return d.map { "\(y)-\(two(m))-\(two($0))" } ?? "\(y)-\(two(m))"
    }

    /// Dates in `tokens` (one block), appended in text order.
    static func scan(_ text: ExpertText, tokens range: Range<Int>, into out: inout [Extraction]) {
        var t = range.lowerBound
        while t < range.upperBound {
            if let (found, next) = numeric(text, at: t, in: range) ?? named(text, monthAt: t, in: range) ?? ideographic(text, at: t, in: range) {
                out.append(found)
                t = next
            } else {
                t += 1
            }
        }
    }

    /// A date around the month word at `m`; the extraction and the token after it.
    static func named(_ text: ExpertText, monthAt m: Int, in range: Range<Int>) -> (Extraction, Int)? {
        guard let month = month(text, m) else { return nil }
        let inside = { (t: Int) in t >= range.lowerBound && t < range.upperBound }
        func near(_ a: Int, _ b: Int) -> Bool { inside(a) && inside(b) && a < b && text.sameLine(a, b) && (b - a > 1 || text.oneSpace(after: a)) }
        var after = m + 1
        if text.isChar(after, 0x2E), text.touching(m, after) { after += 1 }  // "Mar."
        // Day first: "12 March 2024", "12th of March", "15. März", "15 de mayo de 2023".
        var d = m - 1
        if inside(d), DateExpert.joiners.contains(text.tokens[d].id) { d -= 1 }
        if inside(d), text.isChar(d, 0x2E), inside(d - 1), text.touching(d - 1, d) { d -= 1 }
        if inside(d), near(d, m), let day = day(text, d) {
            // A range whose first day borrows this month ("12–14 May", "du 1er au 31 juillet"): left out.
            guard !(isDash(text, d - 1) && inside(d - 2) && text.tokens[d - 2].kind != .punctuation),
                  !(inside(d - 2) && rangeWords.contains(text.tokens[d - 1].id) && Self.day(text, d - 2) != nil) else { return nil }
            var y = after
            if inside(y), text.isChar(y, 0x2C) || DateExpert.joiners.contains(text.tokens[y].id) { y += 1 }
            guard inside(y), near(m, y), let year = year(text, y), day <= ISODate.days(inMonth: month, year: year) else { return nil }
            return (Extraction(kind: .dates, start: text.tokens[d].start, end: text.tokens[y].end, value: iso(year, month, day)), y + 1)
        }
        // Month first: "March 12, 2024", "Mar. 12 2024", "March 2024", "mayo de 2023".
        guard inside(after), near(m, after) else { return nil }
        if let day = day(text, after) {
            // "May 12–14", "July 1 to 31, 2015": a range.
            guard !isDash(text, after + 1), !(after + 2 < range.upperBound && rangeWords.contains(text.tokens[after + 1].id) && Self.day(text, after + 2) != nil)
            else { return nil }
            var y = after + 1
            if inside(y), text.isChar(y, 0x2C) { y += 1 }
            guard inside(y), near(after, y), let year = year(text, y), day <= ISODate.days(inMonth: month, year: year) else { return nil }
            return (Extraction(kind: .dates, start: text.tokens[m].start, end: text.tokens[y].end, value: iso(year, month, day)), y + 1)
        }
        var y = after
        if text.isChar(y, 0x2C) || DateExpert.joiners.contains(text.tokens[y].id) { y += 1 }
        guard inside(y), near(after - 1, y), let year = year(text, y), !isDash(text, y + 1) else { return nil }
        // "March–April 2024": a range whose first month borrows this year.
        guard !(isDash(text, m - 1) && inside(m - 2) && Self.month(text, m - 2) != nil) else { return nil }
        return (Extraction(kind: .dates, start: text.tokens[m].start, end: text.tokens[y].end, value: iso(year, month, nil)), y + 1)
    }

    /// A Chinese or Japanese date starting at the year at token `t`:
    /// `2025年3月15日` → `2025-03-15`, `2025年3月` → `2025-03` (the numbers
    /// and their characters touching, as written).
    static func ideographic(_ text: ExpertText, at t: Int, in range: Range<Int>) -> (Extraction, Int)? {
        func mark(_ i: Int, _ character: String) -> Bool {
            i < range.upperBound && text.tokens[i].kind == .ideograph && text.touching(i - 1, i) && text.string(token: i) == character
        }
        guard t + 3 < range.upperBound, let year = year(text, t), mark(t + 1, "年"), text.touching(t + 1, t + 2),
              let (month, digits) = text.integer(t + 2), digits <= 2, (1...12).contains(month), mark(t + 3, "月") else { return nil }
        if t + 5 < range.upperBound, text.touching(t + 3, t + 4), let (day, dayDigits) = text.integer(t + 4), dayDigits <= 2,
           (1...ISODate.days(inMonth: month, year: year)).contains(day), mark(t + 5, "日") {
            return (Extraction(kind: .dates, start: text.tokens[t].start, end: text.tokens[t + 5].end, value: iso(year, month, day)), t + 6)
        }
        return (Extraction(kind: .dates, start: text.tokens[t].start, end: text.tokens[t + 3].end, value: iso(year, month, nil)), t + 4)
    }

    /// A numeric date starting at token `t`; the extraction and the token after it.
    static func numeric(_ text: ExpertText, at t: Int, in range: Range<Int>) -> (Extraction, Int)? {
        guard text.tokens[t].kind == .number else { return nil }
        // Part of a longer chain, or a number that names something else; but
        // "01.05.14-31.05.14" is two dates (a dotted date on each side of the dash).
        if t > range.lowerBound {
            let p = t - 1
            if text.touching(p, t), text.tokens[p].kind == .punctuation, text.isChar(p, 0x2D) || text.isChar(p, 0x2F) || text.isChar(p, 0x2E),
               !(isDash(text, p) && isDotted(text, t) && p > range.lowerBound && isDotted(text, p - 1)) { return nil }
            if isDash(text, p), text.touching(p, t), isDotted(text, t), !(p > range.lowerBound && isDotted(text, p - 1)) { return nil }
            if notBefore.contains(text.tokens[p].id) || (text.isChar(p, 0x2E) && p > range.lowerBound && text.touching(p - 1, p)
                                                          && notBefore.contains(text.tokens[p - 1].id)) { return nil }
        }
        var parts: [(value: Int, digits: Int)] = [], end = t
        let s = Int(text.tokens[t].start), e = Int(text.tokens[t].end)
        if text.bytes[s..<e].contains(0x2E) {
            // One token: "12.03.2024" (the tokenizer keeps full stops between digits).
            for piece in text.bytes[s..<e].split(separator: 0x2E, omittingEmptySubsequences: false) {
                guard !piece.isEmpty, piece.count <= 4, piece.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
                parts.append((piece.reduce(0) { $0 * 10 + Int($1 - 0x30) }, piece.count))
            }
        } else {
            // Tokens: "2024-03-12", "12/03/2024".
            guard let first = text.integer(t), t + 4 < range.upperBound, text.tokens[t + 1].kind == .punctuation else { return nil }
            let separator = text.first(t + 1)
            guard separator == 0x2D || separator == 0x2F, text.isChar(t + 1, separator), text.isChar(t + 3, separator),
                  let second = text.integer(t + 2), let third = text.integer(t + 4) ?? timestampDay(text, t + 4, separator: separator),
                  text.touching(t, t + 1), text.touching(t + 1, t + 2), text.touching(t + 2, t + 3), text.touching(t + 3, t + 4)
            else { return nil }
            parts = [first, second, third]
            end = t + 4
        }
        guard parts.count == 3 else { return nil }
        let stamped = text.tokens[end].kind == .word  // "12T10": a timestamp's time follows
        // Not followed by more of the chain ("1-2-3-4", "12/03/2024/5"), but by another dotted date it may be.
        if !stamped, end + 2 < range.upperBound, text.touching(end, end + 1), text.tokens[end + 1].kind == .punctuation,
           !text.isChar(end + 1, 0x2C), text.tokens[end + 2].kind == .number, text.touching(end + 1, end + 2),
           !(end == t && isDash(text, end + 1) && isDotted(text, end + 2)) { return nil }
        let value: String, detail: String?
        if parts[0].digits == 4 {
            let (y, m, d) = (parts[0].value, parts[1].value, parts[2].value)
            guard y >= 1000, y <= 2999, parts[1].digits <= 2, parts[2].digits <= 2, m >= 1, m <= 12, d >= 1, d <= ISODate.days(inMonth: m, year: y) else { return nil }
            (value, detail) = (iso(y, m, d), nil)
        } else {
            let (a, b) = (parts[0], parts[1])
            guard a.digits <= 2, b.digits <= 2 else { return nil }
            var year = parts[2].value
            switch parts[2].digits {
            case 4: guard year >= 1000, year <= 2999 else { return nil }
            case 2: guard a.digits == 2, b.digits == 2 else { return nil }
                year += year < 70 ? 2000 : 1900
            default: return nil
            }
            let (d, m): (Int, Int)
            if a.value > 12, b.value <= 12 { (d, m, detail) = (a.value, b.value, nil) }
            else if b.value > 12, a.value <= 12 { (d, m, detail) = (b.value, a.value, nil) }
            else { (d, m, detail) = (a.value, b.value, Self.ambiguous) }
            guard m >= 1, m <= 12, d >= 1, d <= ISODate.days(inMonth: m, year: year) else { return nil }
            value = iso(year, m, d)
        }
        // An unambiguous one says which order the document writes: kept in `detail` until the run resolves the rest.
        let order: String? = detail ?? (parts[0].digits == 4 ? nil : (parts[0].value > 12 ? "dmy" : "mdy"))
        let endByte = stamped ? text.tokens[end].start + 2 : text.tokens[end].end
        return (Extraction(kind: .dates, start: text.tokens[t].start, end: endByte, value: value, detail: order), end + 1)
    }

    /// The day of a timestamp's date part (`12T10` in `2024-03-12T10:00:00Z`).
    static func timestampDay(_ text: ExpertText, _ t: Int, separator: UInt8) -> (value: Int, digits: Int)? {
        guard separator == 0x2D, t < text.tokens.count, text.tokens[t].kind == .word else { return nil }
        let s = Int(text.tokens[t].start), e = Int(text.tokens[t].end)
        guard e - s >= 4, text.bytes[s + 2] == 0x54, let d1 = digit(text.bytes[s]), let d2 = digit(text.bytes[s + 1]), digit(text.bytes[s + 3]) != nil
        else { return nil }
        return (d1 * 10 + d2, 2)
    }

    static func digit(_ b: UInt8) -> Int? { b >= 0x30 && b <= 0x39 ? Int(b - 0x30) : nil }

    /// A number token of three parts joined by full stops (`12.03.2024`).
    static func isDotted(_ text: ExpertText, _ t: Int) -> Bool {
        guard text.tokens[t].kind == .number else { return false }
        return text.bytes[Int(text.tokens[t].start)..<Int(text.tokens[t].end)].filter { $0 == 0x2E }.count == 2
    }

    /// Reads the ambiguous dates of `found` (all of one document) in the
    /// pipeline's order, else the order of the document's unambiguous
    /// numeric dates (the majority), else day first; says which.
    static func resolve(_ found: inout [Extraction], order: DateOrder?) {
        var dayFirst = 0, monthFirst = 0
        for e in found where e.kind == .dates {
            if e.detail == "dmy" { dayFirst += 1 } else if e.detail == "mdy" { monthFirst += 1 }
        }
        let (chosen, reason): (DateOrder, String)
        if let order {
            (chosen, reason) = (order, "day/month order from the pipeline (\(order.rawValue))")
        } else if dayFirst != monthFirst {
            let o: DateOrder = dayFirst > monthFirst ? .dmy : .mdy
            (chosen, reason) = (o, "day/month order from the document's other dates (\(o.rawValue))")
        } else {
            (chosen, reason) = (.dmy, "day/month order assumed (dmy): neither the document nor its pipeline settles it")
        }
        for i in found.indices where found[i].kind == .dates {
            if found[i].detail == "dmy" || found[i].detail == "mdy" {
                found[i].detail = nil
            } else if found[i].detail == Self.ambiguous {
                if chosen == .mdy {
                    // Read day first; both numbers are 1–12, so swapping them reads month first.
                    let p = found[i].value.split(separator: "-")
                    found[i].value = "\(p[0])-\(p[2])-\(p[1])"
                }
                found[i].detail = reason
            }
        }
    }
}
