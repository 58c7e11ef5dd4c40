/// Plain text and Markdown: the decoded text as one page; for Markdown the
/// ATX (`# Title`) and setext (`Title` over `===`/`---`) headings outside
/// fenced code blocks become the outline, and the first level-1 heading the title.
package enum PlainTextExtractor {
    package static func extract(_ bytes: [UInt8], markdown: Bool) -> ExtractedDocument {
        let text = TextDecoding.decode(bytes).text
        let outline = markdown ? markdownOutline(text) : []
        let title = outline.first(where: { $0.level == 1 })?.title
        return ExtractedDocument(
            type: markdown ? .markdown : .text,
            text: text,
            pages: [PageSpan(number: 1, start: 0, end: text.utf8.count)],
            metadata: DocumentMetadata(title: title, pageCount: 1),
            outline: outline
        )
    }

    /// One line of the text, with its UTF-8 offset.
    private struct Line {
        var offset: Int
        var bytes: ArraySlice<UInt8>
    }

    static func markdownOutline(_ text: String) -> [OutlineEntry] {
        let utf8 = Array(text.utf8)
        var lines: [Line] = []
        var start = 0
        for (i, b) in utf8.enumerated() where b == 0x0A {
            lines.append(Line(offset: start, bytes: utf8[start..<i]))
            start = i + 1
        }
        if start < utf8.count { lines.append(Line(offset: start, bytes: utf8[start...])) }

        var outline: [OutlineEntry] = []
        var fence: UInt8? = nil
        for (n, line) in lines.enumerated() {
            let (indent, body) = stripIndent(line.bytes)
            if indent <= 3, let marker = body.first, marker == 0x60 || marker == 0x7E, body.prefix(3).allSatisfy({ $0 == marker }) {
                if fence == nil { fence = marker } else if fence == marker { fence = nil }
                continue
            }
            if fence != nil || indent > 3 { continue }
            if let heading = atxHeading(body, lineOffset: line.offset + indent) {
                outline.append(heading)
            } else if n > 0, let level = setextLevel(body), let previous = setextTitle(lines[n - 1]) {
                outline.append(OutlineEntry(title: previous.title, level: level, page: 1, offset: previous.offset))
            }
        }
        return outline
    }

    private static func stripIndent(_ bytes: ArraySlice<UInt8>) -> (Int, ArraySlice<UInt8>) {
        var rest = bytes
        var indent = 0
        while let b = rest.first, b == 0x20 { indent += 1; rest = rest.dropFirst() }
        if let b = rest.last, b == 0x0D { rest = rest.dropLast() }
        return (indent, rest)
    }

    /// `#`–`######`, a space (or end of line), the title, optional closing `#`s.
    private static func atxHeading(_ body: ArraySlice<UInt8>, lineOffset: Int) -> OutlineEntry? {
        let level = body.prefix(while: { $0 == 0x23 }).count
        guard (1...6).contains(level) else { return nil }
        var rest = body.dropFirst(level)
        guard rest.isEmpty || rest.first == 0x20 || rest.first == 0x09 else { return nil }
        var offset = lineOffset + level
        while let b = rest.first, b == 0x20 || b == 0x09 { rest = rest.dropFirst(); offset += 1 }
        while let b = rest.last, b == 0x20 || b == 0x09 { rest = rest.dropLast() }
        // A closing sequence of #s counts only after a space.
        let closing = rest.reversed().prefix(while: { $0 == 0x23 }).count
        if closing > 0 {
            let kept = rest.dropLast(closing)
            if kept.isEmpty || kept.last == 0x20 || kept.last == 0x09 { rest = kept }
            while let b = rest.last, b == 0x20 || b == 0x09 { rest = rest.dropLast() }
        }
        guard !rest.isEmpty else { return nil }
        return OutlineEntry(title: String(decoding: rest, as: UTF8.self), level: level, page: 1, offset: offset)
    }

    /// 1 for a `===` underline, 2 for `---`; nil for anything else.
    private static func setextLevel(_ body: ArraySlice<UInt8>) -> Int? {
        var trimmed = body
        while let b = trimmed.last, b == 0x20 || b == 0x09 { trimmed = trimmed.dropLast() }
        guard let first = trimmed.first, first == 0x3D || first == 0x2D, trimmed.allSatisfy({ $0 == first }) else { return nil }
        return first == 0x3D ? 1 : 2
    }

    /// The previous line as a setext title: non-blank paragraph text, not itself
    /// a heading, list item, quote or underline.
    private static func setextTitle(_ line: Line) -> (title: String, offset: Int)? {
        let (indent, body) = stripIndent(line.bytes)
        var trimmed = body
        while let b = trimmed.last, b == 0x20 || b == 0x09 { trimmed = trimmed.dropLast() }
        guard indent <= 3, let first = trimmed.first else { return nil }
        if [0x23, 0x3E, 0x2D, 0x2A, 0x2B, 0x3D, 0x60, 0x7E, 0x7C].contains(first) { return nil }
        return (String(decoding: trimmed, as: UTF8.self), line.offset + indent)
    }
}
