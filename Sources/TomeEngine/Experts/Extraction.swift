/// What the extraction experts find: a value of one kind, cited by the byte
/// range of its (first) occurrence in the text.
public enum ExtractionKind: String, Sendable, CaseIterable, Codable {
    case dates, amounts, percentages, emails, urls, phones, names, keyphrases, definitions, outline

    /// Kinds listed once per distinct value, with a count (the others once per occurrence).
    public var isAggregated: Bool { self == .names || self == .keyphrases }
}

/// One value an expert found.
///
/// `value` is the normalised form: ISO 8601 for dates (partial dates stay
/// partial: `2024-03`), a plain decimal for amounts and percentages
/// (`2500000`, `12.5`), the address for e-mails, the URL as written without
/// the punctuation that ends its sentence, `+` and digits for phones, the
/// name or phrase as first written for names and key phrases, the term for
/// definitions (the range is then the defining sentence), the title for the
/// outline. `number` is the numeric value of amounts and percentages and
/// the level of an outline entry; `currency` is an ISO 4217 code.
/// `detail` says what a reader should know about the value: how a date's
/// day/month order was decided, an acronym's expansion. `role` is what an
/// amount is on its invoice or statement (total, subtotal, tax, deduction).
public struct Extraction: Sendable, Equatable, Hashable {
    public var kind: ExtractionKind
    public var start: Int32
    public var end: Int32
    public var value: String
    public var number: Double?
    public var currency: String?
    public var detail: String?
    public var role: AmountRole?
    /// Occurrences (names and key phrases); 1 for the rest.
    public var count: Int32

    public init(kind: ExtractionKind, start: Int32, end: Int32, value: String, number: Double? = nil, currency: String? = nil,
                detail: String? = nil, role: AmountRole? = nil, count: Int32 = 1) {
        self.kind = kind
        self.start = start
        self.end = end
        self.value = value
        self.number = number
        self.currency = currency
        self.detail = detail
        self.role = role
        self.count = count
    }
}

/// How numeric dates whose day and month could be either way round are read
/// (a date that starts with a four-digit year is always year, month, day).
public enum DateOrder: String, Sendable, CaseIterable, Codable {
    case dmy, mdy
}

/// Calendar dates as the experts write them: ISO 8601, `YYYY`, `YYYY-MM`
/// or `YYYY-MM-DD`.
public enum ISODate {
    public static func days(inMonth month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Whether `s` is a whole or partial date with a real month and day.
    public static func isValid(_ s: String) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count), parts[0].count == 4, parts.dropFirst().allSatisfy({ $0.count == 2 }),
              parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }), let year = Int(parts[0]) else { return false }
        guard parts.count >= 2 else { return true }
        guard let month = Int(parts[1]), (1...12).contains(month) else { return false }
        guard parts.count == 3 else { return true }
        return Int(parts[2]).map { (1...days(inMonth: month, year: year)).contains($0) } ?? false
    }
}

/// What a pipeline chooses of the experts.
public struct ExtractionParameters: Sendable, Equatable, Codable {
    /// The experts that run (all by default).
    public var kinds: Set<ExtractionKind> = Set(ExtractionKind.allCases)
    /// The day/month order of ambiguous numeric dates; nil: the document's
    /// own unambiguous dates decide, else day first (and the date says so).
    public var dateOrder: DateOrder?
    /// Key phrases kept, best first.
    public var keyphrases = 20

    public init() {}
}

/// An outline entry as extraction found it (a PDF bookmark, an HTML heading).
public struct OutlineItem: Sendable, Equatable {
    public var title: String
    public var level: Int
    /// Byte offset of the title in the text, when extraction knows it.
    public var offset: Int?

    public init(title: String, level: Int, offset: Int?) {
        self.title = title
        self.level = level
        self.offset = offset
    }
}

/// What every expert reads: the text's bytes, its tokens, its units (with
/// their kinds) and which units each block holds.
struct ExpertText {
    let bytes: UnsafeBufferPointer<UInt8>
    let tokens: [Token]
    /// Token ranges of the units.
    let unitTokens: [Range<Int>]
    let unitKinds: [UInt8]

    func kind(_ u: Int) -> UnitKind { UnitKind(rawValue: unitKinds[u]) ?? .prose }

    /// The first byte of token `t`.
    @inline(__always) func first(_ t: Int) -> UInt8 { bytes[Int(tokens[t].start)] }

    /// True when token `t` is the single ASCII character `c`.
    @inline(__always) func isChar(_ t: Int, _ c: UInt8) -> Bool {
        t < tokens.count && tokens[t].end - tokens[t].start == 1 && bytes[Int(tokens[t].start)] == c
    }

    /// True when tokens `a` and `b` touch (no white space between).
    @inline(__always) func touching(_ a: Int, _ b: Int) -> Bool { tokens[a].end == tokens[b].start }

    /// Tokens `first`…`a` and `a + 1`…`last` are split by one line break
    /// alone, and each side stands alone in its cell: `first` starts its line
    /// or cell, `last` ends its line or cell. A narrow PDF table column wraps
    /// a cell's "GBP 1,250.00" or "1 110,00 €" this way.
    func wrappedCell(from first: Int, breakAfter a: Int, to last: Int) -> Bool {
        guard a + 1 <= last, last < tokens.count else { return false }
        let from = Int(tokens[first].start), end = Int(tokens[a].end), next = Int(tokens[a + 1].start), to = Int(tokens[last].end)
        guard next - end == 1, bytes[end] == 0x0A else { return false }
        // A minus sign may lead the first side ("-1 470,60").
        let lead = from > 0 && bytes[from - 1] == 0x2D ? from - 1 : from
        let cellStart = lead == 0 || bytes[lead - 1] == 0x09 || bytes[lead - 1] == 0x0A
        let cellEnd = to == bytes.count || bytes[to] == 0x09 || bytes[to] == 0x0A
        return cellStart && cellEnd
    }

    /// The white space between tokens `a` and `a + 1` is at most one space
    /// (ASCII, no-break or narrow no-break): not a line break, and not a tab,
    /// which separates a table's cells.
    func oneSpace(after a: Int) -> Bool {
        guard a + 1 < tokens.count else { return false }
        let from = Int(tokens[a].end), to = Int(tokens[a + 1].start)
        switch to - from {
        case 0: return true
        case 1: return bytes[from] == 0x20
        case 2: return bytes[from] == 0xC2 && bytes[from + 1] == 0xA0
        case 3: return bytes[from] == 0xE2 && bytes[from + 1] == 0x80 && (bytes[from + 2] == 0xAF || bytes[from + 2] == 0x89)
        default: return false
        }
    }

    /// No line break between tokens `a` and `b` (a < b).
    func sameLine(_ a: Int, _ b: Int) -> Bool {
        for i in Int(tokens[a].end)..<Int(tokens[b].start) where bytes[i] == 0x0A || bytes[i] == 0x0C { return false }
        return true
    }

    func string(_ from: Int, _ to: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[from..<to]), as: UTF8.self)
    }

    func string(token t: Int) -> String { string(Int(tokens[t].start), Int(tokens[t].end)) }

    /// Token `t`'s digits as an integer, when it is all ASCII digits (at most 9).
    func integer(_ t: Int) -> (value: Int, digits: Int)? {
        guard t >= 0, t < tokens.count, tokens[t].kind == .number else { return nil }
        let s = Int(tokens[t].start), e = Int(tokens[t].end)
        guard e - s <= 9 else { return nil }
        var v = 0
        for i in s..<e {
            let b = bytes[i]
            guard b >= 0x30 && b <= 0x39 else { return nil }
            v = v * 10 + Int(b - 0x30)
        }
        return (v, e - s)
    }

    /// The unit ranges of a block's units, `units`, as one token range.
    func tokens(ofUnits units: Range<Int>) -> Range<Int> {
        guard let first = units.first, let last = units.last else { return 0..<0 }
        return unitTokens[first].lowerBound..<unitTokens[last].upperBound
    }

    /// The bytes units start in: from the first one's first token up to the
    /// token after the last one (the text's end after the last unit).
    func bytes(ofUnits units: Range<Int>) -> Range<Int> {
        let range = tokens(ofUnits: units)
        guard !range.isEmpty else { return 0..<0 }
        return Int(tokens[range.lowerBound].start)..<(range.upperBound < tokens.count ? Int(tokens[range.upperBound].start) : bytes.count)
    }
}

/// Word sets the experts share, as canonical ids (`CanonicalForm`).
enum ExpertWords {
    static func ids(_ words: [String]) -> Set<UInt64> { Set(words.map(CanonicalForm.id(of:))) }
}
