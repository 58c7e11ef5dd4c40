/// A sentence (or, for one longer than a block, a piece of one): the unit
/// attention scores and answers cite.
public struct Sentence: Sendable, Equatable {
    /// UTF-8 byte range in the text.
    public var start: Int32
    public var end: Int32
    /// Its tokens: `tokens[firstToken ..< firstToken + tokenCount]`.
    public var firstToken: Int32
    public var tokenCount: Int32
    /// This unit is a later piece of a sentence longer than a block: the
    /// sentence began in the unit before it.
    public var continuesSentence = false
}

/// Rule-based sentence segmentation over tokens and the white space between
/// them. A boundary falls:
/// - after `.`, `!`, `?`, `…` (with any closing quotes and brackets) when the
///   next token starts a sentence (uppercase, digit, opening quote, ideograph)
///   or, after a full stop, when a line break follows
///   — not after an abbreviation (`Dr.`, `e.g.`, `etc.`, `attn.`, `inkl.`,
///   `z. B.`), an initial (`J.`), a day before its month or a German
///   ordinal (`31. August`, `am 1. Oktober`),
///   before a word it is part of (`.Rprofile`, `.git/info/exclude`),
///   inside a number (`3.14`, which the tokenizer keeps whole), after the
///   number that opens a line (`5.1.2. Title`), or in a dot leader
///   (`FILES . . . . 12`);
/// - after `。`, `！`, `？`, `．` always (CJK text has no spaces to look at);
/// - at a blank line or a page break;
/// - at a line break after or before a table row (a line with a tab between
///   its cells: each row is a unit of its own);
/// - at a line break before a list item (`•`, `-`, `*`, `1.`, `a)`), at a
///   line break after a short line without final punctuation followed by a
///   capital (headings, which have no full stop) or opening with a section
///   number ("2.3. DESCRIPTION"), and after a contents line.
public enum SentenceSplitter {
    /// Words that a full stop abbreviates rather than ends, in English,
    /// German, French and Spanish (`attn.`, `inkl.`, `Tel.`, `Mme.`, `Sra.`).
    /// Left out: abbreviations that are also words a sentence ends on
    /// ("fax", "gem", "mob", "me", "mm", "amt").
    static let abbreviations: Set<UInt64> = Set([
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "mt", "vs", "etc", "e.g", "i.e", "cf", "al", "fig", "figs", "eq",
        "no", "nos", "vol", "vols", "pp", "p", "ch", "sec", "approx", "dept", "est", "inc", "ltd", "co", "corp", "gen", "gov",
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "u.s", "u.k", "ca", "resp", "viz",
        "z.b", "bzw", "usw", "ggf", "vgl", "s", "nr", "ff", "op", "cit", "ibid", "ed", "eds", "rev", "art", "min", "max",
        // Letters, invoices and contracts in English.
        "attn", "encl", "enc", "ref", "tel", "qty", "pcs", "incl", "excl", "hrs", "yrs", "mos", "sect", "cl", "sch", "para",
        "paras", "ave", "blvd", "apt", "ste", "acct", "ext", "reg", "inv", "messrs",
        // German.
        "inkl", "exkl", "zzgl", "evtl", "bzgl", "ggü", "abs", "str", "hr", "hrn", "fr", "frl", "fa", "dipl", "ing", "mio", "mrd",
        "tsd", "kto", "stk", "std", "lfd", "bsp", "hrsg", "jh", "pkt", "ziff", "anl", "az", "u.a", "o.ä", "d.h", "v.a", "z.t",
        "i.d.r", "z.hd", "u.u",
        // French.
        "mme", "mlle", "mmes", "av", "bd", "env", "tél", "chap", "réf", "janv", "févr", "avr", "juil", "déc", "p.ex",
        // Spanish.
        "sra", "sres", "srta", "dña", "ud", "uds", "vd", "pág", "núm", "avda", "dpto", "aprox", "ej",
    ].map(CanonicalForm.id(of:)))

    /// Words before a German ordinal ("am 1. Oktober", "im 3. Stock", "zum 2. Mal"):
    /// the stop after the number is the ordinal's, not a sentence's.
    static let ordinalLeads: Set<UInt64> = Set([
        "am", "im", "zum", "zur", "vom", "beim", "bis", "ab", "seit", "dem", "den", "der", "die", "das", "des", "ein", "eine",
        "einer", "einem", "einen", "jeden", "jedes", "jeder", "jede", "zu", "mit", "nach", "vor", "per",
    ].map(CanonicalForm.id(of:)))

    /// The sentences of `tokens` (all from `bytes`), in order.
    public static func split(_ bytes: UnsafeBufferPointer<UInt8>, tokens: [Token], tokenOffset: Int = 0) -> [Sentence] {
        var sentences: [Sentence] = []
        var first = 0
        func close(through last: Int) {
            guard last >= first else { return }
            sentences.append(Sentence(start: tokens[first].start, end: tokens[last].end,
                                      firstToken: Int32(tokenOffset + first), tokenCount: Int32(last - first + 1)))
            first = last + 1
        }
        var lineStart = 0  // index of the first token of the current line
        var t = 0
        while t < tokens.count {
            let token = tokens[t]
            let next = t + 1 < tokens.count ? tokens[t + 1] : nil
            // Terminal punctuation, with the closing quotes and brackets after it.
            if token.kind == .punctuation, let terminal = terminalKind(bytes, token) {
                var last = t
                while last + 1 < tokens.count, tokens[last + 1].start == tokens[last].end, isCloser(bytes, tokens[last + 1]) { last += 1 }
                let following = last + 1 < tokens.count ? tokens[last + 1] : nil
                var boundary: Bool
                switch terminal {
                case .cjk:
                    boundary = true
                case .ellipsis, .bang:
                    boundary = following.map { startsSentence(bytes, $0) } ?? true
                case .period:
                    // A full stop at the end of a line ends a sentence even before a lower-case
                    // word: manuals start sentences with identifiers ("filename defines the name").
                    boundary = following.map { startsSentence(bytes, $0) || newlines(bytes, from: tokens[last].end, to: $0.start) > 0 } ?? true
                    if boundary, t > first {
                        let previous = tokens[t - 1]
                        let attached = previous.end == token.start
                        let isInitial = previous.kind == .word && previous.end - previous.start == 1 && previous.capitalized
                        if attached && (abbreviations.contains(previous.id) || isInitial) { boundary = false }
                        // "z. B.", "d. h.", "u. a.", "p. ex.": a lone lower-case letter and its stop, then another short word, abbreviate.
                        if attached && previous.kind == .word && previous.end - previous.start == 1 && !previous.capitalized,
                           let following, following.kind == .word, following.end - following.start <= 2 { boundary = false }
                        if attached, let following, isOrdinal(bytes, tokens, number: t - 1, following: following) { boundary = false }
                        // A number opening its line is a section or list number ("5.1.2. Title", "3. Item").
                        if attached && previous.kind == .number && t - 1 == lineStart { boundary = false }
                        // A run of full stops is an ellipsis: a boundary only before a capital.
                        if t + 1 < tokens.count, tokens[t + 1].start == token.end, terminalKind(bytes, tokens[t + 1]) == .period { boundary = false }
                        // A stop after a stop (". . . . 12") is a dot leader, not the end of a sentence.
                        if terminalKind(bytes, tokens[t - 1]) == .period { boundary = false }
                    }
                    // A stop with a word or number right after it opens a name (".Rprofile", ".git/info/exclude"
                    // at the start of a line), not a sentence.
                    if let after = next, after.start == token.end, after.kind == .word || after.kind == .number { boundary = false }
                }
                if boundary {
                    close(through: last)
                    t = last + 1
                    if let following { lineStart = newlines(bytes, from: tokens[last].end, to: following.start) > 0 ? t : lineStart }
                    continue
                }
            }
            if let next {
                let breaks = newlines(bytes, from: token.end, to: next.start)
                if breaks >= 2 || containsFormFeed(bytes, from: token.end, to: next.start) {
                    close(through: t)
                    lineStart = t + 1
                } else if breaks == 1 {
                    let lineLength = t - lineStart + 1
                    let endsOpen = token.kind != .punctuation || byte(bytes, token) == 0x3A  // a colon introduces what follows
                    let heading = lineLength <= 8 && endsOpen && token.kind != .punctuation
                        && (startsSentence(bytes, next) || opensWithSectionNumber(bytes, tokens, lineStart...t))
                    let tableRow = containsTab(bytes, from: tokens[lineStart].start, to: token.end) || lineHasTab(bytes, from: next.start)
                    let field = t - lineStart < 16 && isField(bytes, tokens, lineStart...t) && startsSentence(bytes, next)
                    if isListMarker(bytes, tokens, at: t + 1) || heading || tableRow || field || isLeaderLine(bytes, tokens, lineStart...t) {
                        close(through: t)
                    }
                    lineStart = t + 1
                }
            }
            t += 1
        }
        close(through: tokens.count - 1)
        return sentences
    }

    enum Terminal { case period, bang, ellipsis, cjk }

    /// Token `n` is a day or an ordinal whose stop does not end a sentence:
    /// a number of one or two digits before a month ("31. August 2025",
    /// "1. Oktober"), or after a German article or preposition before a
    /// capital ("am 1. Oktober", "der 3. Mahnung", "im 2. Stock").
    static func isOrdinal(_ bytes: UnsafeBufferPointer<UInt8>, _ tokens: [Token], number n: Int, following: Token) -> Bool {
        let token = tokens[n]
        guard token.kind == .number, token.end - token.start <= 2 else { return false }
        if following.kind == .word, DateExpert.months[following.id] != nil { return true }
        guard n > 0, tokens[n - 1].kind == .word, ordinalLeads.contains(tokens[n - 1].id) else { return false }
        return following.kind == .word && following.capitalized
    }

    static func terminalKind(_ bytes: UnsafeBufferPointer<UInt8>, _ token: Token) -> Terminal? {
        let (scalar, _) = Tokenizer.decode(bytes, at: Int(token.start), end: Int(token.end))
        switch scalar.value {
        case 0x2E: return .period
        case 0x21, 0x3F, 0x203C, 0x2047, 0x2048, 0x2049: return .bang
        case 0x2026: return .ellipsis
        case 0x3002, 0xFF01, 0xFF1F, 0xFF0E, 0xFF61: return .cjk
        default: return nil
        }
    }

    static func isCloser(_ bytes: UnsafeBufferPointer<UInt8>, _ token: Token) -> Bool {
        guard token.kind == .punctuation else { return false }
        let (scalar, _) = Tokenizer.decode(bytes, at: Int(token.start), end: Int(token.end))
        return [0x22, 0x27, 0x29, 0x5D, 0x7D, 0x2019, 0x201D, 0xBB, 0x300D, 0x300F, 0xFF09, 0x3011].contains(scalar.value)
    }

    /// Uppercase word, number, ideograph, or an opening quote or bracket.
    static func startsSentence(_ bytes: UnsafeBufferPointer<UInt8>, _ token: Token) -> Bool {
        switch token.kind {
        case .word: return token.capitalized
        case .number, .ideograph: return true
        case .punctuation:
            let (scalar, _) = Tokenizer.decode(bytes, at: Int(token.start), end: Int(token.end))
            return [0x22, 0x27, 0x28, 0x5B, 0x201C, 0x2018, 0xAB, 0x300C, 0x300E, 0x2022, 0x2D, 0x2A].contains(scalar.value) || scalar.value > 0x2000
        }
    }

    /// `•`, `-`, `*`, `·`, or a number or single letter followed by `.` or
    /// `)`, or one in brackets (`(2)`, `(b)`: a contract's parties and
    /// sub-clauses), at token index `i`.
    static func isListMarker(_ bytes: UnsafeBufferPointer<UInt8>, _ tokens: [Token], at i: Int) -> Bool {
        guard i < tokens.count else { return false }
        let token = tokens[i]
        if token.kind == .punctuation {
            let (scalar, _) = Tokenizer.decode(bytes, at: Int(token.start), end: Int(token.end))
            // "(2) FIONA BAIRD", "(b) the Services", "(iv) any fee": a space after the bracket ("(1)(f) GDPR" is a reference).
            if scalar.value == 0x28, i + 3 < tokens.count, tokens[i + 1].start == token.end, tokens[i + 2].start == tokens[i + 1].end,
               tokens[i + 3].start > tokens[i + 2].end, byte(bytes, tokens[i + 2]) == 0x29 {
                let inside = tokens[i + 1], length = inside.end - inside.start
                if inside.kind == .number { return length <= 2 }
                guard inside.kind == .word else { return false }
                let word = String(decoding: UnsafeBufferPointer(rebasing: bytes[Int(inside.start)..<Int(inside.end)]), as: UTF8.self)
                return length == 1 || length <= 4 && word == word.lowercased() && RomanNumeral.matches(word)
            }
            return [0x2022, 0x2D, 0x2A, 0xB7, 0x25AA, 0x2013].contains(scalar.value)
        }
        guard i + 1 < tokens.count, token.kind == .number || (token.kind == .word && token.end - token.start == 1) else { return false }
        let marker = tokens[i + 1]
        return marker.start == token.end && (byte(bytes, marker) == 0x2E || byte(bytes, marker) == 0x29)
    }

    /// The line opens with a section number of two or more parts and its
    /// stop ("2.3. DESCRIPTION", "3.3.2. BZ2_bzCompress"): a heading even
    /// when the line after it starts in lower case ("bzip2 compresses …").
    static func opensWithSectionNumber(_ bytes: UnsafeBufferPointer<UInt8>, _ tokens: [Token], _ line: ClosedRange<Int>) -> Bool {
        let first = tokens[line.lowerBound]
        guard first.kind == .number, line.count >= 3, bytes[Int(first.start)..<Int(first.end)].contains(0x2E) else { return false }
        let stop = tokens[line.lowerBound + 1]
        return stop.start == first.end && byte(bytes, stop) == 0x2E
    }

    /// A form's field: a label of one to eight tokens, a colon, and a value
    /// that holds a figure ("Total amount: 4.824,26 €", "Customer no.:
    /// 40217", "Due date: 26.09.2025"). A line of them is a unit of its own,
    /// and no heading.
    static func isField(_ bytes: UnsafeBufferPointer<UInt8>, _ tokens: [Token], _ line: ClosedRange<Int>) -> Bool {
        guard line.count >= 3, let colon = (line.lowerBound + 1...min(line.lowerBound + 8, line.upperBound)).first(where: {
            tokens[$0].kind == .punctuation && byte(bytes, tokens[$0]) == 0x3A
        }), colon < line.upperBound else { return false }
        return (colon + 1...line.upperBound).contains { t in
            tokens[t].kind == .number || tokens[t].kind == .word && bytes[Int(tokens[t].start)] >= 0x30 && bytes[Int(tokens[t].start)] <= 0x39
        }
    }

    /// A contents line: three or more full stops standing alone (". . . .") before its end.
    static func isLeaderLine(_ bytes: UnsafeBufferPointer<UInt8>, _ tokens: [Token], _ line: ClosedRange<Int>) -> Bool {
        var stops = 0
        for t in line where tokens[t].kind == .punctuation && tokens[t].end - tokens[t].start == 1 && bytes[Int(tokens[t].start)] == 0x2E {
            stops += 1
            if stops >= 3 { return true }
        }
        return false
    }

    static func byte(_ bytes: UnsafeBufferPointer<UInt8>, _ token: Token) -> UInt8 { bytes[Int(token.start)] }

    static func newlines(_ bytes: UnsafeBufferPointer<UInt8>, from: Int32, to: Int32) -> Int {
        var count = 0
        for i in Int(from)..<Int(max(from, to)) where bytes[i] == 0x0A { count += 1 }
        return count
    }

    static func containsTab(_ bytes: UnsafeBufferPointer<UInt8>, from: Int32, to: Int32) -> Bool {
        (Int(from)..<Int(max(from, to))).contains { bytes[$0] == 0x09 }
    }

    /// The line from `offset` to its end holds a tab (a table row starts there).
    static func lineHasTab(_ bytes: UnsafeBufferPointer<UInt8>, from offset: Int32) -> Bool {
        var i = Int(offset)
        while i < bytes.count, bytes[i] != 0x0A {
            if bytes[i] == 0x09 { return true }
            i += 1
        }
        return false
    }

    static func containsFormFeed(_ bytes: UnsafeBufferPointer<UInt8>, from: Int32, to: Int32) -> Bool {
        (Int(from)..<Int(max(from, to))).contains { bytes[$0] == 0x0C }
    }
}

/// Consecutive whole sentences packed up to `blockTokens` tokens: the unit
/// the lightning indexer scores and selects. A sentence longer than a block
/// is first cut into pieces of `blockTokens` tokens, each a unit of its own.
public struct Block: Sendable, Equatable {
    /// Units `firstSentence ..< firstSentence + sentenceCount`.
    public var firstSentence: Int32
    public var sentenceCount: Int32
    public var start: Int32
    public var end: Int32
}

public enum BlockPacker {
    /// Cuts over-long sentences into pieces.
    public static func limit(_ sentences: [Sentence], tokens: [Token], tokenOffset: Int, blockTokens: Int) -> [Sentence] {
        var out: [Sentence] = []
        out.reserveCapacity(sentences.count)
        for sentence in sentences {
            if sentence.tokenCount <= blockTokens { out.append(sentence); continue }
            var first = Int(sentence.firstToken)
            let last = first + Int(sentence.tokenCount)
            while first < last {
                let count = min(blockTokens, last - first)
                let a = tokens[first - tokenOffset], b = tokens[first + count - 1 - tokenOffset]
                out.append(Sentence(start: a.start, end: b.end, firstToken: Int32(first), tokenCount: Int32(count),
                                    continuesSentence: first > Int(sentence.firstToken)))
                first += count
            }
        }
        return out
    }

    /// Packs units (each at most `blockTokens` tokens) into blocks.
    public static func pack(_ sentences: [Sentence], blockTokens: Int, sentenceOffset: Int = 0) -> [Block] {
        var blocks: [Block] = []
        var first = 0
        var tokens = 0
        for (i, sentence) in sentences.enumerated() {
            if tokens > 0 && tokens + Int(sentence.tokenCount) > blockTokens {
                blocks.append(block(sentences, first..<i, offset: sentenceOffset))
                first = i
                tokens = 0
            }
            tokens += Int(sentence.tokenCount)
        }
        if first < sentences.count { blocks.append(block(sentences, first..<sentences.count, offset: sentenceOffset)) }
        return blocks
    }

    private static func block(_ sentences: [Sentence], _ range: Range<Int>, offset: Int) -> Block {
        Block(firstSentence: Int32(offset + range.lowerBound), sentenceCount: Int32(range.count),
              start: sentences[range.lowerBound].start, end: sentences[range.upperBound - 1].end)
    }
}
