import Foundation
import Testing
import TomeTestSupport

@testable import TomeExtract

/// PDFs written by cairo with known text, metadata and outline, read back through poppler.
@Suite struct PDFExtractionTests {
    let scratch = Scratch()

    static let pages = [
        ["Chapter One", "The quick brown fox jumps over the lazy dog.", "Second line of the first page."],
        ["Chapter Two", "Zwei Boxkämpfer jagen Eva quer durch Sylt.", "Price: 1,234.56 EUR on 2024-03-01."],
        ["Appendix", "Last page, with a café and naïve résumé."],
    ]

    func writeFixture(_ name: String = "fixture.pdf") -> String {
        var writer = PDFWriter(pages: Self.pages)
        writer.title = "The Fixture"
        writer.author = "Ada Lovelace"
        writer.subject = "Testing extraction"
        writer.keywords = "pdf, poppler, cairo"
        writer.creator = "TomeTests"
        writer.created = "2021-05-04T12:34:56Z"
        writer.bookmarks = [
            .init("Chapter One", level: 1, page: 1),
            .init("Chapter Two", level: 1, page: 2),
            .init("Zwei Boxkämpfer", level: 2, page: 2),
            .init("Appendix", level: 1, page: 3, namedDestination: "appendix"),
        ]
        let path = scratch.file(name)
        writer.write(to: path)
        return path
    }

    @Test func textLandsOnTheRightPages() async throws {
        let document = try await Extractor().extract(fileAt: writeFixture())
        #expect(document.type == .pdf)
        #expect(document.pages.map(\.number) == [1, 2, 3])
        for (index, lines) in Self.pages.enumerated() {
            #expect(document.text(ofPage: index + 1) == Substring(lines.joined(separator: "\n")))
        }
        #expect(document.text == Self.pages.map { $0.joined(separator: "\n") }.joined(separator: ExtractedDocument.pageSeparator))
    }

    @Test func pageSpansAreUTF8ByteRanges() async throws {
        let document = try await Extractor().extract(fileAt: writeFixture())
        let bytes = Array(document.text.utf8)
        for span in document.pages {
            let page = String(decoding: bytes[span.start..<span.end], as: UTF8.self)
            #expect(page == String(document.text(ofPage: span.number) ?? ""))
        }
        // Page 2 holds a non-ASCII letter before the end: spans must count bytes, not characters.
        #expect(document.pages[2].start == document.pages[1].end + ExtractedDocument.pageSeparator.utf8.count)
        #expect(document.pages.last?.end == bytes.count)
    }

    @Test func metadataComesFromTheInfoDictionary() async throws {
        let meta = try await Extractor().extract(fileAt: writeFixture()).metadata
        #expect(meta.title == "The Fixture")
        #expect(meta.author == "Ada Lovelace")
        #expect(meta.subject == "Testing extraction")
        #expect(meta.keywords == "pdf, poppler, cairo")
        #expect(meta.creator == "TomeTests")
        #expect(meta.producer?.hasPrefix("cairo") == true)
        #expect(meta.created == "2021-05-04T12:34:56Z")
        #expect(meta.pageCount == 3)
    }

    @Test func outlineResolvesPagesAndOffsets() async throws {
        let document = try await Extractor().extract(fileAt: writeFixture())
        #expect(document.outline.map(\.title) == ["Chapter One", "Chapter Two", "Zwei Boxkämpfer", "Appendix"])
        #expect(document.outline.map(\.level) == [1, 1, 2, 1])
        #expect(document.outline.map(\.page) == [1, 2, 2, 3])
        let bytes = Array(document.text.utf8)
        for entry in document.outline {
            let offset = try #require(entry.offset)
            let found = String(decoding: bytes[offset..<(offset + entry.title.utf8.count)], as: UTF8.self)
            #expect(found == entry.title)
        }
    }

    @Test func parallelWorkersGiveTheSameDocumentAsOne() async throws {
        // Enough pages that the extractor splits them between workers.
        let many = (1...60).map { n in ["Page \(n) heading", "Body text of page \(n), with ümlauts and numbers \(n * 37)."] }
        let path = scratch.file("many.pdf")
        PDFWriter(pages: many).write(to: path)
        let one = try await Extractor(options: .init(workers: 1)).extract(fileAt: path)
        let four = try await Extractor(options: .init(workers: 4)).extract(fileAt: path)
        #expect(one == four)
        #expect(one.pages.count == 60)
        #expect(one.text(ofPage: 42) == "Page 42 heading\nBody text of page 42, with ümlauts and numbers 1554.")
    }

    @Test func encryptedPDFIsATypedError() async throws {
        let plain = writeFixture()
        let locked = scratch.file("locked.pdf")
        let qpdf = try runProcess("qpdf", ["--encrypt", "user-secret", "owner-secret", "256", "--", plain, locked])
        try #require(qpdf.status == 0, "qpdf failed: \(qpdf.stderr)")
        let error = await #expect(throws: ExtractionError.self) { try await Extractor().extract(fileAt: locked) }
        #expect(error?.code == .encrypted)
    }

    @Test func truncatedPDFIsCorruptOrPartialNeverACrash() async throws {
        let bytes = scratch.read(String(writeFixture().split(separator: "/").last ?? ""))
        for fraction in [0.2, 0.5, 0.8, 0.95] {
            let path = scratch.write("cut-\(fraction).pdf", Array(bytes.prefix(Int(Double(bytes.count) * fraction))))
            do {
                let document = try await Extractor().extract(fileAt: path)
                // What poppler could still read must be text of the original pages.
                for span in document.pages {
                    let text = String(document.text(ofPage: span.number) ?? "")
                    #expect(text.isEmpty || Self.pages.contains { $0.joined(separator: "\n") == text })
                }
            } catch {
                #expect([.corrupt, .empty].contains(error.code), "unexpected \(error)")
            }
        }
    }

    @Test func headerFollowedByGarbageIsCorrupt() async throws {
        let path = scratch.write("broken.pdf", "%PDF-1.7\n" + String(repeating: "not a pdf object ", count: 100))
        let error = await #expect(throws: ExtractionError.self) { try await Extractor().extract(fileAt: path) }
        #expect(error?.code == .corrupt)
    }

    @Test func pdfWithoutTextIsEmpty() async throws {
        let path = scratch.file("blank.pdf")
        PDFWriter(pages: [[], []]).write(to: path)
        let error = await #expect(throws: ExtractionError.self) { try await Extractor().extract(fileAt: path) }
        #expect(error?.code == .empty)
        #expect(error?.message.contains("2 page") == true)
    }

    @Test func mislabelledPDFIsReadAsPDF() async throws {
        let pdf = scratch.read(String(writeFixture().split(separator: "/").last ?? ""))
        let path = scratch.write("really-a-pdf.txt", pdf)
        let document = try await Extractor().extract(fileAt: path)
        #expect(document.type == .pdf)
        #expect(document.pages.count == 3)
    }

    @Test func gzippedPDFIsUnpacked() async throws {
        let path = writeFixture("manual.pdf")
        let gzip = try runProcess("gzip", ["-k", path])
        try #require(gzip.status == 0)
        let document = try await Extractor().extract(fileAt: path + ".gz")
        #expect(document.type == .pdf)
        #expect(document.text(ofPage: 1)?.hasPrefix("Chapter One") == true)
    }
}

/// The space-restoring rule between columns, on boxes laid out by hand.
@Suite struct ColumnSpacerTests {
    func box(_ x: Double, width: Double = 6, y: Double = 100, height: Double = 12) -> CharacterBox {
        CharacterBox(x1: x, y1: y, x2: x + width, y2: y + height)
    }

    @Test func insertsASpaceAcrossAGapPopplerClosed() {
        // "x" at x=72, then "a" of the next block 6 points on: more than a letter gap, less than a column's.
        let text = ColumnSpacer.respace("xa", boxes: [box(72), box(84)])
        #expect(text == "x a")
    }

    /// A gap wider than any word space is a column gap: a tab, inserted or
    /// in place of poppler's space, so a table row reads cell by cell.
    @Test func marksAColumnGapWithATab() {
        // "x" at x=72, then "a" of the description column at x=144.
        #expect(ColumnSpacer.respace("xa", boxes: [box(72), box(144)]) == "x\ta")
        // "Widget  320  £4.50": poppler's single spaces across 60-point gaps.
        let row = "W 3 £"
        let boxes = [box(72), box(78), box(140), box(146), box(200)]
        #expect(ColumnSpacer.respace(row, boxes: boxes) == "W\t3\t£")
        // An ordinary word space (a third of the height) stays a space.
        #expect(ColumnSpacer.respace("a b", boxes: [box(72), box(78), box(82)]) == "a b")
    }

    @Test func keepsTightlySetLettersTogether() {
        let text = ColumnSpacer.respace("word", boxes: [box(72), box(78.5), box(85), box(91.2)])
        #expect(text == "word")
    }

    @Test func doesNotSplitAcrossLinesOrAroundExistingSpaces() {
        // Second character on the next line; third is already a space.
        #expect(ColumnSpacer.respace("ab", boxes: [box(300), box(72, y: 118)]) == "ab")
        #expect(ColumnSpacer.respace("a b", boxes: [box(72), box(78), box(84)]) == "a b")
    }

    @Test func cellsOfARowOnDifferentLinesArePartedByATab() {
        // "…filter" on a wrapped description's third line, then "GBP" on the first line of the price cell to its right.
        #expect(ColumnSpacer.respace("rG", boxes: [box(200, y: 124), box(300, y: 100)]) == "r\tG")
        // A quantity centred in its row beside a two-line description: lines that overlap by less than half.
        #expect(ColumnSpacer.respace("4C", boxes: [box(122, y: 106), box(179, y: 100)]) == "4\tC")
        // A superscript touching its letter stays with it.
        #expect(ColumnSpacer.respace("m2", boxes: [box(72, y: 100), box(78, y: 93, height: 6)]) == "m2")
    }

    @Test func insertsASpaceWhenTheLineJumpsBackLeft() {
        #expect(ColumnSpacer.respace("ab", boxes: [box(300), box(72)]) == "a b")
    }

    @Test func leavesTextAloneWhenBoxesDoNotMatch() {
        #expect(ColumnSpacer.respace("abc", boxes: [box(72), box(300)]) == "abc")
    }
}
