/// The text of one document and everything Tome knows about its layout.
///
/// Every offset in it (page spans, outline entries) is a UTF-8 byte offset into
/// `text`; pages are numbered from 1. Formats without pages (HTML, plain text,
/// Markdown) have exactly one page spanning the whole text.
///
/// Pages are joined in `text` by `"\n\u{0C}"` (newline, form feed), as
/// `pdftotext` does; page spans exclude that separator.
public struct ExtractedDocument: Sendable, Equatable, Codable {
    /// What the content turned out to be (by its bytes, not its name).
    public var type: DocumentType
    /// The full text, UTF-8.
    public var text: String
    /// One span per page, in order, covering `text` without the separators.
    public var pages: [PageSpan]
    public var metadata: DocumentMetadata
    public var outline: [OutlineEntry]
    /// How the pages read by OCR were read, in page order; nil when every
    /// page had a usable text layer (or the format has no pages to scan).
    public var ocr: [PageReading]?

    public init(type: DocumentType, text: String, pages: [PageSpan], metadata: DocumentMetadata, outline: [OutlineEntry],
                ocr: [PageReading]? = nil) {
        self.type = type
        self.text = text
        self.pages = pages
        self.metadata = metadata
        self.outline = outline
        self.ocr = ocr
    }

    /// The separator between two pages in `text`.
    public static let pageSeparator = "\n\u{0C}"

    /// The text of page `number` (from 1), or nil when there is no such page.
    public func text(ofPage number: Int) -> Substring? {
        guard number >= 1, number <= pages.count else { return nil }
        let span = pages[number - 1]
        let utf8 = text.utf8
        let start = utf8.index(utf8.startIndex, offsetBy: span.start)
        let end = utf8.index(utf8.startIndex, offsetBy: span.end)
        return text[start..<end]
    }
}

/// The UTF-8 byte range `start..<end` of one page in the document text.
public struct PageSpan: Sendable, Equatable, Codable {
    public var number: Int
    public var start: Int
    public var end: Int

    public init(number: Int, start: Int, end: Int) {
        self.number = number
        self.start = start
        self.end = end
    }
}

/// One entry of the document's outline (PDF bookmarks, HTML `h1`–`h6`,
/// Markdown headings).
public struct OutlineEntry: Sendable, Equatable, Codable {
    public var title: String
    /// 1 for top-level entries.
    public var level: Int
    /// The page the entry points to, from 1; nil when a PDF bookmark points nowhere.
    public var page: Int?
    /// UTF-8 byte offset in the text: where the heading's text starts, or, for
    /// a PDF bookmark whose title is not found on its page, where the page starts.
    public var offset: Int?

    public init(title: String, level: Int, page: Int?, offset: Int?) {
        self.title = title
        self.level = level
        self.page = page
        self.offset = offset
    }
}

/// What the document says about itself. Every field is optional: formats and
/// files differ in what they carry.
public struct DocumentMetadata: Sendable, Equatable, Codable {
    public var title: String?
    public var author: String?
    public var subject: String?
    public var keywords: String?
    /// The program that made the original (PDF `Creator`, HTML `generator`).
    public var creator: String?
    /// The program that wrote the PDF (PDF `Producer`).
    public var producer: String?
    /// ISO 8601, UTC (`2024-03-01T12:00:00Z`), or as the document wrote it
    /// when it cannot be parsed (HTML `meta`).
    public var created: String?
    public var modified: String?
    /// Pages in the original; 1 for formats without pages.
    public var pageCount: Int

    public init(
        title: String? = nil, author: String? = nil, subject: String? = nil, keywords: String? = nil,
        creator: String? = nil, producer: String? = nil, created: String? = nil, modified: String? = nil,
        pageCount: Int = 1
    ) {
        self.title = title
        self.author = author
        self.subject = subject
        self.keywords = keywords
        self.creator = creator
        self.producer = producer
        self.created = created
        self.modified = modified
        self.pageCount = pageCount
    }

    enum CodingKeys: String, CodingKey {
        case title, author, subject, keywords, creator, producer, created, modified
        case pageCount = "page_count"
    }
}

/// The kind of content Tome found in a file: a closed set that may grow.
public struct DocumentType: Sendable, Hashable, Codable, CustomStringConvertible {
    private enum Kind: String, Sendable { case pdf, html, text, markdown, image }
    private let kind: Kind

    public static let pdf = DocumentType(kind: .pdf)
    public static let html = DocumentType(kind: .html)
    public static let text = DocumentType(kind: .text)
    public static let markdown = DocumentType(kind: .markdown)
    /// A PNG, JPEG or TIFF image (a multi-page TIFF is one page per image), read by OCR.
    public static let image = DocumentType(kind: .image)

    private init(kind: Kind) { self.kind = kind }

    /// The stable name used in JSON and the database: `pdf`, `html`, `text`, `markdown`, `image`.
    public var name: String { kind.rawValue }
    public var description: String { kind.rawValue }

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        guard let kind = Kind(rawValue: raw) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown document type \(raw)"))
        }
        self.kind = kind
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(kind.rawValue)
    }
}
