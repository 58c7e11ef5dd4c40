import CCairo
import Foundation

/// Writes real PDFs with cairo (the library poppler itself renders with), so
/// the extraction tests know exactly which text, metadata and outline a file holds.
public struct PDFWriter {
    /// One bookmark: its title, nesting level (1 = top) and target page (from 1).
    /// With `namedDestination`, the bookmark points to a named destination on
    /// that page instead of the page itself.
    public struct Bookmark {
        public var title: String
        public var level: Int
        public var page: Int
        public var namedDestination: String?

        public init(_ title: String, level: Int = 1, page: Int, namedDestination: String? = nil) {
            self.title = title
            self.level = level
            self.page = page
            self.namedDestination = namedDestination
        }
    }

    /// Lines of text per page; each line is drawn on its own baseline.
    public var pages: [[String]]
    public var title: String?
    public var author: String?
    public var subject: String?
    public var keywords: String?
    public var creator: String?
    /// ISO 8601 as cairo takes it: `YYYY-MM-DDThh:mm:ss` with an optional `Z`.
    public var created: String?
    public var bookmarks: [Bookmark] = []

    public init(pages: [[String]]) {
        self.pages = pages
    }

    public func write(to path: String) {
        let surface = cairo_pdf_surface_create(path, 595, 842)  // A4 in points
        let cr = cairo_create(surface)
        let fields: [(cairo_pdf_metadata_t, String?)] = [
            (CAIRO_PDF_METADATA_TITLE, title), (CAIRO_PDF_METADATA_AUTHOR, author),
            (CAIRO_PDF_METADATA_SUBJECT, subject), (CAIRO_PDF_METADATA_KEYWORDS, keywords),
            (CAIRO_PDF_METADATA_CREATOR, creator), (CAIRO_PDF_METADATA_CREATE_DATE, created),
        ]
        for case let (key, value?) in fields { cairo_pdf_surface_set_metadata(surface, key, value) }
        cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, 12)
        for (index, lines) in pages.enumerated() {
            for mark in bookmarks where mark.page == index + 1 {
                if let name = mark.namedDestination {
                    cairo_tag_begin(cr, CAIRO_TAG_DEST, "name='\(name)'")
                    cairo_tag_end(cr, CAIRO_TAG_DEST)
                }
            }
            for (n, line) in lines.enumerated() {
                cairo_move_to(cr, 72, 72 + Double(n) * 18)
                cairo_show_text(cr, line)
            }
            cairo_show_page(cr)
        }
        // Outline entries may point forward, so they are added once every page exists.
        var parents: [Int32] = [Int32(CAIRO_PDF_OUTLINE_ROOT)]
        for mark in bookmarks {
            let parent = parents[min(mark.level - 1, parents.count - 1)]
            let link = mark.namedDestination.map { "dest='\($0)'" } ?? "page=\(mark.page)"
            let id = cairo_pdf_surface_add_outline(surface, parent, mark.title, link, cairo_pdf_outline_flags_t(0))
            parents = Array(parents.prefix(mark.level)) + [id]
        }
        cairo_destroy(cr)
        cairo_surface_finish(surface)
        cairo_surface_destroy(surface)
    }
}
