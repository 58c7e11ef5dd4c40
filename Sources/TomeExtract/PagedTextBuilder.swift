/// Joins page texts into one document text and records each page's UTF-8 span.
///
/// Trailing line breaks of a page are dropped (poppler ends every page with
/// one); pages are joined by `ExtractedDocument.pageSeparator`.
struct PagedTextBuilder {
    private var bytes: [UInt8] = []
    private(set) var pages: [PageSpan] = []
    private(set) var hasText = false

    mutating func appendPage(_ pageText: String) {
        if !pages.isEmpty { bytes.append(contentsOf: ExtractedDocument.pageSeparator.utf8) }
        var utf8 = Substring(pageText).utf8[...]
        while let last = utf8.last, last == 0x0A || last == 0x0D || last == 0x0C { utf8 = utf8.dropLast() }
        let start = bytes.count
        bytes.append(contentsOf: utf8)
        if !hasText, utf8.contains(where: { $0 > 0x20 }) { hasText = true }
        pages.append(PageSpan(number: pages.count + 1, start: start, end: bytes.count))
    }

    /// Where `title` first appears on page `page` (from 1); the page's start
    /// when it does not appear there (bookmark titles need not be page text).
    func offset(of title: String, onPage page: Int) -> Int? {
        guard page >= 1, page <= pages.count else { return nil }
        let span = pages[page - 1]
        let needle = Array(title.utf8)
        guard !needle.isEmpty, needle.count <= span.end - span.start else { return span.start }
        let last = span.end - needle.count
        var i = span.start
        while i <= last {
            if bytes[i] == needle[0], bytes[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return span.start
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }
}
