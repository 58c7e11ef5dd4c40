/// A character's box on the page, in points, y growing downwards.
struct CharacterBox: Equatable {
    var x1, y1, x2, y2: Double
    var height: Double { y2 - y1 }
}

/// Puts back the spaces poppler-glib's page text leaves out between words
/// that share a line but not a text block (table columns, hanging labels).
///
/// `boxes[i]` is the box of the i-th Unicode scalar of `text`, as
/// `poppler_page_get_text_layout` returns them. Between two non-blank
/// characters on the same line (their vertical extents overlap by half the
/// smaller height), a space is inserted when the horizontal gap exceeds
/// `gapFactor` × the line height, or when the second character starts left of
/// the first (the text jumped back to another column). Ordinary letter
/// spacing and kerning stay well under a fifth of the height; a word space
/// is about a quarter to a third, and poppler has already emitted those.
enum ColumnSpacer {
    static let gapFactor = 0.2

    static func respace(_ text: String, boxes: [CharacterBox]) -> String {
        let utf8 = text.utf8
        // Boxes that do not line up with the text: leave the text as poppler made it.
        guard utf8.lazy.filter(isScalarStart).count == boxes.count, boxes.count > 1 else { return text }
        // Byte offsets where a space goes; poppler separates words with ASCII
        // space and newline only, so "blank" means ASCII white space here.
        var insertions: [Int] = []
        var scalar = -1
        var previousBlank = true
        for (offset, byte) in utf8.enumerated() where isScalarStart(byte) {
            scalar += 1
            let blank = byte == 0x20 || (0x09...0x0D).contains(byte)
            if !blank, !previousBlank, separated(boxes[scalar - 1], boxes[scalar]) { insertions.append(offset) }
            previousBlank = blank
        }
        guard !insertions.isEmpty else { return text }
        let bytes = Array(utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + insertions.count)
        var copied = 0
        for offset in insertions {
            out.append(contentsOf: bytes[copied..<offset])
            out.append(0x20)
            copied = offset
        }
        out.append(contentsOf: bytes[copied...])
        return String(decoding: out, as: UTF8.self)
    }

    /// True for the first byte of a UTF-8 sequence (not a continuation byte).
    @inline(__always) private static func isScalarStart(_ byte: UInt8) -> Bool { byte & 0xC0 != 0x80 }

    static func separated(_ a: CharacterBox, _ b: CharacterBox) -> Bool {
        let height = min(a.height, b.height)
        guard height > 0 else { return false }
        let overlap = min(a.y2, b.y2) - max(a.y1, b.y1)
        guard overlap >= height / 2 else { return false }
        let lineHeight = max(a.height, b.height)
        return b.x1 - a.x2 > gapFactor * lineHeight || b.x2 <= a.x1
    }
}
