/// A character's box on the page, in points, y growing downwards.
struct CharacterBox: Equatable {
    var x1, y1, x2, y2: Double
    var height: Double { y2 - y1 }
}

/// Puts back the spaces poppler-glib's page text leaves out between words
/// that share a line but not a text block (table columns, hanging labels),
/// and marks a table's cells.
///
/// `boxes[i]` is the box of the i-th Unicode scalar of `text`, as
/// `poppler_page_get_text_layout` returns them. Between two non-blank
/// characters on the same line (their vertical extents overlap by half the
/// smaller height), a space is inserted when the horizontal gap exceeds
/// `gapFactor` × the line height, or when the second character starts left of
/// the first (the text jumped back to another column). Ordinary letter
/// spacing and kerning stay well under a fifth of the height; a word space
/// is about a quarter to a third, and poppler has already emitted those.
///
/// Two characters written side by side that lie apart on different lines
/// are cells of one table row whose text wraps or is centred ("…magnetic
/// filter" | "GBP"): a tab goes between them too.
///
/// A gap wider than `cellGapFactor` × the line height — wider than any word
/// space, even in justified text — is a column gap: it becomes a tab (in
/// place of poppler's space, if it put one), so a table's row reads as its
/// cells, as an HTML table's does.
enum ColumnSpacer {
    static let gapFactor = 0.2
    static let cellGapFactor = 2.0

    enum Mark { case space, tab }

    static func respace(_ text: String, boxes: [CharacterBox]) -> String {
        let utf8 = text.utf8
        // Boxes that do not line up with the text: leave the text as poppler made it.
        guard utf8.lazy.filter(isScalarStart).count == boxes.count, boxes.count > 1 else { return text }
        // Byte offsets where a space or a tab goes, and single spaces that become tabs;
        // poppler separates words with ASCII space and newline only, so "blank" means ASCII white space here.
        var insertions: [(offset: Int, mark: Mark)] = []
        var replacements: Set<Int> = []
        var scalar = -1
        var previousBlank = true
        // The last non-blank character (its box) and, if exactly one space followed it, that space's offset.
        var lastInk: CharacterBox? = nil
        var spaceAfterInk: Int? = nil
        var blanksAfterInk = 0
        for (offset, byte) in utf8.enumerated() where isScalarStart(byte) {
            scalar += 1
            let blank = byte == 0x20 || (0x09...0x0D).contains(byte)
            if blank {
                blanksAfterInk += 1
                if byte == 0x20 && blanksAfterInk == 1 { spaceAfterInk = offset } else { spaceAfterInk = nil }
                previousBlank = true
                continue
            }
            let box = boxes[scalar]
            if !previousBlank, jumped(boxes[scalar - 1], box) {
                insertions.append((offset, .tab))
            } else if !previousBlank, separated(boxes[scalar - 1], box) {
                insertions.append((offset, cellGap(boxes[scalar - 1], box) ? .tab : .space))
            } else if previousBlank, let space = spaceAfterInk, let ink = lastInk, cellGap(ink, box) {
                replacements.insert(space)
            }
            lastInk = box
            spaceAfterInk = nil
            blanksAfterInk = 0
            previousBlank = false
        }
        guard !insertions.isEmpty || !replacements.isEmpty else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count + insertions.count)
        var next = 0
        for (offset, byte) in utf8.enumerated() {
            if next < insertions.count, insertions[next].offset == offset {
                out.append(insertions[next].mark == .tab ? 0x09 : 0x20)
                next += 1
            }
            out.append(replacements.contains(offset) ? 0x09 : byte)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// True for the first byte of a UTF-8 sequence (not a continuation byte).
    @inline(__always) private static func isScalarStart(_ byte: UInt8) -> Bool { byte & 0xC0 != 0x80 }

    /// On one line: their vertical extents overlap by half the smaller height.
    static func sameLine(_ a: CharacterBox, _ b: CharacterBox) -> Bool {
        let height = min(a.height, b.height)
        guard height > 0 else { return false }
        return min(a.y2, b.y2) - max(a.y1, b.y1) >= height / 2
    }

    /// Two characters poppler wrote side by side that are not on one line,
    /// the second to the right of the first: the text went from one table
    /// cell to the next, whose line sits higher or lower (a wrapped cell, or
    /// one centred in its row). A word poppler joined across a line break
    /// goes on at the left of the next line, and is left whole.
    static func jumped(_ a: CharacterBox, _ b: CharacterBox) -> Bool {
        guard a.height > 0, b.height > 0, !sameLine(a, b) else { return false }
        return b.x1 - a.x2 > gapFactor * max(a.height, b.height)
    }

    static func separated(_ a: CharacterBox, _ b: CharacterBox) -> Bool {
        guard sameLine(a, b) else { return false }
        let lineHeight = max(a.height, b.height)
        return b.x1 - a.x2 > gapFactor * lineHeight || b.x2 <= a.x1
    }

    /// A column gap between two characters of one line (see the type's doc).
    static func cellGap(_ a: CharacterBox, _ b: CharacterBox) -> Bool {
        sameLine(a, b) && b.x1 - a.x2 > cellGapFactor * max(a.height, b.height)
    }
}
