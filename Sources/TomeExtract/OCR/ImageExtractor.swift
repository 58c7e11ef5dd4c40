import CTesseract
import Glibc

/// PNG, JPEG and TIFF files (a multi-page TIFF one page per image), decoded
/// by Leptonica and read by OCR: a document like any other, one page per
/// image, every page with its reading.
struct ImageExtractor {
    var bytes: [UInt8]
    var ocr: OCRSettings
    var workers: Int
    var progress: (@Sendable (Int, Int) -> Void)?

    /// The largest image decoded, in pixels (a 600 dpi A3 scan is 70 MP).
    static let maxPixels = 200_000_000

    func extract() async throws(ExtractionError) -> ExtractedDocument {
        let count = try Self.pageCount(bytes)
        let bytes = self.bytes
        let recognised = try await OCRPass(settings: ocr, workers: workers, progress: progress)
            .read(Array(0..<count), source: { () throws(ExtractionError) in bytes }, image: { Self.page($1, of: $0) })
        if let broken = (0..<count).first(where: { recognised[$0]?.dpi == 0 }) {
            throw ExtractionError(.corrupt, count == 1 ? "the image cannot be decoded (a damaged or truncated file)"
                                  : "page \(broken + 1) of the image cannot be decoded (a damaged or truncated file)")
        }
        var builder = PagedTextBuilder()
        for index in 0..<count { builder.appendPage(recognised[index]?.text ?? "") }
        let readings = (0..<count).map { index in
            PageReading(page: index + 1, recognised: recognised[index] ?? .unreadable, offset: builder.pages[index].start,
                        lowConfidence: ocr.lowConfidence)
        }
        var metadata = DocumentMetadata()
        metadata.pageCount = count
        return ExtractedDocument(type: .image, text: builder.text, pages: builder.pages, metadata: metadata, outline: [], ocr: readings)
    }

    /// Images in the file: a TIFF's pages, else one. A file Leptonica
    /// cannot read the header of, or one too large, is refused.
    static func pageCount(_ bytes: [UInt8]) throws(ExtractionError) -> Int {
        var format: Int32 = 0, width: Int32 = 0, height: Int32 = 0, bitsPerSample: Int32 = 0, samplesPerPixel: Int32 = 0, colormap: Int32 = 0
        let header = bytes.withUnsafeBufferPointer { buffer in
            pixReadHeaderMem(buffer.baseAddress, buffer.count, &format, &width, &height, &bitsPerSample, &samplesPerPixel, &colormap)
        }
        guard header == 0, width > 0, height > 0 else { throw ExtractionError(.corrupt, "the image cannot be read (a damaged or truncated file)") }
        guard Int(width) * Int(height) <= maxPixels else {
            throw ExtractionError(.tooLarge, "the image has \(width)×\(height) pixels, over \(maxPixels / 1_000_000) million")
        }
        guard isTIFF(bytes) else { return 1 }
        var count: Int32 = 0
        let counted = bytes.withUnsafeBufferPointer { buffer -> Int32 in
            guard let file = fmemopen(UnsafeMutableRawPointer(mutating: buffer.baseAddress), buffer.count, "r") else { return 1 }
            defer { fclose(file) }
            return tiffGetCount(file, &count)
        }
        return counted == 0 && count > 0 ? Int(count) : 1
    }

    static func isTIFF(_ bytes: [UInt8]) -> Bool {
        bytes.starts(with: [0x49, 0x49, 0x2A, 0x00]) || bytes.starts(with: [0x4D, 0x4D, 0x00, 0x2A])
    }

    /// Image `index` (from 0) in grey; nil when it cannot be decoded.
    static func page(_ index: Int, of bytes: [UInt8]) -> GreyImage? {
        let decoded = bytes.withUnsafeBufferPointer { buffer -> UnsafeMutablePointer<PIX>? in
            guard let base = buffer.baseAddress else { return nil }
            return isTIFF(bytes) ? pixReadMemTiff(base, buffer.count, Int32(index)) : pixReadMem(base, buffer.count)
        }
        var pix: UnsafeMutablePointer<PIX>? = decoded
        defer { pixDestroy(&pix) }
        var grey: UnsafeMutablePointer<PIX>? = pix.flatMap { pixConvertTo8($0, 0) }
        defer { pixDestroy(&grey) }
        guard let grey else { return nil }
        let (width, height, wpl) = (Int(pixGetWidth(grey)), Int(pixGetHeight(grey)), Int(pixGetWpl(grey)))
        guard width > 0, height > 0, let data = pixGetData(grey) else { return nil }
        var pixels = [UInt8](repeating: 255, count: width * height)
        // Leptonica packs 8-bit pixels four to a 32-bit word, the first in the word's high byte.
        for y in 0..<height {
            let row = data + y * wpl
            for x in 0..<width {
                pixels[y * width + x] = UInt8(truncatingIfNeeded: row[x >> 2] >> (24 - 8 * UInt32(x & 3)))
            }
        }
        let resolution = Int(pixGetXRes(grey))
        return GreyImage(width: width, height: height, pixels: pixels, dpi: (70...1200).contains(resolution) ? resolution : 300)
    }
}
