import Foundation

/// Percentages: a number followed by `%` (touching or one space apart) or
/// by a word for it (`percent`, `per cent`, `pct`, `Prozent`, `pour cent`,
/// `por ciento`); the value is the number as a plain decimal (`12,5 %` →
/// `12.5`). A `%` without a number before it (`%d`, `100%%` in a format
/// string's second mark) is not one.
enum PercentageExpert {
    static let single = ExpertWords.ids(["percent", "pct", "prozent", "procent", "porcentaje", "percento"])
    /// Two-word forms: the first word, then the second.
    static let pairs: [(UInt64, UInt64)] = [("per", "cent"), ("pour", "cent"), ("por", "ciento"), ("por", "cien")].map {
        (CanonicalForm.id(of: $0.0), CanonicalForm.id(of: $0.1))
    }

    /// The last token of a percent sign or word at `t`, or nil.
    static func mark(_ text: ExpertText, at t: Int, in range: Range<Int>) -> Int? {
        guard t < range.upperBound else { return nil }
        if text.isChar(t, 0x25) { return t }
        guard text.tokens[t].kind == .word else { return nil }
        if single.contains(text.tokens[t].id) { return t }
        if t + 1 < range.upperBound, text.oneSpace(after: t), pairs.contains(where: { $0.0 == text.tokens[t].id && $0.1 == text.tokens[t + 1].id }) { return t + 1 }
        return nil
    }

    /// Percentages in `tokens` (one block), appended in text order.
    static func scan(_ text: ExpertText, tokens range: Range<Int>, into out: inout [Extraction]) {
        var t = range.lowerBound
        while t < range.upperBound {
            if text.tokens[t].kind == .number, t == range.lowerBound || !(text.tokens[t - 1].kind == .number && text.oneSpace(after: t - 1)),
               let number = WrittenNumber.read(text, at: t, in: range), number.last + 1 < range.upperBound,
               text.oneSpace(after: number.last), let last = mark(text, at: number.last + 1, in: range) {
                // "-3.5 %" is negative; "10-20 %" is a range whose second number is not.
                let minus = t > range.lowerBound && (text.isChar(t - 1, 0x2D) || text.string(token: t - 1) == "−") && text.touching(t - 1, t)
                    && (t - 1 == range.lowerBound || !text.touching(t - 2, t - 1) || text.tokens[t - 2].kind == .punctuation)
                let value = minus ? -number.value : number.value
                out.append(Extraction(kind: .percentages, start: text.tokens[minus ? t - 1 : t].start, end: text.tokens[last].end,
                                      value: WrittenNumber.format(value), number: NSDecimalNumber(decimal: value).doubleValue))
                t = last + 1
            } else {
                t += 1
            }
        }
    }
}
