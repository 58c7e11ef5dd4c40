/// URLs: `http://`, `https://`, `ftp://`, `ftps://` and a host
/// (`http://localhost/` too), or a word starting `www.`, up to white space
/// or a character that cannot stand in one (`<>"` and the like), and in the
/// host up to one no host is written with (`hostEnd`). A URL may run past
/// the block's pieces (`maxLength` at most): sentences and pieces do not cut
/// URLs. What
/// ends the sentence around it is not part of
/// it: trailing `.,;:!?'"` and a closing bracket that nothing in the URL
/// opened (`(see https://x.org/a_(b))` keeps its `)`, `(https://x.org)`
/// loses it). The value is the URL as written, joined again where a PDF
/// broke it across lines: a URL that reaches the end of a line right after
/// `/ . - _ ? & = # % ~` goes on with the next line when that line starts
/// (indented or not) with a piece of ASCII holding a `/`, or a `.` right
/// after the scheme's `://` (`http://www.cl.cam.ac.` / `uk/research/…`,
/// `https://` / `alioth.debian.org`) — after `.` or `?` only when the piece
/// starts with a small letter or a digit, since a capital there starts the
/// next sentence: a sixth of
/// the URLs in R's package vignettes are broken so. The citation's byte
/// range then covers both lines.
enum URLExpert {
    static let schemes: Set<String> = ["http", "https", "ftp", "ftps"]
    /// The longest URL read, in bytes (browsers and servers stop near 8 KiB too).
    static let maxLength = 8192

    static func stops(_ b: UInt8) -> Bool {
        b <= 0x20 || b == 0x3C || b == 0x3E || b == 0x22 || b == 0x60 || b == 0x7B || b == 0x7D || b == 0x7C || b == 0x5C || b == 0x5E
    }

    /// Where a URL starts at token `t`, if one does.
    static func starts(_ text: ExpertText, at t: Int) -> Bool {
        guard text.tokens[t].kind == .word else { return false }
        if t > 0, text.touching(t - 1, t), text.tokens[t - 1].kind != .punctuation || text.isChar(t - 1, 0x2F) || text.isChar(t - 1, 0x2E) {
            return false  // inside something else ("xwww.", "a/www.")
        }
        let word = text.string(token: t).lowercased()
        if word.hasPrefix("www."), word.count > 4 { return true }
        let s = Int(text.tokens[t].end)
        return schemes.contains(word) && s + 3 <= text.bytes.count && text.bytes[s] == 0x3A && text.bytes[s + 1] == 0x2F && text.bytes[s + 2] == 0x2F
    }

    /// Where a URL broken at the line break at `end` goes on: the first byte
    /// of the next line's first piece (after its indentation), when the URL
    /// stops there right after a character a line is broken at inside URLs,
    /// and the piece (up to white space) is printable ASCII holding a `/`
    /// (or a `.`, right after the scheme's `://`); nil when it ends at `end`.
    static func continuation(_ bytes: UnsafeBufferPointer<UInt8>, after end: Int, high: Int) -> Int? {
        guard end > 0, end < high, bytes[end] == 0x0A || bytes[end] == 0x0D else { return nil }
        let last = bytes[end - 1]
        guard "/.-_?&=#%~".utf8.contains(last) else { return nil }
        let afterScheme = end >= 3 && bytes[end - 3] == 0x3A && bytes[end - 2] == 0x2F && last == 0x2F
        var next = end + 1
        if bytes[end] == 0x0D, next < high, bytes[next] == 0x0A { next += 1 }
        while next < high, bytes[next] == 0x20 || bytes[next] == 0x09 { next += 1 }
        guard next < high else { return nil }
        // After a full stop or a question mark the line may have ended a sentence: a capital starts the next one.
        if last == 0x2E || last == 0x3F, !(0x61...0x7A).contains(bytes[next]) && !(0x30...0x39).contains(bytes[next]) { return nil }
        var piece = next, slash = false, dot = false
        while piece < high, !stops(bytes[piece]) {
            guard bytes[piece] < 0x7F else { return nil }  // "→ https://…": not a URL's piece
            slash = slash || bytes[piece] == 0x2F
            dot = dot || bytes[piece] == 0x2E
            piece += 1
        }
        return slash || afterScheme && dot ? next : nil
    }

    /// Where the URL in `start..<end` ends when its host holds a character
    /// no host is written with: `www.debian.org(mirror-csail.debian.org`
    /// (ping's output) is `www.debian.org`. A host is letters, digits and
    /// `. - _ ~ %`, a port's `:`, a user's `@`, an IPv6 address's brackets,
    /// and any non-ASCII letter (an internationalised name).
    static func hostEnd(_ bytes: UnsafeBufferPointer<UInt8>, start: Int, end: Int) -> Int {
        // The host starts after the scheme's "://", when there is one.
        var i = start
        while i < end, (0x61...0x7A).contains(bytes[i] | 0x20) { i += 1 }
        if i + 2 < end, bytes[i] == 0x3A, bytes[i + 1] == 0x2F, bytes[i + 2] == 0x2F { i += 3 } else { i = start }
        while i < end {
            let b = bytes[i]
            if b == 0x2F || b == 0x3F || b == 0x23 { return end }  // the path, query or fragment: anything goes there
            let host = b >= 0x80 || (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b)
                || "-._~%:@[]\n\r\t ".utf8.contains(b)
            if !host { return i }
            i += 1
        }
        return end
    }

    /// URLs in `tokens` (one block), appended in text order.
    static func scan(_ text: ExpertText, tokens range: Range<Int>, into out: inout [Extraction]) {
        guard !range.isEmpty else { return }
        var after = 0
        for t in range where Int(text.tokens[t].start) >= after && starts(text, at: t) {
            let start = Int(text.tokens[t].start)
            // A URL may run past the pieces it is given: it can be longer than a piece, and a line broken after
            // "ac." reads as a sentence's end. Not past `maxLength`: a line of URLs joined by commas is not read
            // again from each block to its end.
            let high = min(text.bytes.count, start + maxLength)
            var end = start
            while end < high, !stops(text.bytes[end]) { end += 1 }
            while let next = continuation(text.bytes, after: end, high: high) {
                end = next
                while end < high, !stops(text.bytes[end]) { end += 1 }
            }
            end = hostEnd(text.bytes, start: start, end: end)
            // Trailing punctuation, and closing brackets nothing inside opened.
            while end > start {
                let b = text.bytes[end - 1]
                if [0x2E, 0x2C, 0x3B, 0x3A, 0x21, 0x3F, 0x27].contains(b) { end -= 1; continue }
                // Closing quotes and guillemets: ” ’ » (and their opening forms).
                if end - start >= 3, text.bytes[end - 3] == 0xE2, text.bytes[end - 2] == 0x80, (0x98...0x9D).contains(b) { end -= 3; continue }
                if end - start >= 2, text.bytes[end - 2] == 0xC2, b == 0xBB || b == 0xAB { end -= 2; continue }
                if let open: UInt8 = b == 0x29 ? 0x28 : b == 0x5D ? 0x5B : nil {
                    let slice = text.bytes[start..<end]
                    if slice.filter({ $0 == b }).count > slice.filter({ $0 == open }).count { end -= 1; continue }
                }
                break
            }
            let value = String(text.string(start, end).filter { !$0.isWhitespace })  // a URL holds none: line breaks and indentation
            // A scheme and a host ("http://localhost:8080/"), or a name with a dot ("www.debian.org").
            guard !value.hasSuffix("://"), value.contains("://") || value.contains(".") else { continue }
            out.append(Extraction(kind: .urls, start: Int32(start), end: Int32(end), value: value))
            after = end
        }
    }
}
