import Foundation

/// Amounts of money: a number with a currency symbol, an ISO 4217 code or a
/// currency word before or after it (`$1,234.56`, `US$ 5`, `EUR 12,50`,
/// `1.234,56 €`, `1 234,56 EUR`, `Fr. 1'250.–`, `12 euros`, `$2.5 million`,
/// `€3bn`), normalised to a plain decimal (`WrittenNumber`) and a code.
///
/// A symbol belongs to the number it touches (`320 £4.50` is £4.50, not
/// £320), and a tab parts a table's cells, so a quantity in one column never
/// takes the currency of the price in the next.
///
/// Each amount that ends its line takes the role its line's words give it
/// (`AmountRoles`: total, subtotal, tax, deduction).
///
/// A number alone is never an amount, however it looks: phone numbers,
/// ISBNs, invoice numbers and quantities have no currency. `$` is read as
/// USD unless a country's letters touch it (`A$`, `C$`, `HK$`, `R$`…);
/// `¥` as JPY, but as CNY in Chinese text (ideographs without kana), as are
/// `人民币` before a number and `元` after one (`円` after one is JPY). `kr` and `pounds` are left out: they name more than one
/// currency, or a weight.
enum MoneyExpert {
    static let symbols: [String: String] = [
        "$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "₩": "KRW", "₽": "RUB", "₺": "TRY", "₪": "ILS", "₫": "VND",
        "฿": "THB", "₴": "UAH", "₱": "PHP",
    ]
    /// Letters touching `$` that name its country.
    static let dollarPrefixes: [String: String] = [
        "US": "USD", "U.S": "USD", "A": "AUD", "AU": "AUD", "C": "CAD", "CA": "CAD", "NZ": "NZD", "HK": "HKD", "S": "SGD", "R": "BRL", "MX": "MXN",
    ]
    static let codes: Set<String> = Set("""
        USD EUR GBP JPY CHF CAD AUD NZD CNY RMB HKD SGD SEK NOK DKK PLN CZK HUF RON BGN INR BRL MXN ZAR KRW RUB TRY ILS AED SAR THB IDR MYR PHP TWD ISK
        """.split(separator: " ").map { String($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
    static let words: [UInt64: String] = {
        var table: [UInt64: String] = [:]
        for w in ["dollar", "dollars", "dólar", "dólares"] { table[CanonicalForm.id(of: w)] = "USD" }
        for w in ["euro", "euros"] { table[CanonicalForm.id(of: w)] = "EUR" }
        table[CanonicalForm.id(of: "yen")] = "JPY"
        table[CanonicalForm.id(of: "franken")] = "CHF"
        return table
    }()

    /// Token `t` is a currency's symbol ("£", "€") or code ("EUR").
    static func isCurrencyToken(_ text: ExpertText, _ t: Int) -> Bool {
        text.tokens[t].kind == .punctuation && symbols[text.string(token: t)] != nil
            || text.tokens[t].kind == .word && codes.contains(text.string(token: t))
    }

    /// The currency the tokens at `t` name, and the last of them. `yuan`:
    /// the block is Chinese (ideographs and no kana), where `¥` is the yuan.
    static func currency(_ text: ExpertText, at t: Int, in range: Range<Int>, yuan: Bool = false) -> (code: String, last: Int)? {
        guard t >= range.lowerBound, t < range.upperBound else { return nil }
        let token = text.tokens[t]
        switch token.kind {
        case .ideograph:
            // 人民币 (renminbi) before the number.
            guard t + 2 < range.upperBound, text.string(Int(token.start), Int(text.tokens[t + 2].end)) == "人民币",
                  text.touching(t, t + 1), text.touching(t + 1, t + 2) else { return nil }
            return ("CNY", t + 2)
        case .punctuation:
            let s = text.string(token: t)
            if (s == "¥" || s == "￥") && (yuan || s == "￥") { return ("CNY", t) }
            guard let code = symbols[s] else { return nil }
            if s == "$", t > range.lowerBound, text.touching(t - 1, t), text.tokens[t - 1].kind == .word { return nil }  // read from its prefix
            return (code, t)
        case .word:
            let s = text.string(token: t)
            if s == "RMB" { return ("CNY", t) }  // renminbi: the code is CNY
            if codes.contains(s) { return (s, t) }
            if let prefix = dollarPrefixes[s], text.isChar(t + 1, 0x24), text.touching(t, t + 1), t + 1 < range.upperBound { return (prefix, t + 1) }
            if s == "Fr" || s == "SFr", text.isChar(t + 1, 0x2E), text.touching(t, t + 1), t + 1 < range.upperBound { return ("CHF", t + 1) }
            return nil
        default:
            return nil
        }
    }

    /// A currency word after a number (`12 euros`, `100 US dollars`, `486,000元`, `3,000円`).
    static func currencyWord(_ text: ExpertText, at t: Int, in range: Range<Int>) -> (code: String, last: Int)? {
        guard t >= range.lowerBound, t < range.upperBound else { return nil }
        if text.tokens[t].kind == .ideograph {
            switch text.string(token: t) {
            case "元": return ("CNY", t)
            case "円": return ("JPY", t)
            default: return nil
            }
        }
        guard text.tokens[t].kind == .word else { return nil }
        if text.string(token: t) == "US", t + 1 < range.upperBound, text.oneSpace(after: t), words[text.tokens[t + 1].id] == "USD" { return ("USD", t + 1) }
        return words[text.tokens[t].id].map { ($0, t) }
    }

    /// Ideographs and no kana in the tokens: Chinese, where `¥` is the yuan (CNY), not the yen.
    static func isChinese(_ text: ExpertText, _ range: Range<Int>) -> Bool {
        var han = false
        for t in range where text.tokens[t].kind == .ideograph {
            let scalar = Tokenizer.decode(text.bytes, at: Int(text.tokens[t].start), end: Int(text.tokens[t].end)).0.value
            if (0x3040...0x30FF).contains(scalar) { return false }
            han = true
        }
        return han
    }

    /// A symbol after a number belongs to the number after it when it
    /// touches that one and not this one: in "320 £4.50" (a quantity and a
    /// price in one row) the pound sign is the price's. A code between a
    /// whole number and one with cents is the second's: "received 23 June
    /// 2025 GBP 500.00".
    static func ownedByNext(_ text: ExpertText, symbol s: Int, after number: Range<Int>, in range: Range<Int>) -> Bool {
        guard s + 1 < range.upperBound, text.first(s + 1) >= 0x30, text.first(s + 1) <= 0x39 else { return false }
        if text.tokens[s].kind == .punctuation { return text.touching(s, s + 1) && !text.touching(number.upperBound - 1, s) }
        guard text.tokens[s].kind == .word, text.oneSpace(after: s), !hasCents(text, number),
              let next = WrittenNumber.read(text, at: s + 1, in: range) else { return false }
        return hasCents(text, (s + 1)..<(next.last + 1))
    }

    /// The number written in `tokens` ends in a decimal separator and two digits ("500.00", "1 470,60").
    static func hasCents(_ text: ExpertText, _ tokens: Range<Int>) -> Bool {
        let end = Int(text.tokens[tokens.upperBound - 1].end), start = Int(text.tokens[tokens.lowerBound].start)
        guard end - start >= 4 else { return false }
        let separator = text.bytes[end - 3]
        return (separator == 0x2E || separator == 0x2C) && (end - 2..<end).allSatisfy { text.bytes[$0] >= 0x30 && text.bytes[$0] <= 0x39 }
    }

    /// Amounts in `tokens` (one block), appended in text order.
    static func scan(_ text: ExpertText, tokens range: Range<Int>, into out: inout [Extraction]) {
        var found: [Extraction] = [], firstTokens: [Int] = []
        defer {
            AmountRoles.assign(text, &found, firstTokens: firstTokens, in: range)
            out += found
        }
        let yuan = isChinese(text, range)
        var t = range.lowerBound
        while t < range.upperBound {
            // Currency first: "$1,234.56", "EUR 12,50", "US$5", "$2.5 million" (not a range: "Mo.–Fr. 9–17 Uhr").
            // A narrow table column may wrap the cell between currency and number ("GBP" | "1,250.00").
            if let (code, last) = currency(text, at: t, in: range, yuan: yuan), last + 1 < range.upperBound,
               let number = WrittenNumber.read(text, at: last + 1, in: range),
               text.oneSpace(after: last) || last == t && text.tokens[t].kind == .word && text.wrappedCell(from: t, breakAfter: t, to: number.last),
               !(DateExpert.isDash(text, number.last + 1) && text.integer(number.last + 2) != nil),
               !(code == "CHF" && t > range.lowerBound && DateExpert.isDash(text, t - 1)) {
                found.append(Extraction(kind: .amounts, start: text.tokens[t].start, end: text.tokens[number.last].end, value: number.text,
                                        number: NSDecimalNumber(decimal: number.value).doubleValue, currency: code))
                firstTokens.append(t)
                t = number.last + 1
                continue
            }
            // Number first: "1.234,56 €", "1 234,56 EUR", "12 euros", "2.5 million dollars".
            if text.tokens[t].kind != .punctuation, text.first(t) >= 0x30, text.first(t) <= 0x39,
               t == range.lowerBound || !(text.tokens[t - 1].kind == .number && text.oneSpace(after: t - 1)),
               let number = WrittenNumber.read(text, at: t, in: range), number.last + 1 < range.upperBound,
               let (code, last) = currency(text, at: number.last + 1, in: range, yuan: yuan) ?? currencyWord(text, at: number.last + 1, in: range),
               text.oneSpace(after: number.last) || last == number.last + 1 && text.wrappedCell(from: t, breakAfter: number.last, to: last),
               !ownedByNext(text, symbol: last, after: t..<(number.last + 1), in: range) {
                found.append(Extraction(kind: .amounts, start: text.tokens[t].start, end: text.tokens[last].end, value: number.text,
                                        number: NSDecimalNumber(decimal: number.value).doubleValue, currency: code))
                firstTokens.append(t)
                t = last + 1
                continue
            }
            t += 1
        }
    }
}
