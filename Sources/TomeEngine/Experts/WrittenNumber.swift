import Foundation

/// A number as written in prose, read into a plain decimal (`1234.56`).
///
/// Both thousands conventions are read: `1,234.56`, `1.234,56`,
/// `1 234,56` (ASCII, no-break or narrow no-break space between groups of
/// three), `1'234.56`, Indian `1,23,456`. Where a full stop and a comma both
/// appear, the last is the decimal mark. A single mark followed by exactly
/// three digits (`1,234`, `1.234`) is a thousands separator, unless the
/// number is `0.125`, a scale word follows (`$1.125 billion`) or spaces
/// group the thousands; any other single mark is a decimal mark (`12,5`,
/// `12.50`). Marks that do not group digits as thousands do (`1.2.3`,
/// `12.03.2024`) make no number. A scale word after the number multiplies
/// it: `2.5 million`, `$3bn`, `4,2 Mio.`. Decimal arithmetic, so values are
/// exact.
struct WrittenNumber {
    var value: Decimal
    /// The number's first and last tokens (the scale word included).
    var first: Int
    var last: Int

    /// The normalised text of `value`: no exponent, no trailing zeros.
    var text: String { Self.format(value) }

    static func format(_ value: Decimal) -> String {
        var v = value
        var rounded = Decimal()
        NSDecimalRound(&rounded, &v, 12, .plain)
        return "\(rounded)"
    }

    static let scales: [UInt64: Decimal] = {
        var table: [UInt64: Decimal] = [:]
        for (words, power) in [("thousand k tausend mille mil", 3), ("million millions mio mn m millionen millones millón", 6),
                               ("billion billions bn mrd md milliarde milliarden milliard milliards", 9), ("trillion trillions tn", 12)] {
            for w in words.split(separator: " ") { table[CanonicalForm.id(of: String(w))] = Decimal(sign: .plus, exponent: power, significand: 1) }
        }
        return table
    }()

    /// The number starting at token `t` within `range`, or nil.
    static func read(_ text: ExpertText, at t: Int, in range: Range<Int>) -> WrittenNumber? {
        guard t >= range.lowerBound, t < range.upperBound else { return nil }
        let token = text.tokens[t]
        var digits = Array(text.bytes[Int(token.start)..<Int(token.end)])
        var last = t
        var scale: Decimal = 1
        if token.kind == .word {
            // "5m", "2.5bn": a number with a scale written onto it.
            guard let split = digits.firstIndex(where: { ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A }), split > 0,
                  let s = scales[CanonicalForm.id(of: String(decoding: digits[split...], as: UTF8.self))] else { return nil }
            digits = Array(digits[..<split])
            scale = s
        } else if token.kind == .number {
            // Swiss groups: "1'250.50" (the tokenizer splits at the apostrophe between digits).
            while last + 2 < range.upperBound, text.isChar(last + 1, 0x27) || text.string(token: last + 1) == "’",
                  text.touching(last, last + 1), text.touching(last + 1, last + 2), text.tokens[last + 2].kind == .number,
                  text.bytes[Int(text.tokens[last + 2].start)..<Int(text.tokens[last + 2].end)].prefix(while: { $0 >= 0x30 && $0 <= 0x39 }).count == 3 {
                digits += text.bytes[Int(text.tokens[last + 2].start)..<Int(text.tokens[last + 2].end)]
                last += 2
            }
            // Groups of three after a space: "1 234 567,89".
            while digits.count <= 3 || digits.contains(0x20), !digits.contains(0x2C), !digits.contains(0x2E),
                  last + 1 < range.upperBound, text.oneSpace(after: last),
                  !text.touching(last, last + 1), text.tokens[last + 1].kind == .number {
                let next = text.bytes[Int(text.tokens[last + 1].start)..<Int(text.tokens[last + 1].end)]
                let lead = next.prefix { $0 >= 0x30 && $0 <= 0x39 }
                guard lead.count == 3, lead.count == next.count || [0x2C, 0x2E].contains(next[next.startIndex + 3]) else { break }
                digits.append(0x20)
                digits.append(contentsOf: next)
                last += 1
            }
            if last + 1 < range.upperBound, text.tokens[last + 1].kind == .word, text.oneSpace(after: last),
               let s = scales[text.tokens[last + 1].id], !["m", "k"].contains(text.string(token: last + 1).lowercased()) || text.touching(last, last + 1) {
                scale = s
                last += 1
                if text.isChar(last + 1, 0x2E), text.touching(last, last + 1), last + 1 < range.upperBound { last += 1 }  // "Mio."
            }
        } else {
            return nil
        }
        guard let value = decimal(digits, scaled: scale != 1) else { return nil }
        return WrittenNumber(value: value * scale, first: t, last: last)
    }

    /// The decimal value of digits with marks (`1,234.56`, `1 234,56`, `1'234`,
    /// Indian `1,23,456`); nil when the marks do not group the digits as
    /// thousands do (`1.2.3`, `12.03.2024`). `scaled`: a scale word follows.
    static func decimal(_ written: [UInt8], scaled: Bool) -> Decimal? {
        let spaced = written.contains(0x20)
        let plain = written.filter { $0 != 0x20 && $0 != 0x27 }
        guard let firstDigit = plain.first, firstDigit >= 0x30, firstDigit <= 0x39,
              plain.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2C || $0 == 0x2E }) else { return nil }
        let groups = plain.split(omittingEmptySubsequences: false) { $0 == 0x2C || $0 == 0x2E }
        let marks = plain.filter { $0 == 0x2C || $0 == 0x2E }
        guard groups.allSatisfy({ !$0.isEmpty }) else { return nil }
        var decimalMark: UInt8?
        if let last = marks.last, marks.contains(where: { $0 != last }) {
            // Both marks: the last is the decimal mark, and appears once.
            guard marks.filter({ $0 == last }).count == 1 else { return nil }
            decimalMark = last
        } else if marks.count == 1, let mark = marks.first {
            // One mark before three digits is a thousands separator ("1,234", "1.234"), unless the
            // number is "0.125", its integer part is already long ("1234.567"), a scale word
            // follows ("$1.125 billion"), or spaces group its thousands ("1 234,567").
            let (whole, after) = (groups[0], groups[1])
            let thousands = after.count == 3 && !(whole.count == 1 && whole.first == 0x30) && whole.count <= 3 && !scaled && !spaced
            decimalMark = thousands ? nil : mark
        }
        // Thousands groups: 1–3 digits first, then groups of three (or two, the Indian way, before the last three).
        let integerGroups = decimalMark == nil ? groups[...] : groups.dropLast()
        if integerGroups.count > 1 {
            guard let first = integerGroups.first, first.count <= 3, integerGroups.last?.count == 3,
                  integerGroups.dropFirst().dropLast().allSatisfy({ $0.count == 2 || $0.count == 3 }) else { return nil }
        }
        var out = ""
        for b in plain {
            if b >= 0x30 && b <= 0x39 { out.append(Character(Unicode.Scalar(b))) } else if b == decimalMark { out.append(".") }
        }
        return Decimal(string: out, locale: Locale(identifier: "en_US_POSIX"))
    }
}
