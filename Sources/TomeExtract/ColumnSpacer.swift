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
        let scalars = Array(text.unicodeScalars)
        // Boxes that do not line up with the text: leave the text as poppler made it.
        guard scalars.count == boxes.count, scalars.count > 1 else { return text }
        var out = String.UnicodeScalarView()
        out.reserveCapacity(scalars.count + scalars.count / 16)
        out.append(scalars[0])
        for i in 1..<scalars.count {
            let a = scalars[i - 1], b = scalars[i]
            if !a.properties.isWhitespace, !b.properties.isWhitespace, separated(boxes[i - 1], boxes[i]) {
                out.append(" ")
            }
            out.append(b)
        }
        return String(out)
    }

    static func separated(_ a: CharacterBox, _ b: CharacterBox) -> Bool {
        let height = min(a.height, b.height)
        guard height > 0 else { return false }
        let overlap = min(a.y2, b.y2) - max(a.y1, b.y1)
        guard overlap >= height / 2 else { return false }
        let lineHeight = max(a.height, b.height)
        return b.x1 - a.x2 > gapFactor * lineHeight || b.x2 <= a.x1
    }
}
