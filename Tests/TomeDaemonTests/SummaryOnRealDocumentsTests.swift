import Foundation
import Testing
import TomeExtract

@testable import TomeEngine

/// Summaries of a real manual, extracted by poppler as the daemon's child
/// does: bzip2's 38-page PDF (Debian's bzip2-doc, a test dependency), with
/// its contents pages, running heads, page numbers and numbered headings.
@Suite struct SummaryOnRealDocumentsTests {
    static let manual = "/usr/share/doc/bzip2/manual.pdf.gz"

    @Test(.enabled(if: FileManager.default.fileExists(atPath: manual), "needs bzip2-doc (make test-deps installs it)"))
    func noHeadingContentsLineOrPageNumberIsChosen() async throws {
        let document = try await Extractor().extract(fileAt: Self.manual)
        var summary = SummaryParameters()
        summary.sentences = 8
        let analysis = try DocumentAnalyzer(workers: 2, summary: summary).analyze(document.text, outline: document.outline.map { OutlineItem(title: $0.title, level: $0.level, offset: $0.offset) })
        let bytes = Array(document.text.utf8)
        func text(_ u: Int32) -> String {
            String(decoding: bytes[Int(analysis.index.unitStarts[Int(u)])..<Int(analysis.index.unitEnds[Int(u)])], as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        // Every line that stands on several pages (running heads and feet, page numbers).
        let pageLines = document.pages.map { page in
            Set(String(decoding: bytes[page.start..<page.end], as: UTF8.self).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) })
        }
        let repeated = Set(pageLines.flatMap { $0 }.filter { line in pageLines.filter { $0.contains(line) }.count > 2 })

        let chosen = analysis.summary.units + analysis.summary.sections.flatMap(\.units)
        #expect(analysis.summary.units.count == 8)
        #expect(!analysis.summary.sections.isEmpty, "the manual's numbered headings make sections")
        for unit in chosen {
            let sentence = text(unit)
            #expect(analysis.index.unitKinds[Int(unit)] == UnitKind.prose.rawValue, "\(sentence)")
            #expect(!repeated.contains(sentence), "a line repeated on pages: \(sentence)")
            #expect(sentence.contains { $0.isLetter } && !sentence.allSatisfy { $0.isNumber || $0.isWhitespace }, "\(sentence)")
            #expect(!sentence.contains(". . ."), "a contents line: \(sentence)")
            let atLineStart = Summarizer.startsALine(at: Int(analysis.index.unitStarts[Int(unit)]), in: bytes)
            #expect(Summarizer.readsAsASentence(sentence, atLineStart: atLineStart), "\(sentence)")
        }
        // Section summaries stay inside their section.
        let starts = analysis.summary.sections.map(\.heading)
        for (s, section) in analysis.summary.sections.enumerated() {
            let end = s + 1 < starts.count ? starts[s + 1] : Int32.max
            #expect(section.units.allSatisfy { $0 > section.heading && $0 < end })
        }
    }
}
