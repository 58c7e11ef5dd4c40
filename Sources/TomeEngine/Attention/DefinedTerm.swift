/// Where a document defines a term an answer uses: "This Agreement starts on
/// the Effective Date" answers "when does it start?" only with the sentence
/// that says what the Effective Date is (`"Effective Date" means 1 April
/// 2025`, `… 8 September 2025 (the "Effective Date")`).
public struct Definition: Sendable, Equatable {
    /// The term as the answer writes it ("Effective Date").
    public var term: String
    /// The defining sentence, shown as written (`ShownText`), and its UTF-8 byte range in the document's text.
    public var text: String
    public var start: Int
    public var end: Int
}

/// Resolves a date an answer names by a defined term.
///
/// For an answer to a date question whose sentence holds no date: each run of
/// two to four capitalised words in it is looked for in quotes in the
/// document (“Term”, "Term", „Term“, «Term», 'Term'); the first such place
/// whose sentence holds a date is the definition. The search reads the
/// document's bytes once per candidate term (at most four per answer), and
/// only for these answers.
enum DefinedTerms {
    static let opening: [[UInt8]] = ["\"", "\u{201C}", "\u{201E}", "\u{AB}", "\u{AB} ", "'", "\u{2018}"].map { Array($0.utf8) }
    static let closing: [[UInt8]] = ["\"", "\u{201D}", "\u{201C}", "\u{BB}", " \u{BB}", "'", "\u{2019}"].map { Array($0.utf8) }
    /// Places looked at per term: a term quoted more often than this is used, not defined, in quotes.
    static let maxPlaces = 8

    static func dateDefinition(sentence: ClosedRange<Int>, bytes: UnsafeBufferPointer<UInt8>, index: DocumentIndex) -> Definition? {
        let range = Int(index.unitStarts[sentence.lowerBound])..<Int(index.unitEnds[sentence.upperBound])
        guard !holdsDate(bytes, range) else { return nil }
        // At most four distinct terms: each is a scan of the document.
        var tried: [[UInt8]] = []
        for term in capitalisedRuns(bytes, range) where !tried.contains(term) {
            guard tried.count < 4 else { break }
            tried.append(term)
            var found = 0
            var from = 0
            while found < maxPlaces, let at = firstOccurrence(of: term, in: bytes, from: from) {
                from = at + term.count
                guard quoted(bytes, at, term.count) else { continue }
                found += 1
                guard let unit = unit(at: at, index: index) else { continue }
                let defining = index.sentence(of: unit)
                let start = Int(index.unitStarts[defining.lowerBound]), end = Int(index.unitEnds[defining.upperBound])
                guard !(start..<end).overlaps(range), holdsDate(bytes, start..<end) else { continue }
                return Definition(term: String(decoding: term, as: UTF8.self), text: ShownText.of(UnsafeBufferPointer(rebasing: bytes[start..<end])),
                                  start: start, end: end)
            }
        }
        return nil
    }

    static func holdsDate(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        var tokenizer = Tokenizer()
        var tokens: [Token] = []
        tokenizer.tokenize(bytes, range: range, into: &tokens)
        guard !tokens.isEmpty else { return false }
        let text = ExpertText(bytes: bytes, tokens: tokens, unitTokens: [0..<tokens.count], unitKinds: [UnitKind.prose.rawValue])
        var found: [Extraction] = []
        DateExpert.scan(text, tokens: 0..<tokens.count, into: &found)
        return !found.isEmpty
    }

    /// Runs of two to four capitalised words, one space apart, in `range`: the terms a contract defines.
    static func capitalisedRuns(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> [[UInt8]] {
        var tokenizer = Tokenizer()
        var tokens: [Token] = []
        tokenizer.tokenize(bytes, range: range, into: &tokens)
        var runs: [[UInt8]] = []
        var i = 0
        while i < tokens.count {
            guard tokens[i].kind == .word, tokens[i].capitalized else { i += 1; continue }
            var j = i
            while j + 1 < tokens.count, tokens[j + 1].kind == .word, tokens[j + 1].capitalized, tokens[j + 1].start == tokens[j].end + 1,
                  bytes[Int(tokens[j].end)] == 0x20 { j += 1 }
            if j > i, j - i < 4 { runs.append(Array(bytes[Int(tokens[i].start)..<Int(tokens[j].end)])) }
            i = j + 1
        }
        return runs
    }

    static func firstOccurrence(of needle: [UInt8], in bytes: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        guard let first = needle.first, needle.count <= bytes.count else { return nil }
        var i = from
        let last = bytes.count - needle.count
        while i <= last {
            if bytes[i] == first {
                var k = 1
                while k < needle.count && bytes[i + k] == needle[k] { k += 1 }
                if k == needle.count { return i }
            }
            i += 1
        }
        return nil
    }

    /// The term at `at` (`length` bytes) stands between quotes.
    static func quoted(_ bytes: UnsafeBufferPointer<UInt8>, _ at: Int, _ length: Int) -> Bool {
        let before = opening.contains { q in at >= q.count && bytes[(at - q.count)..<at].elementsEqual(q) }
        let end = at + length
        let after = closing.contains { q in end + q.count <= bytes.count && bytes[end..<(end + q.count)].elementsEqual(q) }
        return before && after
    }

    /// The unit holding byte `offset`.
    static func unit(at offset: Int, index: DocumentIndex) -> Int? {
        var low = 0, high = index.unitCount - 1
        guard high >= 0, Int(index.unitStarts[0]) <= offset else { return nil }
        while low < high {
            let mid = (low + high + 1) / 2
            if Int(index.unitStarts[mid]) <= offset { low = mid } else { high = mid - 1 }
        }
        return Int(index.unitEnds[low]) > offset ? low : nil
    }
}
