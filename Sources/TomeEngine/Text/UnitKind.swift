import Foundation

/// What a unit is, decided once at analysis from its tokens and the line it
/// sits on: an answer should be prose a reader can use, so attention scales
/// every unit by a prior that says how much it can be one.
///
///     prior(u) = kindPrior(u) · √(content tokens / tokens) · min(1, n₀ / n)^α
///
/// - prose: a sentence (or any line that is none of the rest, and any table
///   row: cells parted by tabs). Prior 1.
/// - heading: a line of its own, at most 12 content tokens, no final stop
///   (nor a comma or semicolon, after which the text goes on)
///   ("Detach Objects from the Search Path", "3.2 Memory use", "5.1.2.
///   网络接口名称"), and not a sentence of six words or more that leads
///   into a list with a colon, nor a form's field ("Due date: 26.09.2025"). Its match is handed to the prose under it
///   (`DocumentIndex.proseUnder`).
/// - list item: a short bullet or numbered item without a full stop (but a
///   numbered line in capitals, "1. DEFINITIONS", is a heading).
/// - contents: dot leaders ("DAMAGED FILES . . . . 12") or mostly punctuation
///   (index lines, tables of symbols, code), or a conjunction alone
///   ("AND" between a contract's parties).
///
/// The second factor is the share of content tokens; the third keeps a long
/// sentence that merely holds the terms from outranking a focused one.
public enum UnitKind: UInt8, Sendable, CaseIterable {
    case prose = 0, heading = 1, listItem = 2, contents = 3

    /// "and", "or" in English, German and French: alone on a line, they join
    /// a contract's parties ("AND", "ET", "UND"). (Not one letter: "Y" and
    /// "E" are a glossary's.)
    static let conjunctions: Set<UInt64> = Set(["and", "or", "und", "oder", "et", "ou"].map(CanonicalForm.id(of:)))

    /// How far after a heading its prose may start (units).
    public static let sectionReach = 3

    func kindPrior(_ p: EngineParameters) -> Double {
        switch self {
        case .prose: 1
        case .heading: p.headingPrior
        case .listItem: p.listItemPrior
        case .contents: p.contentsPrior
        }
    }

    /// The prior, in 1/255 steps (stored as a byte; the indexer's bound and
    /// attention use the same rounded value).
    static func prior(kind: UnitKind, contentTokens n: Int, tokens: Int, parameters p: EngineParameters) -> UInt8 {
        guard n > 0, tokens > 0 else { return 0 }
        let density = (Double(n) / Double(tokens)).squareRoot()
        let length = n <= p.focusTokens ? 1 : pow(Double(p.focusTokens) / Double(n), p.lengthExponent)
        let value = kind.kindPrior(p) * density * length
        return UInt8(max(1, min(255, (value * 255).rounded())))
    }

    /// Classifies `unit` (its tokens are `tokens[unit.firstToken ...]`).
    static func classify(_ unit: Sentence, tokens: [Token], bytes: UnsafeBufferPointer<UInt8>) -> (kind: UnitKind, content: Int) {
        let first = Int(unit.firstToken), end = first + Int(unit.tokenCount)
        var content = 0, stops = 0
        for t in first..<end {
            if tokens[t].isContent { content += 1 } else if bytes[Int(tokens[t].start)] == 0x2E { stops += 1 }
        }
        let total = end - first
        if content == 0 || stops >= 4 && Double(content) < 0.6 * Double(total) || Double(content) < 0.4 * Double(total) {
            return (.contents, content)
        }
        // A line of a conjunction alone ("AND", "ET" between a contract's parties) heads nothing and answers nothing.
        if content <= 2, (first..<end).allSatisfy({ !tokens[$0].isContent || Self.conjunctions.contains(tokens[$0].id) }) {
            return (.contents, content)
        }
        // A table row (cells parted by tabs) is read as prose: never a heading or a list item.
        if SentenceSplitter.containsTab(bytes, from: unit.start, to: unit.end) { return (.prose, content) }
        let endsSentence = Self.endsSentence(bytes, tokens: tokens, first: first, end: end)
        let ownLine = lineBreakOrEdge(bytes, before: Int(unit.start)) && lineBreakOrEdge(bytes, after: Int(unit.end))
        // "5.1.2. Title" is a numbered heading, "3. item" a list item.
        let sectionNumber = tokens[first].kind == .number && bytes[Int(tokens[first].start)..<Int(tokens[first].end)].contains(0x2E)
        if SentenceSplitter.isListMarker(bytes, tokens, at: first) && total > 1 && !sectionNumber {
            // "1. DEFINITIONS", "2) TERM AND TERMINATION", "(1) DEFINITIONS": a numbered line in capitals is a clause's heading.
            let number = tokens[first].kind == .punctuation && first + 1 < end ? first + 1 : first
            if !endsSentence && ownLine && content <= 12 && tokens[number].kind == .number && isCapitals(bytes, tokens[(number + 1)..<end]) {
                return (.heading, content)
            }
            return (!endsSentence && content <= 12 ? .listItem : .prose, content)
        }
        // A sentence that leads into a list ends with a colon: "This Agreement is made … by and between:" is
        // prose; a label's few words ("Bill to:", "Payment details:") stay a heading.
        let leadIn = content >= 6 && bytes[Int(tokens[end - 1].start)] == 0x3A
        // A form's field ("Total amount: 4.824,26 €") is read as prose too.
        let field = total > 2 && SentenceSplitter.isField(bytes, tokens, first...(end - 1))
        // A line ending in a comma or a semicolon goes on in the next: "ci-après « le Prestataire »," heads nothing.
        let continues = tokens[end - 1].kind == .punctuation && [0x2C, 0x3B].contains(bytes[Int(tokens[end - 1].start)])
        if !endsSentence && ownLine && content <= 12 && !leadIn && !field && !continues { return (.heading, content) }
        return (.prose, content)
    }

    /// The words of `tokens` have letters, all of them upper case.
    static func isCapitals(_ bytes: UnsafeBufferPointer<UInt8>, _ tokens: ArraySlice<Token>) -> Bool {
        var letters = 0
        for token in tokens where token.kind == .word {
            for scalar in String(decoding: UnsafeBufferPointer(rebasing: bytes[Int(token.start)..<Int(token.end)]), as: UTF8.self).unicodeScalars
            where scalar.properties.isAlphabetic {
                guard !scalar.properties.isLowercase else { return false }
                letters += 1
            }
        }
        return letters >= 3
    }

    /// The last token that is not a closing quote or bracket is . ! ? … or CJK full stop.
    static func endsSentence(_ bytes: UnsafeBufferPointer<UInt8>, tokens: [Token], first: Int, end: Int) -> Bool {
        var t = end - 1
        while t > first && SentenceSplitter.isCloser(bytes, tokens[t]) { t -= 1 }
        return tokens[t].kind == .punctuation && SentenceSplitter.terminalKind(bytes, tokens[t]) != nil
    }

    /// Only spaces or tabs between `offset` and the line break (or text edge) before it.
    static func lineBreakOrEdge(_ bytes: UnsafeBufferPointer<UInt8>, before offset: Int) -> Bool {
        var i = offset - 1
        while i >= 0 && (bytes[i] == 0x20 || bytes[i] == 0x09) { i -= 1 }
        return i < 0 || bytes[i] == 0x0A || bytes[i] == 0x0C || bytes[i] == 0x0D
    }

    static func lineBreakOrEdge(_ bytes: UnsafeBufferPointer<UInt8>, after offset: Int) -> Bool {
        var i = offset
        while i < bytes.count && (bytes[i] == 0x20 || bytes[i] == 0x09) { i += 1 }
        return i >= bytes.count || bytes[i] == 0x0A || bytes[i] == 0x0C || bytes[i] == 0x0D
    }
}
