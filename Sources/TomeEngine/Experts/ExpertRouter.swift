/// Which experts read which block, from features one pass over the block's
/// tokens finds — the way a mixture-of-experts model sends each token only
/// to the experts its router picks.
///
/// Each feature is a condition every find of its expert needs, so routing
/// only skips work that would find nothing (routed = unrouted is tested on
/// every test document):
/// - dates: a token starting with a digit, and a month word, a number
///   holding a full stop (`12.03.2024`) or a `-` or `/`;
/// - amounts: a digit, and a currency symbol, code or word (or `Fr.`);
/// - percentages: a digit, and `%` or a word for percent;
/// - e-mails: `@`; URLs: a word `http`, `https`, `ftp`, `ftps` or `www.…`;
/// - phones: seven digits or more in the block's numbers;
/// - definitions: a defining or introducing verb (`means`, `defined`,
///   `refers`, `versteht`, `entend`…), a bracket and a quotation mark, or a
///   glossary section's unit with a colon or dash.
/// Names and key phrases are shared experts: they read every block. The
/// outline is the document's, not a block's.
struct ExpertRouter {
    struct Features: OptionSet, Sendable {
        let rawValue: UInt16
        static let digit = Features(rawValue: 1 << 0)
        static let month = Features(rawValue: 1 << 1)
        static let dateMark = Features(rawValue: 1 << 2)
        static let currency = Features(rawValue: 1 << 3)
        static let percent = Features(rawValue: 1 << 4)
        static let at = Features(rawValue: 1 << 5)
        static let url = Features(rawValue: 1 << 6)
        static let sevenDigits = Features(rawValue: 1 << 7)
        static let definition = Features(rawValue: 1 << 8)
    }

    /// The routed experts, in the order they run.
    static let routed: [ExtractionKind] = [.dates, .amounts, .percentages, .emails, .urls, .phones, .definitions]

    static let definitionCues: Set<UInt64> = Set(DefinitionExpert.verbs.keys).union(ExpertWords.ids(["versteht", "entend", "entiende"]))
    static let currencyWords: Set<UInt64> = Set(MoneyExpert.words.keys).union(ExpertWords.ids(["fr", "sfr"]))
    static let percentWords: Set<UInt64> = PercentageExpert.single.union(PercentageExpert.pairs.map(\.0))
    static let urlWords = ExpertWords.ids(["http", "https", "ftp", "ftps"])

    /// The features of the units `units`; `glossary[u]`: unit u is in a glossary section.
    static func features(_ text: ExpertText, units: Range<Int>, glossary: [Bool]) -> Features {
        var f: Features = []
        var digits = 0, bracket = false, quote = false
        for u in units {
            for t in text.unitTokens[u] {
                let token = text.tokens[t]
                let b = text.first(t)
                switch token.kind {
                case .number:
                    f.insert(.digit)
                    let s = Int(token.start), e = Int(token.end)
                    for i in s..<e {
                        let c = text.bytes[i]
                        if c >= 0x30 && c <= 0x39 { digits += 1 } else if c == 0x2E { f.insert(.dateMark) }
                    }
                case .word:
                    if b >= 0x30 && b <= 0x39 { f.insert(.digit) }
                    let id = token.id
                    if DateExpert.months[id] != nil { f.insert(.month) }
                    if currencyWords.contains(id) || (token.capitalized && MoneyExpert.codes.contains(text.string(token: t))) { f.insert(.currency) }
                    if percentWords.contains(id) { f.insert(.percent) }
                    if urlWords.contains(id) || ((b | 0x20) == 0x77 && text.string(token: t).lowercased().hasPrefix("www.")) { f.insert(.url) }
                    if definitionCues.contains(id) { f.insert(.definition) }
                case .punctuation:
                    switch b {
                    case 0x2D, 0x2F: f.insert(.dateMark)
                    case 0x25: f.insert(.percent)
                    case 0x40: f.insert(.at)
                    case 0x28: bracket = true
                    default:
                        if DefinitionExpert.openQuotes.contains(text.string(token: t)) { quote = true }
                        if MoneyExpert.symbols[text.string(token: t)] != nil || text.string(token: t) == "￥" { f.insert(.currency) }
                    }
                    // A glossary entry's colon or dash.
                    if glossary[u], b == 0x3A || DateExpert.isDash(text, t) { f.insert(.definition) }
                case .ideograph:
                    // 年 of a date (2025年3月15日); 元, 円 after an amount, 币 of 人民币 before one.
                    switch text.string(token: t) {
                    case "年": f.insert(.month)
                    case "元", "円", "币": f.insert(.currency)
                    default: break
                    }
                }
            }
        }
        if digits >= 7 { f.insert(.sevenDigits) }
        if bracket && quote { f.insert(.definition) }
        return f
    }

    /// Whether the features let expert `kind` find anything.
    static func mayFind(_ kind: ExtractionKind, _ f: Features) -> Bool {
        switch kind {
        case .dates: f.contains(.digit) && (f.contains(.month) || f.contains(.dateMark))
        case .amounts: f.contains(.digit) && f.contains(.currency)
        case .percentages: f.contains(.digit) && f.contains(.percent)
        case .emails: f.contains(.at)
        case .urls: f.contains(.url)
        case .phones: f.contains(.sevenDigits)
        case .definitions: f.contains(.definition)
        case .names, .keyphrases, .outline: true
        }
    }
}
