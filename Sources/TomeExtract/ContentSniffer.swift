/// Decides what a file is by its bytes, using the name only where the bytes
/// allow several readings (Markdown is plain text with a `.md` name; a file
/// starting with `<` is HTML when named `.html`).
///
/// A mislabelled file is handled as what it is: a PDF named `.txt` is read as
/// a PDF, an HTML page named `.pdf` as HTML.
enum ContentSniffer {
    enum Kind: Equatable {
        case pdf
        case gzip
        case html
        case text
        case markdown
        /// PNG, JPEG or TIFF: read by OCR.
        case image
    }

    /// Magic numbers of the images Tome reads by OCR.
    private static let images: [[UInt8]] = [
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A],  // PNG
        [0xFF, 0xD8, 0xFF],                                // JPEG
        [0x49, 0x49, 0x2A, 0x00], [0x4D, 0x4D, 0x00, 0x2A],  // TIFF, little- and big-endian
    ]

    /// Magic numbers of common formats Tome does not read, with a name for the error message.
    private static let knownBinary: [(magic: [UInt8], offset: Int, name: String)] = [
        (Array("GIF8".utf8), 0, "a GIF image (Tome reads PNG, JPEG and TIFF images)"),
        ([0x50, 0x4B, 0x03, 0x04], 0, "a ZIP archive (or an Office/EPUB document)"),
        ([0xD0, 0xCF, 0x11, 0xE0], 0, "an old Microsoft Office document"),
        ([0x7F, 0x45, 0x4C, 0x46], 0, "an ELF executable"),
        (Array("{\\rtf".utf8), 0, "an RTF document"),
        (Array("%!PS".utf8), 0, "a PostScript document"),
        ([0x42, 0x5A, 0x68], 0, "bzip2 data"),
        ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], 0, "xz data"),
        ([0x28, 0xB5, 0x2F, 0xFD], 0, "zstd data"),
        (Array("ustar".utf8), 257, "a tar archive"),
    ]

    static func kind(of bytes: [UInt8], name: String) throws(ExtractionError) -> Kind {
        guard !bytes.isEmpty else { throw ExtractionError(.empty, "the file is empty (0 bytes)") }
        if Gzip.isGzip(bytes) { return .gzip }
        // PDF readers accept a header anywhere in the first 1024 bytes.
        if find(Array("%PDF-".utf8), in: bytes, within: 1024) { return .pdf }
        if images.contains(where: { hasPrefix($0, bytes, at: 0) }) { return .image }
        for entry in knownBinary where hasPrefix(entry.magic, bytes, at: entry.offset) {
            throw ExtractionError(.unsupportedType, "the file is \(entry.name), which Tome does not read")
        }
        let ext = fileExtension(name)
        if looksBinary(bytes) {
            let claim = ["pdf": " (named .pdf, but it has no PDF header)"][ext] ?? ""
            throw ExtractionError(.unsupportedType, "unrecognised binary content\(claim)")
        }
        if looksLikeHTML(bytes, ext: ext) { return .html }
        if ["md", "markdown", "mdown", "mkd"].contains(ext) { return .markdown }
        return .text
    }

    /// The lowercased extension, ignoring a trailing `.gz` (`a.html.gz` -> `html`).
    static func fileExtension(_ name: String) -> String {
        var base = Substring(name.split(separator: "/").last ?? "")
        if base.lowercased().hasSuffix(".gz") { base = base.dropLast(3) }
        guard let dot = base.lastIndex(of: "."), dot != base.startIndex else { return "" }
        return base[base.index(after: dot)...].lowercased()
    }

    /// Binary if, in the first 8 KiB, more than one byte in a hundred is NUL
    /// (one NUL is always allowed) or more than 2% are other control
    /// characters than tab, newlines, form feed and escape — unless it is
    /// UTF-16 with a BOM. A stray NUL in a text or a page does not make it
    /// binary (the extractor drops it); binary formats and BOM-less UTF-16
    /// hold many.
    static func looksBinary(_ bytes: [UInt8]) -> Bool {
        if isUTF16(bytes) { return false }
        let head = bytes.prefix(8192)
        var (nuls, controls) = (0, 0)
        for b in head {
            if b == 0 {
                nuls += 1
            } else if b < 0x20 && b != 0x09 && b != 0x0A && b != 0x0D && b != 0x0C && b != 0x1B {
                controls += 1
            }
        }
        return nuls > max(1, head.count / 100) || controls * 50 > head.count
    }

    /// Opens with a UTF-16 byte-order mark (where NUL bytes are half the text).
    static func isUTF16(_ bytes: [UInt8]) -> Bool {
        hasPrefix([0xFF, 0xFE], bytes, at: 0) || hasPrefix([0xFE, 0xFF], bytes, at: 0)
    }

    /// HTML when, after a BOM, white space and comments, the content opens with
    /// a doctype or one of the tags a page starts with (WHATWG sniffing, shortened);
    /// or when the name says HTML and the content starts with `<`.
    static func looksLikeHTML(_ bytes: [UInt8], ext: String) -> Bool {
        var head = Array(bytes.prefix(4096))
        if hasPrefix([0xEF, 0xBB, 0xBF], head, at: 0) { head.removeFirst(3) }
        let lower = head.map { ($0 >= 0x41 && $0 <= 0x5A) ? $0 | 0x20 : $0 }
        var i = 0
        func skipSpace() { while i < lower.count, [0x20, 0x09, 0x0A, 0x0D, 0x0C].contains(lower[i]) { i += 1 } }
        skipSpace()
        // <?xml ...?> prologue of XHTML, and comments, may come first.
        while i < lower.count {
            if hasPrefix(Array("<?xml".utf8), lower, at: i) || hasPrefix(Array("<!--".utf8), lower, at: i) {
                let close: [UInt8] = lower[i + 1] == 0x3F ? Array("?>".utf8) : Array("-->".utf8)
                guard let end = firstIndex(of: close, in: lower, from: i) else { break }
                i = end + close.count
                skipSpace()
            } else {
                break
            }
        }
        let openers = ["<!doctype html", "<html", "<head", "<body", "<title", "<meta", "<script", "<style", "<div", "<p", "<h1", "<table", "<a", "<br", "<iframe", "<font", "<b"]
        for opener in openers where hasPrefix(Array(opener.utf8), lower, at: i) {
            let after = i + opener.utf8.count
            if after >= lower.count || [0x20, 0x3E, 0x09, 0x0A, 0x0D, 0x2F].contains(lower[after]) { return true }
        }
        if ["html", "htm", "xhtml", "shtml"].contains(ext), i < lower.count, lower[i] == 0x3C { return true }
        return false
    }

    static func hasPrefix(_ prefix: [UInt8], _ bytes: [UInt8], at offset: Int) -> Bool {
        guard offset >= 0, bytes.count >= offset + prefix.count else { return false }
        for (k, b) in prefix.enumerated() where bytes[offset + k] != b { return false }
        return true
    }

    static func find(_ needle: [UInt8], in bytes: [UInt8], within limit: Int) -> Bool {
        firstIndex(of: needle, in: Array(bytes.prefix(limit + needle.count)), from: 0) != nil
    }

    static func firstIndex(of needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, bytes.count >= needle.count, start <= bytes.count - needle.count else { return nil }
        for i in start...(bytes.count - needle.count) where bytes[i] == needle[0] && hasPrefix(needle, bytes, at: i) {
            return i
        }
        return nil
    }
}
