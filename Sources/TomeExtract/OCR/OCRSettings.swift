/// When and how pages are read by OCR: a pipeline's `ocr`, `ocr_languages`
/// and `ocr_dpi`, and the daemon's `[extract] ocr_page_timeout_s` and
/// `ocr_max_pages`.
public struct OCRSettings: Sendable, Equatable, Codable {
    public enum Mode: String, Sendable, Codable, CaseIterable {
        /// Pages without a usable text layer (`OCRRule`), and image files.
        case auto
        /// Every page, its text layer ignored.
        case always
        /// No page: a scan fails as `empty`, an image file as `unsupported_type`.
        case never
    }

    /// The default is `auto`.
    public var mode: Mode = .auto
    /// Tesseract language codes (`eng`, `deu`, `chi_sim`), each a model in
    /// `OCREngine.modelFolder`. The default is `["eng"]`.
    public var languages: [String] = ["eng"]
    /// The resolution PDF pages are rendered at. 300 is what OCR engines are
    /// tuned for; 150 reads large print at a quarter of the pixels. The default is 300.
    public var dpi: Int = 300
    /// The most a page's recognition may take. The default is 60 s
    /// (a dense 300 dpi page takes 2–5 s on one core).
    public var pageSeconds: Double = 60
    /// The most pages one document may have read by OCR. The default is 500.
    public var maxPages: Int = 500
    /// A page whose mean confidence is below this is flagged as not to be
    /// trusted (0–100). The default is 50: clean print reads at 85–95.
    public var lowConfidence: Int = 50

    public init(mode: Mode = .auto, languages: [String] = ["eng"], dpi: Int = 300, pageSeconds: Double = 60, maxPages: Int = 500) {
        self.mode = mode
        self.languages = languages
        self.dpi = dpi
        self.pageSeconds = pageSeconds
        self.maxPages = maxPages
    }

    /// The range `ocr_dpi` may take.
    public static let dpiRange = 72...600
}

/// How one page was read by OCR, stored with the document: shown by
/// `tome show` and the API, and its words' boxes kept so a page view can
/// show an answer on the scan.
public struct PageReading: Sendable, Equatable, Codable {
    /// The page, from 1.
    public var page: Int
    /// Tesseract's mean confidence, 0–100.
    public var confidence: Int
    /// Below `OCRSettings.lowConfidence`, or no word found: not to be trusted.
    public var flagged: Bool
    /// Clockwise quarter turns that stood the page upright.
    public var rotation: Int
    /// The resolution of the image read; the boxes are in its pixels.
    public var dpi: Int
    /// Six numbers a word: UTF-8 start and end in the document's text, then
    /// left, top, right, bottom in pixels of the upright image.
    public var words: [Int32]

    public init(page: Int, confidence: Int, flagged: Bool, rotation: Int, dpi: Int, words: [Int32]) {
        self.page = page
        self.confidence = confidence
        self.flagged = flagged
        self.rotation = rotation
        self.dpi = dpi
        self.words = words
    }

    /// The page's reading, its word offsets moved by `offset` (where its page starts in the document).
    init(page: Int, recognised: RecognisedPage, offset: Int, lowConfidence: Int) {
        var words: [Int32] = []
        words.reserveCapacity(recognised.words.count * 6)
        for w in recognised.words {
            words += [Int32(offset) + w.start, Int32(offset) + w.end, w.left, w.top, w.right, w.bottom]
        }
        self.init(page: page, confidence: recognised.confidence, flagged: recognised.words.isEmpty || recognised.confidence < lowConfidence,
                  rotation: recognised.rotation, dpi: recognised.dpi, words: words)
    }
}
