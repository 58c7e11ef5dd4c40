/// Telephone and fax numbers: digit groups (with `( ) - / .` between them,
/// at most one space apart, on one line) that start with `+`, follow a cue
/// word (`Tel.`, `Phone:`, `Fax`, `Telefon`, `Tél.`, `Teléfono`, `T:`…), or
/// have the North American shape `(555) 123-4567` / `555-123-4567` /
/// `555.123.4567`; 7 to 15 digits (8 to 15 after `+`). The value is `+` (when
/// written) and the digits, without a trunk `(0)` after a country code.
/// Numbers without one of these marks (ISBNs, invoice numbers, amounts,
/// dates) are not phone numbers.
enum PhoneExpert {
    static let cues = ExpertWords.ids(["tel", "telephone", "phone", "fax", "telefax", "mobile", "cell", "telefon", "téléphone", "tél",
                                       "teléfono", "móvil", "handy", "fon", "ph", "tfn", "mob", "portable", "celular"])
    /// Single capitals that are cues only before a colon (`T: …`, `F: …`).
    static let letterCues: Set<String> = ["T", "F", "M", "P"]

    /// True when token `t` is a cue for the number that follows.
    static func isCue(_ text: ExpertText, _ t: Int, in range: Range<Int>) -> Bool {
        guard t >= range.lowerBound, t < range.upperBound, text.tokens[t].kind == .word else { return false }
        if cues.contains(text.tokens[t].id) { return true }
        return letterCues.contains(text.string(token: t)) && text.isChar(t + 1, 0x3A)
    }

    static func isJoiner(_ text: ExpertText, _ t: Int) -> Bool {
        text.tokens[t].kind == .punctuation && [0x28, 0x29, 0x2D, 0x2F, 0x2E].contains(text.first(t)) && text.tokens[t].end - text.tokens[t].start == 1
    }

    /// The digit groups from token `t`: the last token, and the groups' digits.
    static func groups(_ text: ExpertText, from t: Int, in range: Range<Int>) -> (last: Int, digits: [UInt8], groups: [Int])? {
        var last = t - 1, digits: [UInt8] = [], groups: [Int] = []
        var u = t
        while u < range.upperBound, u == t || (text.sameLine(u - 1, u) && text.oneSpace(after: u - 1)) {
            if text.tokens[u].kind == .number {
                let s = Int(text.tokens[u].start), e = Int(text.tokens[u].end)
                // ASCII digits and full stops only ("12;34", "2019;178", other scripts' digits are not phone numbers).
                guard text.bytes[s..<e].allSatisfy({ $0 == 0x2E || ($0 >= 0x30 && $0 <= 0x39) }) else { return nil }
                for piece in text.bytes[s..<e].split(separator: 0x2E) {
                    digits.append(contentsOf: piece)
                    groups.append(piece.count)
                }
                last = u
            } else if !isJoiner(text, u) {
                break
            }
            u += 1
        }
        return last >= t ? (last, digits, groups) : nil
    }

    /// Phone numbers in `tokens` (one block), appended in text order.
    static func scan(_ text: ExpertText, tokens range: Range<Int>, into out: inout [Extraction]) {
        var t = range.lowerBound
        while t < range.upperBound {
            var start: Int?
            var plus = false
            if text.isChar(t, 0x2B), t + 1 < range.upperBound, text.tokens[t + 1].kind == .number, text.oneSpace(after: t),
               t == range.lowerBound || !text.touching(t - 1, t) || text.tokens[t - 1].kind == .punctuation {
                (start, plus) = (t + 1, true)
            } else if isCue(text, t, in: range) {
                var u = t + 1
                while u < range.upperBound, u <= t + 3, text.tokens[u].kind == .punctuation, [0x2E, 0x3A, 0x2D].contains(text.first(u)) { u += 1 }
                if u < range.upperBound, text.sameLine(t, u), text.isChar(u, 0x2B) { (start, plus) = (u + 1, true) }
                else if u < range.upperBound, text.sameLine(t, u), text.tokens[u].kind == .number || text.isChar(u, 0x28) { start = u }
            } else if text.tokens[t].kind == .number || text.isChar(t, 0x28), t == range.lowerBound || !text.touching(t - 1, t) {
                start = t  // the North American shape, checked below
            }
            guard let first = start, first < range.upperBound, let (last, digits, groups) = groups(text, from: first, in: range) else { t += 1; continue }
            let cued = plus || start != t
            let northAmerican = groups == [3, 3, 4] && (text.isChar(t, 0x28) ? text.isChar(t + 2, 0x29) : true) && last - t >= (text.isChar(t, 0x28) ? 4 : 0)
                && digits.count == 10
            guard cued || northAmerican, digits.count >= (plus ? 8 : 7), digits.count <= 15 else { t += 1; continue }
            var value = plus ? "+" : ""
            var d = digits
            // "+49 (0)30 …": the trunk 0 is not dialled from abroad.
            if plus, let open = (first...last).first(where: { text.isChar($0, 0x28) }), open + 2 <= last, text.string(token: open + 1) == "0", text.isChar(open + 2, 0x29) {
                let before = (first..<open).reduce(0) { n, t in
                    n + (text.tokens[t].kind == .number ? text.bytes[Int(text.tokens[t].start)..<Int(text.tokens[t].end)].filter { $0 != 0x2E }.count : 0)
                }
                if before < d.count { d.remove(at: before) }
            }
            value += String(decoding: d, as: UTF8.self)
            let startToken = plus ? first - 1 : first
            out.append(Extraction(kind: .phones, start: text.tokens[startToken].start, end: text.tokens[last].end, value: value))
            t = last + 1
        }
    }
}
