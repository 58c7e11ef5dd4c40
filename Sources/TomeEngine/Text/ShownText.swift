/// A stretch of the stored text as a reader is shown it (an answer, its
/// passage, a summary sentence): the stored text and its byte ranges stay
/// as printed, the words on screen read as the author wrote them.
///
/// - A word a line-end hyphen broke is joined again ("con-\nsidered" →
///   "considered"): a hyphen (or soft hyphen) after a lower-case letter, a
///   line break, then a lower-case letter. A hyphen that stays on its line
///   ("well-known") or comes before a capital or a digit ("Jean-\nPierre",
///   "ISO-\n8601") is kept, with the line break dropped.
/// - A table row's cells (parted by tabs) are parted by " | ", empty cells
///   dropped.
/// - Any other run of white space (spaces, line and page breaks) is one
///   space; the ends are trimmed.
public enum ShownText {
    public static func of(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity(input.count)
        var i = 0
        var pendingSpace = false, pendingCell = false
        while i < input.count {
            let b = input[i]
            if b == 0x09 {
                pendingCell = true
                i += 1
                continue
            }
            if isSpace(b) {
                pendingSpace = true
                i += 1
                continue
            }
            // A hyphen at a line's end: join the word it broke.
            if let (hyphenLength, next) = lineEndHyphen(input, at: i) {
                if !pendingSpace, !pendingCell, let last = out.last, isLowerLetter(last, out), isLowerLetterStart(input, next) {
                    i = next
                    continue
                }
                // Kept: a dash after a space keeps a space after it ("run it - then"); a hyphen joins ("Jean-Pierre").
                let dash = pendingSpace || pendingCell
                flush(&out, &pendingSpace, &pendingCell)
                out.append(contentsOf: input[i..<(i + hyphenLength)])
                pendingSpace = dash
                i = next
                continue
            }
            flush(&out, &pendingSpace, &pendingCell)
            out.append(b)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func flush(_ out: inout [UInt8], _ pendingSpace: inout Bool, _ pendingCell: inout Bool) {
        if !out.isEmpty {
            if pendingCell { out.append(contentsOf: [0x20, 0x7C, 0x20]) } else if pendingSpace { out.append(0x20) }
        }
        pendingSpace = false
        pendingCell = false
    }

    /// ASCII white space but the tab, and form feed.
    @inline(__always) private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x0C || b == 0x0B }

    /// A hyphen (`-` or U+00AD soft hyphen) at `i` with only spaces and one
    /// line break after it: its length and the index of the next non-space byte.
    static func lineEndHyphen(_ input: [UInt8], at i: Int) -> (Int, Int)? {
        let length: Int
        if input[i] == 0x2D { length = 1 } else if input[i] == 0xC2, i + 1 < input.count, input[i + 1] == 0xAD { length = 2 } else { return nil }
        var j = i + length, breaks = 0
        while j < input.count, isSpace(input[j]) {
            if input[j] == 0x0A { breaks += 1 }
            j += 1
        }
        return breaks == 1 && j < input.count ? (length, j) : nil
    }

    /// The last byte written ends a lower-case letter (ASCII, or a Latin letter of two bytes).
    private static func isLowerLetter(_ last: UInt8, _ out: [UInt8]) -> Bool {
        if last >= 0x61 && last <= 0x7A { return true }
        guard last >= 0x80, out.count >= 2 else { return false }
        let scalar = String(decoding: out.suffix(2), as: UTF8.self).unicodeScalars.first
        return scalar.map { $0.properties.isLowercase } ?? false
    }

    private static func isLowerLetterStart(_ input: [UInt8], _ j: Int) -> Bool {
        let b = input[j]
        if b >= 0x61 && b <= 0x7A { return true }
        guard b >= 0xC0 else { return false }
        let scalar = String(decoding: input[j..<min(input.count, j + 4)], as: UTF8.self).unicodeScalars.first
        return scalar.map { $0.properties.isLowercase } ?? false
    }
}
