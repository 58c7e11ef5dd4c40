import CPoppler
import Glibc
import Synchronization

/// PDF through poppler-glib: page text in reading order, metadata, and the
/// outline from the bookmarks; pages without a usable text layer rendered
/// and read by OCR (`OCRPass`), so a scanned or mixed PDF reads page by page.
///
/// Pages are read in parallel: Swift will not let one poppler document cross
/// tasks, so each worker opens its own document from the same bytes and takes
/// chunks of pages from a shared cursor until none are left. The output does
/// not depend on the number of workers.
struct PDFExtractor {
    var bytes: [UInt8]
    var workers: Int
    var progress: (@Sendable (Int, Int) -> Void)?
    /// Which pages are read by OCR (`OCRRule` for `auto`), and how.
    var ocr = OCRSettings(mode: .never)
    var ocrProgress: (@Sendable (Int, Int) -> Void)?

    /// Pages per chunk taken from the cursor: small enough to balance the
    /// workers on uneven pages, large enough that the cursor costs nothing.
    static let chunkPages = 8
    /// Below this many pages a second document is not worth opening.
    static let parallelFromPages = 24
    /// Bounds on outline walking, against hostile bookmark trees.
    static let maxOutlineDepth = 64
    static let maxOutlineEntries = 100_000

    func extract() async throws(ExtractionError) -> ExtractedDocument {
        let document = try PopplerDocument(bytes: bytes)
        let pageCount = document.pageCount
        guard pageCount > 0 else { throw ExtractionError(.corrupt, "the PDF has no readable pages") }
        let metadata = document.metadata()
        let bookmarks = document.outline(maxDepth: Self.maxOutlineDepth, maxEntries: Self.maxOutlineEntries)

        let cursor = PageCursor(pageCount: pageCount, chunk: Self.chunkPages, progress: progress)
        let helpers = pageCount >= Self.parallelFromPages ? max(0, workers - 1) : 0
        let bytes = self.bytes
        let pageTexts: [String] = await withTaskGroup(of: [(Int, String)].self) { group in
            for _ in 0..<helpers {
                group.addTask {
                    // A helper that cannot open the document takes no pages: the others take them.
                    guard let own = try? PopplerDocument(bytes: bytes) else { return [] }
                    return own.readPages(from: cursor)
                }
            }
            var texts = [String](repeating: "", count: pageCount)
            for (index, text) in document.readPages(from: cursor) { texts[index] = text }
            for await chunk in group {
                for (index, text) in chunk { texts[index] = text }
            }
            return texts
        }

        // Pages without a usable text layer are read by OCR (every page with `always`), page-parallel.
        let scanned: [Int] = switch ocr.mode {
        case .never: []
        case .always: Array(0..<pageCount)
        case .auto: (0..<pageCount).filter { index in OCRRule.needsOCR(text: pageTexts[index]) { document.imageCoverage(index) } }
        }
        let dpi = ocr.dpi
        let recognised = try await OCRPass(settings: ocr, workers: workers, progress: ocrProgress)
            .read(scanned, source: { () throws(ExtractionError) in try PopplerDocument(bytes: bytes) }, image: { $0.render($1, dpi: dpi) })
        var texts = pageTexts
        for (index, page) in recognised { texts[index] = page.text }

        var builder = PagedTextBuilder()
        for text in texts { builder.appendPage(text) }
        guard builder.hasText || !scanned.isEmpty else {
            throw ExtractionError(.empty, ocr.mode == .never
                ? "the PDF has \(pageCount) page(s) but no text layer, and this pipeline reads none by OCR (ocr = \"never\")"
                : "the PDF has \(pageCount) page(s) but no text layer and no image to read")
        }
        let outline = bookmarks.map { mark in
            OutlineEntry(title: mark.title, level: mark.level, page: mark.page,
                         offset: mark.page.flatMap { builder.offset(of: mark.title, onPage: $0) })
        }
        var meta = metadata
        meta.pageCount = pageCount
        let readings = scanned.map { index in
            PageReading(page: index + 1, recognised: recognised[index] ?? .unreadable, offset: builder.pages[index].start,
                        lowConfidence: ocr.lowConfidence)
        }
        return ExtractedDocument(type: .pdf, text: builder.text, pages: builder.pages, metadata: meta, outline: outline,
                                 ocr: readings.isEmpty ? nil : readings)
    }
}

/// Hands out chunks of page indexes to the workers, each at most once.
final class PageCursor: Sendable {
    private let next = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    let pageCount: Int
    let chunk: Int
    let progress: (@Sendable (Int, Int) -> Void)?

    init(pageCount: Int, chunk: Int, progress: (@Sendable (Int, Int) -> Void)? = nil) {
        self.pageCount = pageCount
        self.chunk = chunk
        self.progress = progress
    }

    /// The next range of page indexes (from 0), or nil when all are taken.
    func take() -> Range<Int>? {
        let start = next.add(chunk, ordering: .relaxed).oldValue
        guard start < pageCount else { return nil }
        return start..<min(start + chunk, pageCount)
    }

    /// No more pages are handed out (a worker failed: the others stop).
    func stop() { next.store(pageCount, ordering: .relaxed) }

    /// A worker finished `count` pages.
    func finished(_ count: Int) {
        let done = finished.add(count, ordering: .relaxed).newValue
        progress?(done, pageCount)
    }
}

/// A bookmark resolved to a page (from 1).
struct Bookmark {
    var title: String
    var level: Int
    var page: Int?
}

/// One open poppler document. Not Sendable: it stays in the task that opened it.
final class PopplerDocument {
    private let handle: OpaquePointer

    init(bytes: [UInt8]) throws(ExtractionError) {
        var error: UnsafeMutablePointer<GError>? = nil
        let data = bytes.withUnsafeBytes { g_bytes_new($0.baseAddress, gsize($0.count)) }
        defer { g_bytes_unref(data) }
        guard let handle = poppler_document_new_from_bytes(data, nil, &error) else {
            let code = error.map { $0.pointee.domain == tome_poppler_error_domain() ? $0.pointee.code : -1 } ?? -1
            let reason = error.flatMap { $0.pointee.message.map { String(cString: $0) } } ?? "unknown error"
            g_clear_error(&error)
            if code == Int32(POPPLER_ERROR_ENCRYPTED.rawValue) {
                throw ExtractionError(.encrypted, "the PDF is encrypted and needs a password")
            }
            throw ExtractionError(.corrupt, "poppler cannot open the PDF: \(reason)")
        }
        self.handle = handle
    }

    deinit { g_object_unref(UnsafeMutableRawPointer(handle)) }

    var pageCount: Int { Int(poppler_document_get_n_pages(handle)) }

    func metadata() -> DocumentMetadata {
        DocumentMetadata(
            title: take(poppler_document_get_title(handle)),
            author: take(poppler_document_get_author(handle)),
            subject: take(poppler_document_get_subject(handle)),
            keywords: take(poppler_document_get_keywords(handle)),
            creator: take(poppler_document_get_creator(handle)),
            producer: take(poppler_document_get_producer(handle)),
            created: iso8601(poppler_document_get_creation_date(handle)),
            modified: iso8601(poppler_document_get_modification_date(handle)),
            pageCount: pageCount
        )
    }

    /// Reads chunks of pages from `cursor` until it is exhausted.
    func readPages(from cursor: PageCursor) -> [(Int, String)] {
        var result: [(Int, String)] = []
        while let range = cursor.take() {
            for index in range { result.append((index, pageText(index))) }
            cursor.finished(range.count)
        }
        return result
    }

    /// The text of page `index` (from 0) in reading order; "" for a page poppler cannot load.
    ///
    /// poppler-glib's page text joins words that sit on one line in different
    /// columns with no space (`x` + `a numeric vector` -> `xa numeric vector`).
    /// The character boxes (which poppler computes from the page's cached text
    /// layout, so they cost little) show the gap: `ColumnSpacer` puts the space back.
    func pageText(_ index: Int) -> String {
        guard let page = poppler_document_get_page(handle, Int32(index)) else { return "" }
        defer { g_object_unref(UnsafeMutableRawPointer(page)) }
        guard let text = take(poppler_page_get_text(page), keepEmpty: true) else { return "" }
        var boxes: UnsafeMutablePointer<PopplerRectangle>? = nil
        var count: guint = 0
        guard poppler_page_get_text_layout(page, &boxes, &count) != 0, let boxes else { return text }
        defer { g_free(boxes) }
        let rects = UnsafeBufferPointer(start: boxes, count: Int(count)).map {
            CharacterBox(x1: $0.x1, y1: $0.y1, x2: $0.x2, y2: $0.y2)
        }
        return ColumnSpacer.respace(text, boxes: rects)
    }

    /// The share of page `index`'s area that its images cover (0–1; overlapping images count once each, so the sum is capped at 1).
    func imageCoverage(_ index: Int) -> Double {
        guard let page = poppler_document_get_page(handle, Int32(index)) else { return 0 }
        defer { g_object_unref(UnsafeMutableRawPointer(page)) }
        var width = 0.0, height = 0.0
        poppler_page_get_size(page, &width, &height)
        guard width > 0, height > 0 else { return 0 }
        let list = poppler_page_get_image_mapping(page)
        defer { poppler_page_free_image_mapping(list) }
        var covered = 0.0
        var node = list
        while let item = node {
            if let mapping = item.pointee.data?.assumingMemoryBound(to: PopplerImageMapping.self) {
                let area = mapping.pointee.area
                covered += abs(area.x2 - area.x1) * abs(area.y2 - area.y1)
            }
            node = item.pointee.next
        }
        return min(1, covered / (width * height))
    }

    /// Page `index` rendered in grey at `dpi` (lowered so the image stays
    /// under `maxPixels`), over white; nil for a page poppler cannot load.
    func render(_ index: Int, dpi requested: Int, maxPixels: Int = 100_000_000) -> GreyImage? {
        guard let page = poppler_document_get_page(handle, Int32(index)) else { return nil }
        defer { g_object_unref(UnsafeMutableRawPointer(page)) }
        var width = 0.0, height = 0.0
        poppler_page_get_size(page, &width, &height)
        guard width > 0, height > 0, width.isFinite, height.isFinite else { return nil }
        var dpi = Double(requested)
        let area = width * height / (72 * 72)  // square inches
        if area * dpi * dpi > Double(maxPixels) { dpi = (Double(maxPixels) / area).squareRoot().rounded(.down) }
        // A page of extreme proportions (a MediaBox of 1e30 by 1e-30) stays within cairo's 32767 pixels a side, or is not drawn.
        let (wd, hd) = ((width * dpi / 72).rounded(.up), (height * dpi / 72).rounded(.up))
        guard wd >= 1, hd >= 1, wd <= 32767, hd <= 32767,
              let surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(wd), Int32(hd)) else { return nil }
        let (w, h) = (Int(wd), Int(hd))
        defer { cairo_surface_destroy(surface) }
        guard cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS, let cr = cairo_create(surface) else { return nil }
        cairo_set_source_rgb(cr, 1, 1, 1)
        cairo_paint(cr)
        cairo_scale(cr, dpi / 72, dpi / 72)
        poppler_page_render_for_printing(page, cr)
        cairo_destroy(cr)
        cairo_surface_flush(surface)
        guard let data = cairo_image_surface_get_data(surface) else { return nil }
        let stride = Int(cairo_image_surface_get_stride(surface))
        return GreyImage(argb32: UnsafeRawBufferPointer(start: data, count: stride * h), width: w, height: h, stride: stride, dpi: Int(dpi))
    }

    /// The bookmark tree, depth first, each entry resolved to its page.
    func outline(maxDepth: Int, maxEntries: Int) -> [Bookmark] {
        guard let root = poppler_index_iter_new(handle) else { return [] }
        defer { poppler_index_iter_free(root) }
        var marks: [Bookmark] = []
        walk(root, level: 1, into: &marks, maxDepth: maxDepth, maxEntries: maxEntries)
        return marks
    }

    private func walk(_ iter: OpaquePointer, level: Int, into marks: inout [Bookmark], maxDepth: Int, maxEntries: Int) {
        repeat {
            guard marks.count < maxEntries else { return }
            if let action = poppler_index_iter_get_action(iter) {
                let title = action.pointee.any.title.map { String(cString: $0) } ?? ""
                marks.append(Bookmark(title: title, level: level, page: page(of: action)))
                poppler_action_free(action)
            }
            if level < maxDepth, let child = poppler_index_iter_get_child(iter) {
                walk(child, level: level + 1, into: &marks, maxDepth: maxDepth, maxEntries: maxEntries)
                poppler_index_iter_free(child)
            }
        } while poppler_index_iter_next(iter) != 0
    }

    /// The page (from 1) a go-to action leads to, resolving named destinations.
    private func page(of action: UnsafeMutablePointer<PopplerAction>) -> Int? {
        guard action.pointee.type == POPPLER_ACTION_GOTO_DEST, let dest = action.pointee.goto_dest.dest else { return nil }
        if dest.pointee.type == POPPLER_DEST_NAMED {
            guard let name = dest.pointee.named_dest, let found = poppler_document_find_dest(handle, name) else { return nil }
            defer { poppler_dest_free(found) }
            return found.pointee.page_num > 0 ? Int(found.pointee.page_num) : nil
        }
        return dest.pointee.page_num > 0 ? Int(dest.pointee.page_num) : nil
    }

    /// Takes ownership of a gchar* from poppler: converts (repairing invalid
    /// UTF-8), frees, and maps empty to nil unless `keepEmpty`.
    private func take(_ pointer: UnsafeMutablePointer<gchar>?, keepEmpty: Bool = false) -> String? {
        guard let pointer else { return nil }
        defer { g_free(pointer) }
        let string = String(cString: pointer)
        return string.isEmpty && !keepEmpty ? nil : string
    }

    /// `time_t` as ISO 8601 UTC; poppler returns -1 (or 0) when the date is absent.
    private func iso8601(_ time: time_t) -> String? {
        guard time > 0 else { return nil }
        var t = time
        var parts = tm()
        guard gmtime_r(&t, &parts) != nil else { return nil }
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))Z"
    }
}
