/// When a PDF page's text layer is not worth reading and the page is read
/// by OCR instead (`ocr = "auto"`): when it is nearly empty on a page that
/// images cover (a scan, perhaps with a stray line of text laid over it),
/// or when its characters mostly map to nothing (U+FFFD, private-use and
/// control characters: fonts without a usable encoding).
///
/// Measured (Benchmarks/ocr.py): on the text PDFs of the benchmarks no page
/// is taken for a scan; on scanned PDFs made of their pages, every page is.
enum OCRRule {
    /// A layer with fewer letters and digits than this is nearly empty.
    static let minimumCharacters = 16
    /// The share of the page images must cover for a nearly empty layer to be a scan's.
    static let minimumCoverage = 0.25
    /// The share of non-space characters that map to nothing above which a layer is garbled.
    static let maximumUnmapped = 0.3

    /// Whether a page whose text layer is `text` is read by OCR; `coverage`
    /// (the share of the page its images cover) is asked only when needed.
    static func needsOCR(text: String, coverage: () -> Double) -> Bool {
        var characters = 0, unmapped = 0, alphanumerics = 0
        for scalar in text.unicodeScalars where !scalar.properties.isWhitespace {
            characters += 1
            let value = scalar.value
            if value == 0xFFFD || (0xE000...0xF8FF).contains(value) || scalar.properties.generalCategory == .control {
                unmapped += 1
            } else if scalar.properties.isAlphabetic || scalar.properties.numericType != nil {
                alphanumerics += 1
            }
        }
        if characters > 0, Double(unmapped) > maximumUnmapped * Double(characters) { return true }
        return alphanumerics < minimumCharacters && coverage() >= minimumCoverage
    }
}
