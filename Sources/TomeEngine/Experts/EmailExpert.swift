/// E-mail addresses around an `@`: a local part of letters, digits and
/// `._%+-`, a domain of labels with at least one dot and a top-level label
/// of two or more letters. Punctuation that ends the sentence is not part
/// of it (`write to a@b.org.`). The value is the address in lower case.
enum EmailExpert {
    static func isLocal(_ b: UInt8) -> Bool { isDomain(b) || b == 0x5F || b == 0x25 || b == 0x2B }
    static func isDomain(_ b: UInt8) -> Bool {
        (b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A || b >= 0x30 && b <= 0x39 || b == 0x2E || b == 0x2D
    }

    /// Addresses in `tokens` (one block), appended in text order.
    static func scan(_ text: ExpertText, tokens range: Range<Int>, into out: inout [Extraction]) {
        var after = 0  // bytes before this were taken by the previous address
        for t in range where text.isChar(t, 0x40) {
            let at = Int(text.tokens[t].start)
            let low = range.isEmpty ? 0 : Int(text.tokens[range.lowerBound].start), high = Int(text.tokens[range.upperBound - 1].end)
            var start = at
            while start > max(low, after), isLocal(text.bytes[start - 1]) { start -= 1 }
            while start < at, text.bytes[start] == 0x2E || text.bytes[start] == 0x2D { start += 1 }
            var end = at + 1
            while end < high, isDomain(text.bytes[end]) { end += 1 }
            while end > at + 1, text.bytes[end - 1] == 0x2E || text.bytes[end - 1] == 0x2D { end -= 1 }
            guard start < at, end > at + 1 else { continue }
            let domain = text.bytes[(at + 1)..<end]
            guard let dot = domain.lastIndex(of: 0x2E), dot > at + 1, end - dot - 1 >= 2,
                  text.bytes[(dot + 1)..<end].allSatisfy({ ($0 | 0x20) >= 0x61 && ($0 | 0x20) <= 0x7A }),
                  !zip(domain, domain.dropFirst()).contains(where: { $0 == 0x2E && $1 == 0x2E }) else { continue }
            out.append(Extraction(kind: .emails, start: Int32(start), end: Int32(end), value: text.string(start, end).lowercased()))
            after = end
        }
    }
}
