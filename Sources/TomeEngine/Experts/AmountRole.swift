/// What an amount is on an invoice, a receipt or a statement, read from the
/// words that label its line: the figure owed, the sum before tax, the tax,
/// or something taken off.
public enum AmountRole: String, Sendable, CaseIterable, Codable {
    /// What is owed or was paid in all: "Total", "Total due", "Balance due",
    /// "Gesamtbetrag", "Rechnungsbetrag", "Total TTC", "Net à payer", "合计".
    case total
    /// The sum before tax or before the rest is added: "Subtotal",
    /// "Zwischensumme", "Summe netto", "Total HT", "Sous-total", "小计".
    case subtotal
    /// "VAT 20%", "Sales tax", "zzgl. 19 % MwSt.", "TVA 20 %", "税额".
    case tax
    /// Taken off: "Discount", "Less deposit paid", "Rabatt", "Acompte", "折扣".
    case deduction
}

/// Reads an amount's role from its line.
///
/// Only the last amount of a line takes one (in "VAT 20% on £5,420.00:
/// £1,084.00" the tax is the last figure), and only from the words before
/// it on that line. The cues are tried in this order, first match wins:
/// what is owed ("due", "payable", "à payer", "zu zahlen") → total; a sum
/// without tax ("subtotal", "net", "netto", "HT", "excl.") → subtotal; a
/// total with tax ("total incl. VAT", "brutto", "TTC") → total; a tax word
/// → tax; a deduction word → deduction; a total word → total. Latin words
/// are matched whole (case folded), CJK cues as substrings.
enum AmountRoles {
    static let owed: Set<String> = ["due", "payable", "payer", "zahlen", "zahlbetrag", "owing", "owed"]
    static let net: Set<String> = ["subtotal", "zwischensumme", "nettobetrag", "netto", "nettosumme", "net", "ht", "excl", "excluding", "exkl",
                                   "exklusive", "sous", "subtotaal"]
    static let gross: Set<String> = ["brutto", "bruttobetrag", "ttc"]
    static let including: Set<String> = ["incl", "including", "inkl", "inklusive", "inclusive"]
    static let tax: Set<String> = ["vat", "tax", "taxes", "gst", "hst", "pst", "mwst", "ust", "umsatzsteuer", "mehrwertsteuer", "tva", "iva"]
    static let deduction: Set<String> = ["discount", "deposit", "rabatt", "skonto", "anzahlung", "remise", "acompte", "less",
                                         "abzüglich", "abzgl", "gutschrift", "versé", "réduction"]
    static let total: Set<String> = ["total", "totals", "gesamt", "gesamtbetrag", "gesamtsumme", "rechnungsbetrag", "endbetrag", "endsumme",
                                     "summe", "balance", "montant", "importe"]
    static let cjk: [(String, AmountRole)] = [("小计", .subtotal), ("税", .tax), ("折扣", .deduction), ("优惠", .deduction),
                                              ("已付", .deduction), ("定金", .deduction), ("合计", .total), ("合計", .total),
                                              ("总计", .total), ("總計", .total), ("总额", .total), ("应付", .total), ("实付", .total)]

    /// The role of the amount whose first token is `first`, labelled by the
    /// words from its line's start (`lineStart`, a token index) up to it.
    static func role(_ text: ExpertText, lineStart: Int, first: Int) -> AmountRole? {
        guard first > lineStart else { return nil }
        let label = text.string(Int(text.tokens[lineStart].start), Int(text.tokens[first].start)).lowercased()
        let words = Set(label.split { !$0.isLetter }.map(String.init))
        if !words.isDisjoint(with: owed) { return .total }
        if !words.isDisjoint(with: net) { return .subtotal }
        if !words.isDisjoint(with: gross) || (!words.isDisjoint(with: including) && !words.isDisjoint(with: total)) { return .total }
        if !words.isDisjoint(with: tax) { return .tax }
        if !words.isDisjoint(with: deduction) { return .deduction }
        if !words.isDisjoint(with: total) { return .total }
        return cjk.first { label.contains($0.0) }?.1
    }

    /// Sets the role of each amount in `found` (one block's, in text order)
    /// that is the last of its line; `tokens[i]` is the first token of `found[i]`.
    static func assign(_ text: ExpertText, _ found: inout [Extraction], firstTokens: [Int], in range: Range<Int>) {
        for i in found.indices {
            let first = firstTokens[i]
            // Not the last amount of its line.
            if i + 1 < found.count, text.sameLine(first, firstTokens[i + 1]) { continue }
            var lineStart = first
            while lineStart > range.lowerBound, text.sameLine(lineStart - 1, lineStart) { lineStart -= 1 }
            found[i].role = role(text, lineStart: lineStart, first: first)
        }
    }
}
