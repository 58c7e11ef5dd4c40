import Foundation
import Testing
import TomeExtract
import TomeTestSupport

/// Scanned pages read by Tesseract (real libtesseract and Leptonica, on
/// pages the tests draw themselves: no text layer anywhere), through the
/// one `Extractor` every file goes through.
@Suite(.serialized) struct OCRTests {
    let scratch = Scratch()

    static let prose = [
        "The harbour master keeps the tide tables for the whole estuary.",
        "Every vessel that enters the port reports its cargo and its crew.",
        "The pilot boards each tanker two miles before the breakwater.",
        "Storm warnings are posted on the quay before the evening tide.",
    ]

    /// The share of `expected`'s words that `text` holds (bag of words, case and punctuation aside).
    static func recall(_ text: String, _ expected: [String]) -> Double {
        func words(_ s: String) -> [String] { s.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init) }
        var found = Dictionary(words(text).map { ($0, 1) }, uniquingKeysWith: +)
        let wanted = expected.flatMap(words)
        let hits = wanted.filter { w in
            guard let n = found[w], n > 0 else { return false }
            found[w] = n - 1
            return true
        }
        return Double(hits.count) / Double(max(1, wanted.count))
    }

    func extract(_ path: String, _ ocr: OCRSettings = OCRSettings()) async throws(ExtractionError) -> ExtractedDocument {
        var options = ExtractionOptions(workers: 2)
        options.ocr = ocr
        return try await Extractor(options: options).extract(fileAt: path)
    }

    @Test(arguments: [300, 150])
    func aScannedPDFIsReadPageByPage(dpi: Int) async throws {
        let path = scratch.file("scan-\(dpi).pdf")
        ScanWriter.pdf([.scan(ScannedPage(Self.prose, dpi: dpi)), .scan(ScannedPage(["Page two holds the ledger of copper wire.", "Forty two crates were landed."], dpi: dpi))], to: path)
        let document = try await extract(path)
        #expect(document.type == .pdf)
        #expect(document.pages.count == 2)
        #expect(Self.recall(String(document.text(ofPage: 1) ?? ""), Self.prose) >= 0.9, "\(document.text)")
        #expect(Self.recall(String(document.text(ofPage: 2) ?? ""), ["Page two holds the ledger of copper wire."]) >= 0.85)
        let readings = try #require(document.ocr)
        #expect(readings.map(\.page) == [1, 2])
        // Rendered at ocr_dpi (300), whatever the scan's own resolution.
        #expect(readings.allSatisfy { $0.confidence >= 70 && !$0.flagged && $0.dpi == 300 }, "\(readings.map { ($0.confidence, $0.flagged, $0.dpi) })")
        // Each word's range slices the document's text to that word.
        let bytes = Array(document.text.utf8)
        let first = readings[0].words
        let word = String(decoding: bytes[Int(first[0])..<Int(first[1])], as: UTF8.self)
        #expect(word == "The")
        #expect(first[4] > first[2] && first[5] > first[3], "a box with width and height")
    }

    @Test func aPageFedSidewaysIsTurnedUpright() async throws {
        let path = scratch.file("sideways.pdf")
        ScanWriter.pdf([.scan(ScannedPage(Self.prose, rotation: 1))], to: path)
        let document = try await extract(path)
        let reading = try #require(document.ocr?.first)
        #expect(reading.rotation != 0)
        #expect(Self.recall(document.text, Self.prose) >= 0.85, "\(reading.rotation) \(document.text)")
    }

    @Test func aGermanPageKeepsItsUmlautsAndSharpS() async throws {
        let lines = ["Die Übergabe der Wohnung erfolgt am Freitag.", "Die Größe der Straße beträgt zwölf Meter.", "Schöne Grüße aus München."]
        let path = scratch.file("brief.pdf")
        ScanWriter.pdf([.scan(ScannedPage(lines))], to: path)
        let document = try await extract(path, OCRSettings(languages: ["deu"]))
        for word in ["Übergabe", "Größe", "Straße", "Grüße", "München"] {
            #expect(document.text.contains(word), "\(word) in \(document.text)")
        }
    }

    /// Text pages keep their text layer, exactly; only the scanned page is read by OCR.
    @Test func aMixedPDFIsReadPageByPage() async throws {
        let path = scratch.file("mixed.pdf")
        ScanWriter.pdf([.text(["A typed first page with its own text layer."]), .scan(ScannedPage(Self.prose)),
                        .text(["A typed last page."])], to: path)
        let document = try await extract(path)
        #expect(document.text(ofPage: 1) == "A typed first page with its own text layer.")
        #expect(document.text(ofPage: 3) == "A typed last page.")
        #expect(Self.recall(String(document.text(ofPage: 2) ?? ""), Self.prose) >= 0.9)
        #expect(document.ocr?.map(\.page) == [2])
        // With OCR off the scanned page reads as nothing; with always, every page is read by OCR.
        #expect(try await extract(path, OCRSettings(mode: .never)).text(ofPage: 2) == "")
        #expect(try await extract(path, OCRSettings(mode: .always)).ocr?.map(\.page) == [1, 2, 3])
    }

    @Test func aMultiPageTIFFIsADocumentOfPages() async throws {
        let path = scratch.file("fax.tiff")
        ScanWriter.tiff([ScannedPage(Self.prose, dpi: 200), ScannedPage(["The second sheet names the pilot Idris Maalouf."], dpi: 200)], to: path)
        let document = try await extract(path)
        #expect(document.type == .image)
        #expect(document.pages.count == 2)
        #expect(document.metadata.pageCount == 2)
        #expect(Self.recall(String(document.text(ofPage: 2) ?? ""), ["The second sheet names the pilot Idris Maalouf."]) >= 0.85)
        #expect(document.ocr?.map(\.dpi) == [200, 200])
    }

    @Test func aJPEGIsRead() async throws {
        let path = scratch.file("photo.jpg")
        ScanWriter.jpeg(ScannedPage(Self.prose), to: path)
        #expect(Self.recall(try await extract(path).text, Self.prose) >= 0.85)
    }

    /// A page with nothing on it is a document still: empty, its page flagged.
    @Test func anImageWithNoTextIsStoredEmptyAndFlagged() async throws {
        let path = scratch.file("blank.png")
        ScanWriter.png(ScannedPage([]), to: path)
        let document = try await extract(path)
        #expect(document.text.isEmpty)
        #expect(document.ocr?.first?.flagged == true)
        #expect(document.ocr?.first?.words.isEmpty == true)
    }

    @Test func badImagesAndLimitsAreTypedErrors() async throws {
        let png = scratch.file("receipt.png")
        ScanWriter.png(ScannedPage(Self.prose), to: png)
        let bytes = scratch.read("receipt.png")
        let truncated = scratch.write("truncated.png", Array(bytes.prefix(bytes.count / 3)))
        await #expect(throws: ExtractionError.self) { try await extract(truncated) }
        do {
            _ = try await extract(png, OCRSettings(mode: .never))
            Issue.record("an image read with OCR off")
        } catch {
            #expect(error.code == .unsupportedType)
        }
        do {
            _ = try await extract(png, OCRSettings(pageSeconds: 0.001))
            Issue.record("a page read within a millisecond")
        } catch {
            #expect(error.code == .timeout)
            #expect(error.message.contains("page 1"), "\(error.message)")
        }
        let pdf = scratch.file("long.pdf")
        ScanWriter.pdf([.scan(ScannedPage(["one"], dpi: 72)), .scan(ScannedPage(["two"], dpi: 72)), .scan(ScannedPage(["three"], dpi: 72))], to: pdf)
        do {
            _ = try await extract(pdf, OCRSettings(maxPages: 2))
            Issue.record("three pages read with ocr_max_pages = 2")
        } catch {
            #expect(error.code == .tooLarge)
        }
    }

    /// A text PDF's pages are never taken for scans (`OCRRule`).
    @Test func aTextPDFIsNotReadByOCR() async throws {
        let path = scratch.file("typed.pdf")
        PDFWriter(pages: [Self.prose, ["Short page."], []]).write(to: path)
        let document = try await extract(path)
        #expect(document.ocr == nil)
    }
}
