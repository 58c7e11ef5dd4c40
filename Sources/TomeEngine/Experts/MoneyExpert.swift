import Foundation

/// Amounts of money: a number with a currency symbol, an ISO 4217 code or a
/// currency word before or after it (`$1,234.56`, `US$ 5`, `EUR 12,50`,
/// `1.234,56 €`, `1 234,56 EUR`, `Fr. 1'250.–`, `12 euros`, `$2.5 million`,
/// `€3bn`), normalised to a plain decimal (`WrittenNumber`) and a code.
///
/// A number alone is never an amount, however it looks: phone numbers,
/// ISBNs, invoice numbers and quantities have no currency. `$` is read as
/// USD unless a country's letters touch it (`A$`, `C$`, `HK$`, `R$`…);
/// `¥` as JPY. `kr` and `pounds` are left out: they name more than one
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

    /// The currency the tokens at `t` name, and the last of them.
    static func currency(_ text: ExpertText, at t: Int, in range: Range<Int>) -> (code: String, last: Int)? {
        guard t >= range.lowerBound, t < range.upperBound else { return nil }
        let token = text.tokens[t]
        switch token.kind {
        case .punctuation:
            let s = text.string(token: t)
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

    /// A currency word after a number (`12 euros`, `100 US dollars`).
    static func currencyWord(_ text: ExpertText, at t: Int, in range: Range<Int>) -> (code: String, last: Int)? {
        guard t >= range.lowerBound, t < range.upperBound, text.tokens[t].kind == .word else { return nil }
        if text.string(token: t) == "US", t + 1 < range.upperBound, text.oneSpace(after: t), words[text.tokens[t + 1].id] == "USD" { return ("USD", t + 1) }
        return words[text.tokens[t].id].map { ($0, t) }
    }

    /// Amounts in `tokens` (one block), appended in text order.
    static func scan(_ text: ExpertText, tokens range: Range<Int>, into out: inout [Extraction]) {
        var t = range.lowerBound
        while t < range.upperBound {
            // Currency first: "$1,234.56", "EUR 12,50", "US$5", "$2.5 million" (not a range: "Mo.–Fr. 9–17 Uhr").
            if let (code, last) = currency(text, at: t, in: range), last + 1 < range.upperBound, text.oneSpace(after: last),
               let number = WrittenNumber.read(text, at: last + 1, in: range),
               !(DateExpert.isDash(text, number.last + 1) && text.integer(number.last + 2) != nil),
               !(code == "CHF" && t > range.lowerBound && DateExpert.isDash(text, t - 1)) {
                out.append(Extraction(kind: .amounts, start: text.tokens[t].start, end: text.tokens[number.last].end, value: number.text,
                                      number: NSDecimalNumber(decimal: number.value).doubleValue, currency: code))
                t = number.last + 1
                continue
            }
            // Number first: "1.234,56 €", "1 234,56 EUR", "12 euros", "2.5 million dollars".
            if text.tokens[t].kind != .punctuation, text.first(t) >= 0x30, text.first(t) <= 0x39,
               t == range.lowerBound || !(text.tokens[t - 1].kind == .number && text.oneSpace(after: t - 1)),
               let number = WrittenNumber.read(text, at: t, in: range), number.last + 1 < range.upperBound, text.oneSpace(after: number.last),
               let (code, last) = currency(text, at: number.last + 1, in: range) ?? currencyWord(text, at: number.last + 1, in: range) {
                out.append(Extraction(kind: .amounts, start: text.tokens[t].start, end: text.tokens[last].end, value: number.text,
                                      number: NSDecimalNumber(decimal: number.value).doubleValue, currency: code))
                t = last + 1
                continue
            }
            t += 1
        }
    }
}
