import Foundation

/// Which sentences a summary may take: prose a reader can use, not the
/// debris that extracted text carries (see `Summarizer`'s comment).
extension Summarizer {

    /// Which units may be chosen.
    static func candidateFlags(_ input: Input, bytes: UnsafeBufferPointer<UInt8>, parameters p: SummaryParameters,
                               lines: NonProseLines) -> [Bool] {
        let index = input.index
        // Lines the document repeats (running heads and feet, boilerplate) are not summary material.
        var seen: [UInt64: Int] = [:]
        let digests = (0..<index.unitCount).map { u -> UInt64 in
            let hash = CanonicalForm.fnv1a(bytes[Int(index.unitStarts[u])..<Int(index.unitEnds[u])].lazy.filter { $0 > 0x20 }.map { $0 | 0x20 })
            seen[hash, default: 0] += 1
            return hash
        }
        let notices = noticeUnits(input, bytes: bytes)
        return (0..<index.unitCount).map { u in
            // A piece of a sentence cut at block length is no whole sentence.
            guard !index.isPiece(u), index.unitKinds[u] == UnitKind.prose.rawValue, seen[digests[u]] == 1, !notices[u],
                  (p.minTokens...p.maxTokens).contains(Int(input.unitTokens[u])),
                  input.termEnds[u] - (u == 0 ? 0 : input.termEnds[u - 1]) >= 4 else { return false }
            let range = Int(index.unitStarts[u])..<Int(index.unitEnds[u])
            guard !lines.crosses(range) else { return false }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
            return readsAsASentence(text, atLineStart: startsALine(at: range.lowerBound, in: bytes))
        }
    }

    /// The words of copyright and licence notices, as term ids (stemmed:
    /// "licensing", "warrants" and "reserves" are among them): a unit with
    /// none of them is not looked at for `noticePhrases`.
    static let noticeTerms = Set(TermKey.terms(of: """
        copyright copyrights licence licences license licenses licensed warranty warranties warranted redistribution
        redistributions redistribute reserved liable liability merchantability disclaimer disclaimed
        vorbehalten réservés reservados
        """))

    /// The set phrases of notices (lower case, white space as one space):
    /// what tells "Copyright © 1996 …" and "… WITHOUT ANY WARRANTY …" from a
    /// manual's own text about copyright files or licences.
    static let noticePhrases: [[UInt8]] = [
        "all rights reserved", "without any warranty", "without warranty", "warranties of merchantability",
        "permission is granted to copy", "permission is granted to make", "permission is hereby granted", "redistribution and use in source and binary forms",
        "redistribute it and/or modify", "under the terms of the gnu", "licensed under the", "\"as is\"", "“as is”",
        "copyright ©", "copyright (c)", "alle rechte vorbehalten", "tous droits réservés", "todos los derechos reservados",
    ].map { Array($0.utf8) }

    /// Units inside a copyright or licence notice: a stretch of units (from
    /// a heading, a short list item such as "1. Introduction", a blank line
    /// or a page break to the next) that holds a set phrase of notices (`noticePhrases`) and of which at least 40% of the units
    /// hold a notice word ("Copyright © 1996-2019 … All rights reserved.",
    /// "Redistribution and use … are permitted …", "… WARRANTIES …"). Every
    /// unit of the stretch is then part of the notice, also those without
    /// such a word ("If you use this software in a product, an
    /// acknowledgment … would be appreciated"). A manual's own text about
    /// licences (Debian Policy's "Every package must be accompanied by a
    /// verbatim copy of its … license(s)") holds no set phrase; and a
    /// document that is mostly notice (a licence itself) keeps all its
    /// sentences.
    static func noticeUnits(_ input: Input, bytes: UnsafeBufferPointer<UInt8>) -> [Bool] {
        let index = input.index
        var notice = [Bool](repeating: false, count: index.unitCount)
        var start = 0, covered = 0
        while start < index.unitCount {
            var end = start + 1
            while end < index.unitCount && index.unitKinds[end] != UnitKind.heading.rawValue && index.unitKinds[end] != UnitKind.listItem.rawValue
                    && !startsAParagraph(end, index: index, bytes: bytes) { end += 1 }
            let marked = (start..<end).filter { u in
                input.terms[(u == 0 ? 0 : input.termEnds[u - 1])..<input.termEnds[u]].contains(where: noticeTerms.contains)
            }
            if 5 * marked.count >= 2 * (end - start),
               marked.contains(where: { holdsANoticePhrase(bytes, Int(index.unitStarts[$0])..<Int(index.unitEnds[$0])) }) {
                for u in start..<end { notice[u] = true }
                covered += end - start
            }
            start = end
        }
        return 2 * covered < index.unitCount ? notice : [Bool](repeating: false, count: index.unitCount)
    }

    /// Whether the text in `range`, in lower case with its white space as one space, holds one of `noticePhrases`.
    static func holdsANoticePhrase(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        let slice = UnsafeBufferPointer(rebasing: bytes[range])
        // Lower case: ASCII by bytes; other text ("TOUS DROITS RÉSERVÉS") through String.
        let lower = slice.allSatisfy { $0 < 0x80 } ? slice.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }
            : Array(String(decoding: slice, as: UTF8.self).lowercased().utf8)
        var text: [UInt8] = []
        text.reserveCapacity(lower.count)
        for b in lower {
            if b <= 0x20 {
                if text.last != 0x20 { text.append(0x20) }
            } else {
                text.append(b)
            }
        }
        return noticePhrases.contains { holds($0, in: text) }
    }

    /// Whether `needle` occurs in `text` (bytes, as they are).
    static func holds(_ needle: [UInt8], in text: [UInt8]) -> Bool {
        guard let first = needle.first, text.count >= needle.count else { return needle.isEmpty }
        return (0...(text.count - needle.count)).contains { i in text[i] == first && text[i..<(i + needle.count)].elementsEqual(needle) }
    }

    /// Whether unit `u` starts a paragraph: a blank line or a page break before it.
    static func startsAParagraph(_ u: Int, index: DocumentIndex, bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let from = index.unitEnds[u - 1], to = index.unitStarts[u]
        return SentenceSplitter.newlines(bytes, from: from, to: to) >= 2 || SentenceSplitter.containsFormFeed(bytes, from: from, to: to)
    }

    /// Whether only spaces or tabs stand between the line's start and
    /// `offset`. A form feed starts a line too: extracted PDF text puts one
    /// before a page's first line ("\u{0C}1. Introduction").
    static func startsALine<Bytes: RandomAccessCollection<UInt8>>(at offset: Int, in bytes: Bytes) -> Bool where Bytes.Index == Int {
        var start = offset
        while start > bytes.startIndex && (bytes[start - 1] == 0x20 || bytes[start - 1] == 0x09) { start -= 1 }
        return start == bytes.startIndex || bytes[start - 1] == 0x0A || bytes[start - 1] == 0x0C
    }

    /// Lines that are not prose, which a unit of extracted text can run
    /// across: page furniture when a sentence goes on over a page break
    /// ("… comes as little surprise" split by "2 / kernlab – An S4 Package
    /// for Kernel Methods in R"), and console sessions run into the sentence
    /// that explains them ("> M[2, 1] / [1] 12 / where the last two
    /// statements show …"). Such a line is one that the document repeats
    /// three times or more (compared by its letters alone, so the page
    /// number beside a running head does not tell the copies apart), one
    /// without a letter (page numbers, rows of figures, `[1,]`, "– 12 –"),
    /// or a command at a prompt.
    struct NonProseLines {
        /// Where each line starts, and what it is: worked out once for the
        /// document, so that a text on one long line costs no more than one
        /// with many (each unit then costs a bisection).
        private var lineStarts: [Int] = []
        private var notProse: [Bool] = []

        /// Prompts of the consoles manuals and papers show (R, shells, Python).
        static let prompts: [[UInt8]] = ["> ", "R> ", "$ ", ">>> ", "+ "].map { Array($0.utf8) }

        init(_ bytes: UnsafeBufferPointer<UInt8>) {
            var counts: [UInt64: Int] = [:]
            var digests: [UInt64?] = []
            var start = 0
            for i in 0...bytes.count where i == bytes.count || bytes[i] == 0x0A {
                let line = start..<(i > start && bytes[i - 1] == 0x0D ? i - 1 : i)  // \r\n as \n
                let digest = Self.digest(bytes, line)
                if let digest { counts[digest, default: 0] += 1 }
                lineStarts.append(start)
                digests.append(digest)
                notProse.append(Self.isCommand(bytes, line) || line.contains { bytes[$0] > 0x20 } && !Self.hasLetter(bytes, line))
                start = i + 1
            }
            for (line, digest) in digests.enumerated() where digest.map({ counts[$0, default: 0] >= 3 }) == true { notProse[line] = true }
        }

        /// Whether a line `range` touches (the whole line, not only the part
        /// of it inside the range) is not prose.
        func crosses(_ range: Range<Int>) -> Bool {
            // The last line starting at or before the range's start (the first line starts at 0).
            let low = lineStarts.lastIndex(atMost: range.lowerBound) ?? 0
            var line = low
            while line < lineStarts.count && (line == low || lineStarts[line] < range.upperBound) {
                if notProse[line] { return true }
                line += 1
            }
            return false
        }

        /// The line's letters, lower-cased, as UTF-8, hashed (FNV-1a); nil for
        /// a line of fewer than 6 letters ("Page 3 of 10" has 6) or over 120
        /// bytes (a paragraph on one line, not a running head).
        static func digest(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> UInt64? {
            guard line.count <= 120 else { return nil }
            if line.allSatisfy({ bytes[$0] < 0x80 }) {
                // ASCII (most lines): no decoding.
                let letters = bytes[line].lazy.filter(isASCIILetter)
                return letters.count >= 6 ? CanonicalForm.fnv1a(letters.map { $0 | 0x20 }) : nil
            }
            let letters = String(decoding: UnsafeBufferPointer(rebasing: bytes[line]), as: UTF8.self).lowercased().unicodeScalars
                .filter(\.properties.isAlphabetic)
            return letters.count >= 6 ? CanonicalForm.fnv1a(String(String.UnicodeScalarView(letters)).utf8) : nil
        }

        /// Whether a line holds a letter: an ASCII one, or any alphabetic
        /// character (a dash, a © or a no-break space is not one).
        static func hasLetter(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
            var other = false
            for i in line {
                if isASCIILetter(bytes[i]) { return true }
                if bytes[i] >= 0x80 { other = true }
            }
            guard other else { return false }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[line]), as: UTF8.self).unicodeScalars.contains { $0.properties.isAlphabetic }
        }

        /// A command at a prompt: a prompt first, then code (a bracket, an
        /// assignment) or no full stop at the end. A quoted sentence in an
        /// e-mail or a Markdown block quote ("> The ports close at noon.")
        /// and a wrapped "(p / > 0.05)." are prose.
        static func isCommand(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
            guard let first = line.first(where: { bytes[$0] > 0x20 }),
                  let prompt = prompts.first(where: { p in first + p.count <= line.upperBound && bytes[first..<(first + p.count)].elementsEqual(p) })
            else { return false }
            let rest = (first + prompt.count)..<line.upperBound
            let assignment = rest.contains { $0 + 1 < rest.upperBound && bytes[$0] == 0x3C && bytes[$0 + 1] == 0x2D }  // R's "<-"
            let code = assignment || rest.contains { "([{=".utf8.contains(bytes[$0]) }
            let stop = rest.last(where: { bytes[$0] > 0x20 }).map { ".!?:".utf8.contains(bytes[$0]) } ?? false
            return code || !stop
        }

        @inline(__always)
        static func isASCIILetter(_ b: UInt8) -> Bool { (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A }
    }

    /// A heading that sentence splitting ran into the sentence after it,
    /// when the unit starts a line: a section number and a capitalised word
    /// on a short first line without a stop, the next line opening with a
    /// capital ("2 Mixture models / The basic idea is …", "Conclusions / In
    /// this paper we …"), or a numbered heading or list item ("2. The
    /// model-based …", "3.1 Data The …"). A sentence that starts late on a
    /// wrapped line ("… Table 2. In the / United States, most ports close
    /// at noon.") and one that opens with a count ("20 European countries
    /// signed.") are sentences.
    static func runsInAHeading(_ text: String, words: [Substring], atLineStart: Bool) -> Bool {
        guard atLineStart else { return false }
        let numbered = words.first.map { word in
            word.first?.isNumber == true
                && word.split(separator: ".").allSatisfy { (1...2).contains($0.count) && $0.allSatisfy { $0.isASCII && $0.isNumber } }
        } ?? false
        if numbered, words.count >= 2, words[1].first?.isUppercase == true, words.first?.contains(".") == true { return true }
        guard let newline = text.firstIndex(where: \.isNewline) else { return false }
        let first = text[..<newline].trimmingCharacters(in: .whitespaces)
        let next = text[text.index(after: newline)...].first { !$0.isWhitespace }
        let firstWords = first.split(separator: " ", maxSplits: 8)
        guard let last = first.last, !".,;:!?-–—(".contains(last), next?.isUppercase == true else { return false }
        if numbered && firstWords.count <= 6 { return true }
        return (1...6).contains(firstWords.count)
            && firstWords.allSatisfy { word in word.count < 4 || word.first?.isUppercase == true || word.first?.isNumber == true }
    }

    /// A whole sentence of prose: a capital, a digit, a currency sign or §
    /// first, a stop last, mostly letters, not code, a citation or an
    /// address, and no heading run into it.
    static func readsAsASentence(_ raw: String, atLineStart: Bool = true) -> Bool {
        // Trimmed without Foundation's CharacterSet (7% of a whole analysis, measured with perf).
        func blank(_ s: Unicode.Scalar) -> Bool { s.isASCII ? s == " " || (0x09...0x0D).contains(s.value) : s.properties.isWhitespace }
        let all = raw.unicodeScalars
        let text = all.firstIndex { !blank($0) }.flatMap { from in all.lastIndex { !blank($0) }.map { String(all[from...$0]) } } ?? ""
        // After any opening quote, bracket, Markdown emphasis or block quote, ¿ ¡, or a dialogue dash before
        // one of them; not a bullet or a list dash. (A command at a prompt is `NonProseLines`' to refuse.)
        let opening = "\"'“‘„‚«»‹(¿¡*_>".unicodeScalars
        var scalars = text.unicodeScalars[...]
        if scalars.first == "—", let next = scalars.dropFirst().first, next == "¿" || next == "¡" || next.properties.isUppercase {
            scalars = scalars.dropFirst()
        }
        guard let first = scalars.first(where: { !opening.contains($0) && !$0.properties.isWhitespace }),
              first.properties.isAlphabetic && !first.properties.isLowercase || first.properties.numericType != nil
                || first.properties.generalCategory == .currencySymbol || first == "§" else { return false }
        let closing = "\"'”’“‘)»«›‹]*_".unicodeScalars
        let tail = text.unicodeScalars.reversed().first { !closing.contains($0) && !$0.properties.isWhitespace }
        guard let last = tail, ".!?。！？".unicodeScalars.contains(last) else { return false }
        var letters = 0, upper = 0, visible = 0, code = 0
        for scalar in text.unicodeScalars {
            // ASCII without Unicode's property tables: this runs on every sentence of the document.
            if scalar.isASCII {
                let b = UInt8(scalar.value)
                if b <= 0x20 { continue }
                visible += 1
                if NonProseLines.isASCIILetter(b) {
                    letters += 1
                    if b <= 0x5A { upper += 1 }
                } else if "{}<>=;|\\_$#@".utf8.contains(b) {
                    code += 1
                }
            } else if !scalar.properties.isWhitespace {
                visible += 1
                if scalar.properties.isAlphabetic { letters += 1 }
                if scalar.properties.isUppercase { upper += 1 }
            }
        }
        // Mostly capitals: a licence's shouting, or a heading run into its first sentence ("2.5. MEMORY MANAGEMENT bzip2 …").
        guard visible > 0, Double(letters) >= 0.7 * Double(visible), code <= 2, Double(upper) <= 0.3 * Double(letters) else { return false }
        let words = Array(text.split(maxSplits: 3, whereSeparator: \.isWhitespace).prefix(3))
        if words.count == 3, words[0].allSatisfy({ $0.isNumber || $0 == "." }),
           words.dropFirst().allSatisfy({ $0.count > 1 && $0.allSatisfy { $0.isUppercase } }) { return false }
        if runsInAHeading(text, words: words, atLineStart: atLineStart) { return false }
        // Citations, addresses and cross-references ("See Section 6.2.1 […], page 30.") point elsewhere.
        let lower = Array(text.utf8).map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        func has(_ needle: String) -> Bool { holds(Array(needle.utf8), in: lower) }
        return !["et al.", "doi:", "http://", "https://", "www.", "isbn", "pp. ", "vol. "].contains(where: has)
            && !(lower.starts(with: Array("see ".utf8)) && has("page "))
    }
}
