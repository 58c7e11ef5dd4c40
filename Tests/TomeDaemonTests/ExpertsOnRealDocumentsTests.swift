import Foundation
import Testing
import TomeExtract

@testable import TomeEngine

/// The router on every real document the tests have: the labelled excerpts
/// of the extraction benchmark (invoices, licences, reports, manuals in four
/// languages), the samples `make run` feeds, and bzip2's 38-page PDF manual
/// extracted by poppler as the daemon's child does. Routed extraction must
/// equal every expert on every block, and the outline of a PDF with
/// bookmarks must cite its headings.
@Suite struct ExpertsOnRealDocumentsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path
    static let manual = "/usr/share/doc/bzip2/manual.pdf.gz"

    static var documents: [String] {
        let excerpts = (try? FileManager.default.contentsOfDirectory(atPath: root + "/Benchmarks/extractions/docs")) ?? []
        let samples = (try? FileManager.default.contentsOfDirectory(atPath: root + "/Samples")) ?? []
        return excerpts.sorted().map { root + "/Benchmarks/extractions/docs/" + $0 } + samples.sorted().map { root + "/Samples/" + $0 }
            + (FileManager.default.fileExists(atPath: manual) ? [manual] : [])
    }

    func routedEqualsUnrouted(_ document: ExtractedDocument) throws -> [Extraction] {
        let outline = document.outline.map { OutlineItem(title: $0.title, level: $0.level, offset: $0.offset) }
        let analysis = try DocumentAnalyzer(workers: 2).analyze(document.text, outline: outline)
        var copy = document.text
        return copy.withUTF8 { bytes in
            var tokenizer = Tokenizer()
            var tokens: [Token] = []
            tokenizer.tokenize(bytes, range: 0..<bytes.count, into: &tokens)
            let unrouted = ExtractionRun.extract(bytes: bytes, tokens: tokens, index: analysis.index, outline: outline, workers: 2, routed: false)
            #expect(unrouted.extractions == analysis.extractions)
            return analysis.extractions
        }
    }

    @Test func routingNeverChangesWhatIsFound() async throws {
        #expect(Self.documents.count >= 35)
        var found = 0
        for path in Self.documents {
            let document = try await Extractor().extract(fileAt: path)
            let extractions = try routedEqualsUnrouted(document)
            found += extractions.count
            // Every citation is inside the text and slices to whole characters.
            let bytes = Array(document.text.utf8)
            for e in extractions {
                #expect(e.start >= 0 && e.start <= e.end && Int(e.end) <= bytes.count)
                #expect(String(validating: bytes[Int(e.start)..<Int(e.end)], as: UTF8.self) != nil, "\(path): \(e)")
            }
        }
        #expect(found > 1000)
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: manual), "needs bzip2-doc (make test-deps installs it)"))
    func aPDFsOutlineIsCitedAtItsHeadings() async throws {
        let document = try await Extractor().extract(fileAt: Self.manual)
        let outline = try routedEqualsUnrouted(document).filter { $0.kind == .outline }
        let bytes = Array(document.text.utf8)
        #expect(outline.count >= document.outline.filter { $0.offset != nil }.count)
        // Each bookmarked entry's citation is the line holding its title.
        for entry in document.outline.prefix(10) {
            guard let found = outline.first(where: { $0.value == entry.title }) else { Issue.record("\(entry.title) missing"); continue }
            let line = String(decoding: bytes[Int(found.start)..<Int(found.end)], as: UTF8.self)
            let words = entry.title.split(separator: " ").prefix(2).joined(separator: " ")
            #expect(line.contains(words), "\(entry.title) cited at \(line)")
        }
    }
}
