import Testing
import TomeTestSupport

@testable import TomeExtract

/// Plain text, Markdown, and every typed error from real bad files.
@Suite struct TextExtractionTests {
    let scratch = Scratch()

    @Test func utf8TextIsOnePage() async throws {
        let text = "Ünïcödé text.\nSecond line — with 漢字.\n"
        let document = try await Extractor().extract(fileAt: scratch.write("notes.txt", text))
        #expect(document.type == .text)
        #expect(document.text == text)
        #expect(document.pages == [PageSpan(number: 1, start: 0, end: text.utf8.count)])
        #expect(document.outline.isEmpty)
    }

    @Test func invalidUTF8IsReadAsWindows1252() async throws {
        // Latin-1 "café – 5€" with the Windows-1252 en dash (96) and euro (80).
        let bytes: [UInt8] = Array("caf".utf8) + [0xE9, 0x20, 0x96, 0x20, 0x35, 0x80]
        let document = try await Extractor().extract(fileAt: scratch.write("legacy.txt", bytes))
        #expect(document.text == "café – 5€")
    }

    @Test func utf16WithBOM() async throws {
        let le: [UInt8] = [0xFF, 0xFE] + Array("Hi ☃".utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        let document = try await Extractor().extract(fileAt: scratch.write("wide.txt", le))
        #expect(document.text == "Hi ☃")
    }

    @Test func markdownHeadingsBecomeTheOutline() async throws {
        let markdown = """
            # Tome Guide #

            Intro paragraph.

            ## Install
            Run it.

            ```sh
            # not a heading
            ```

            Setext Title
            ============

            Sub section
            -----------

            #hashtag is not a heading
            ###### Deep
            """
        let document = try await Extractor().extract(fileAt: scratch.write("guide.md", markdown))
        #expect(document.type == .markdown)
        #expect(document.outline.map(\.title) == ["Tome Guide", "Install", "Setext Title", "Sub section", "Deep"])
        #expect(document.outline.map(\.level) == [1, 2, 1, 2, 6])
        #expect(document.metadata.title == "Tome Guide")
        let bytes = Array(document.text.utf8)
        for entry in document.outline {
            let offset = try #require(entry.offset)
            #expect(String(decoding: bytes[offset..<(offset + entry.title.utf8.count)], as: UTF8.self) == entry.title)
        }
    }
}

@Suite struct ExtractionErrorTests {
    let scratch = Scratch()

    func code(_ path: String, options: ExtractionOptions = ExtractionOptions()) async -> ExtractionError.Code? {
        do {
            _ = try await Extractor(options: options).extract(fileAt: path)
            return nil
        } catch {
            #expect(!error.message.isEmpty)
            return error.code
        }
    }

    @Test func zeroBytesIsEmpty() async {
        #expect(await code(scratch.write("nothing.pdf", [])) == .empty)
        #expect(await code(scratch.write("nothing.txt", [])) == .empty)
    }

    @Test func whitespaceOnlyIsEmpty() async {
        #expect(await code(scratch.write("blank.txt", " \n\t\n")) == .empty)
        #expect(await code(scratch.write("blank.html", "<html><body><script>x()</script></body></html>")) == .empty)
    }

    @Test func randomBytesNamedPDFAreUnsupported() async throws {
        var generator = SystemRandomNumberGenerator()
        let noise = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let path = scratch.write("noise.pdf", [0x00] + noise)
        let error = await #expect(throws: ExtractionError.self) { try await Extractor().extract(fileAt: path) }
        #expect(error?.code == .unsupportedType)
        #expect(error?.message.contains("no PDF header") == true)
    }

    @Test func binaryNamedTextIsUnsupported() async throws {
        let elfLike: [UInt8] = [0x01, 0x02, 0x03, 0x00, 0x10] + Array(repeating: 0x07, count: 200)
        #expect(await code(scratch.write("program.txt", elfLike)) == .unsupportedType)
        let gif: [UInt8] = Array("GIF89a".utf8) + Array(repeating: 0, count: 64)
        #expect(await code(scratch.write("picture.txt", gif)) == .unsupportedType)
        // A PNG is read by OCR, whatever its name: one whose image is missing cannot be decoded.
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 0, count: 64)
        #expect(await code(scratch.write("picture.txt", png)) == .corrupt)
    }

    /// One NUL in an otherwise good page or text does not make it binary; the
    /// NUL is dropped and the text on both sides kept. Text that is half NULs
    /// (UTF-16 without a byte-order mark) still is.
    @Test func aStrayNULIsDroppedNotFatal() async throws {
        let page = Array("<!doctype html><html><head><title>Tide tables</title></head><body><p>High water at Brest is at 06:42.".utf8)
            + [0x00] + Array(" Low water follows at 12:55.</p></body></html>".utf8)
        let html = try await Extractor().extract(fileAt: scratch.write("tides.html", page))
        #expect(html.type == .html)
        #expect(html.text.contains("High water at Brest is at 06:42. Low water follows at 12:55."), "\(html.text)")
        #expect(!html.text.unicodeScalars.contains("\0"))
        let text = try await Extractor().extract(fileAt: scratch.write("tides.txt", Array("Neap tides: small range.".utf8) + [0x00] + Array(" Spring tides: large.".utf8)))
        #expect(text.text.contains("small range. Spring tides"))
        let utf16WithoutBOM = Array("Neap tides and spring tides, twice a month.".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        #expect(await code(scratch.write("tides16.txt", utf16WithoutBOM)) == .unsupportedType)
    }

    @Test func overTheLimitIsTooLarge() async {
        let path = scratch.write("big.txt", String(repeating: "word ", count: 1000))
        #expect(await code(path, options: ExtractionOptions(maxBytes: 1000)) == .tooLarge)
        #expect(await code(path, options: ExtractionOptions(maxBytes: 5000)) == nil)
    }

    @Test func gzipBombIsTooLarge() async throws {
        let path = scratch.write("bomb.txt", String(repeating: "a", count: 5_000_000))
        try #require(try runProcess("gzip", [path]).status == 0)
        #expect(scratch.read("bomb.txt.gz").count < 100_000)
        #expect(await code(path + ".gz", options: ExtractionOptions(maxBytes: 1 << 20)) == .tooLarge)
    }

    @Test func truncatedGzipIsCorrupt() async throws {
        let path = scratch.write("cut.txt", String(repeating: "some text that compresses ", count: 2000))
        try #require(try runProcess("gzip", [path]).status == 0)
        let bytes = scratch.read("cut.txt.gz")
        #expect(await code(scratch.write("cut2.txt.gz", Array(bytes.prefix(bytes.count / 2)))) == .corrupt)
    }

    @Test func missingFileAndDirectoryAreUnreadable() async {
        #expect(await code(scratch.file("does-not-exist.pdf")) == .unreadable)
        #expect(await code(scratch.path) == .unreadable)
    }
}
