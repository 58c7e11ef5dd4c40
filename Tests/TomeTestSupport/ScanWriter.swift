import CCairo
import CTesseract
import Foundation

/// Scanned pages made by the tests themselves: lines of text drawn into a
/// grey image at a resolution (no text layer anywhere), written as a PDF
/// page image, a PNG, a JPEG or a TIFF page — so the OCR tests know exactly
/// which words a page holds.
public struct ScannedPage {
    public var lines: [String]
    /// Pixels per inch of the image; the page is A4.
    public var dpi: Int
    /// Clockwise quarter turns of the whole page (a sheet fed sideways).
    public var rotation: Int
    /// Points (1/72 in) of the text.
    public var fontSize: Double

    public init(_ lines: [String], dpi: Int = 300, rotation: Int = 0, fontSize: Double = 12) {
        self.lines = lines
        self.dpi = dpi
        self.rotation = rotation
        self.fontSize = fontSize
    }

    /// The page as a cairo image (RGB24, white, black text), turned as asked. The caller destroys it.
    func surface() -> OpaquePointer {
        let scale = Double(dpi) / 72
        let (w, h) = (Int32(595 * scale), Int32(842 * scale))
        let (width, height) = rotation % 2 == 0 ? (w, h) : (h, w)
        let surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height)!
        let cr = cairo_create(surface)!
        cairo_set_source_rgb(cr, 1, 1, 1)
        cairo_paint(cr)
        // Turn the page about its centre, then draw it upright in that frame.
        cairo_translate(cr, Double(width) / 2, Double(height) / 2)
        cairo_rotate(cr, Double(rotation) * .pi / 2)
        cairo_translate(cr, -Double(w) / 2, -Double(h) / 2)
        cairo_scale(cr, scale, scale)
        cairo_set_source_rgb(cr, 0, 0, 0)
        cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, fontSize)
        for (n, line) in lines.enumerated() {
            cairo_move_to(cr, 72, 72 + Double(n) * fontSize * 1.6)
            cairo_show_text(cr, line)
        }
        cairo_destroy(cr)
        cairo_surface_flush(surface)
        return surface
    }

    /// The page's pixels in grey, rows packed.
    func grey() -> (width: Int, height: Int, pixels: [UInt8]) {
        let surface = surface()
        defer { cairo_surface_destroy(surface) }
        let (width, height, stride) = (Int(cairo_image_surface_get_width(surface)), Int(cairo_image_surface_get_height(surface)),
                                       Int(cairo_image_surface_get_stride(surface)))
        let data = cairo_image_surface_get_data(surface)!
        var pixels = [UInt8](repeating: 255, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let word = UnsafeRawPointer(data + y * stride).load(fromByteOffset: x * 4, as: UInt32.self)
                pixels[y * width + x] = UInt8((word >> 8) & 0xFF)  // grey: R = G = B
            }
        }
        return (width, height, pixels)
    }
}

/// Writes scanned pages (and, in a PDF, pages with a text layer beside them).
public enum ScanWriter {
    /// A page of a PDF: a scan (an image only), or lines of real text.
    public enum PDFPage {
        case scan(ScannedPage)
        case text([String])
    }

    /// A PDF whose scanned pages are images only and whose text pages have a text layer.
    public static func pdf(_ pages: [PDFPage], to path: String) {
        let pdf = cairo_pdf_surface_create(path, 595, 842)
        let cr = cairo_create(pdf)
        for page in pages {
            switch page {
            case let .scan(scan):
                let image = scan.surface()
                let points = 72 / Double(scan.dpi)
                let (width, height) = (Double(cairo_image_surface_get_width(image)) * points, Double(cairo_image_surface_get_height(image)) * points)
                cairo_pdf_surface_set_size(pdf, width, height)
                cairo_save(cr)
                cairo_scale(cr, points, points)
                cairo_set_source_surface(cr, image, 0, 0)
                cairo_paint(cr)
                cairo_restore(cr)
                cairo_surface_destroy(image)
            case let .text(lines):
                cairo_pdf_surface_set_size(pdf, 595, 842)
                cairo_set_source_rgb(cr, 0, 0, 0)
                cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL)
                cairo_set_font_size(cr, 12)
                for (n, line) in lines.enumerated() {
                    cairo_move_to(cr, 72, 72 + Double(n) * 18)
                    cairo_show_text(cr, line)
                }
            }
            cairo_show_page(cr)
        }
        cairo_destroy(cr)
        cairo_surface_finish(pdf)
        cairo_surface_destroy(pdf)
    }

    /// A PNG of one scanned page.
    public static func png(_ page: ScannedPage, to path: String) {
        let surface = page.surface()
        cairo_surface_write_to_png(surface, path)
        cairo_surface_destroy(surface)
    }

    /// A JPEG of one page, or a TIFF of several (one image a page), through Leptonica.
    public static func jpeg(_ page: ScannedPage, to path: String) {
        var pix: UnsafeMutablePointer<PIX>? = leptonica(page)
        pixWrite(path, pix, Int32(IFF_JFIF_JPEG))
        pixDestroy(&pix)
    }

    public static func tiff(_ pages: [ScannedPage], to path: String) {
        for (n, page) in pages.enumerated() {
            var pix: UnsafeMutablePointer<PIX>? = leptonica(page)
            pixWriteTiff(path, pix, Int32(IFF_TIFF_ZIP), n == 0 ? "w" : "a")
            pixDestroy(&pix)
        }
    }

    /// The page as an 8-bit Leptonica image (four pixels a 32-bit word, the first in its high byte), at its resolution.
    static func leptonica(_ page: ScannedPage) -> UnsafeMutablePointer<PIX>? {
        let (width, height, pixels) = page.grey()
        guard let pix = pixCreate(Int32(width), Int32(height), 8), let data = pixGetData(pix) else { return nil }
        let wpl = Int(pixGetWpl(pix))
        for y in 0..<height {
            for x in 0..<width {
                let shift = 24 - 8 * UInt32(x & 3)
                data[y * wpl + x >> 2] = (data[y * wpl + x >> 2] & ~(0xFF << shift)) | (UInt32(pixels[y * width + x]) << shift)
            }
        }
        pixSetResolution(pix, Int32(page.dpi), Int32(page.dpi))
        return pix
    }
}
