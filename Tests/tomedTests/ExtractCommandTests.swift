import Foundation
import Testing
import TomeTestSupport

/// The real `tomed` binary, run as a child process: its output is the interface
/// the daemon (and scripts) rely on.
@Suite struct ExtractCommandTests {
    let scratch = Scratch()
    let tomed = productsDirectory + "/tomed"

    func fixturePDF() -> String {
        var writer = PDFWriter(pages: [["First page text."], ["Second page text."]])
        writer.title = "CLI Fixture"
        writer.bookmarks = [.init("Second", page: 2)]
        let path = scratch.file("cli.pdf")
        writer.write(to: path)
        return path
    }

    @Test func jsonOutputCarriesTheWholeDocument() throws {
        let result = try runProcess(tomed, ["extract", "--json", fixturePDF()])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        #expect(json["type"] as? String == "pdf")
        #expect(json["text"] as? String == "First page text.\n\u{0C}Second page text.")
        let pages = try #require(json["pages"] as? [[String: Int]])
        #expect(pages == [["number": 1, "start": 0, "end": 16], ["number": 2, "start": 18, "end": 35]])
        let metadata = try #require(json["metadata"] as? [String: Any])
        #expect(metadata["title"] as? String == "CLI Fixture")
        #expect(metadata["page_count"] as? Int == 2)
        let outline = try #require(json["outline"] as? [[String: Any]])
        #expect(outline.count == 1)
        #expect(outline.first?["title"] as? String == "Second")
        #expect(outline.first?["page"] as? Int == 2)
        #expect(outline.first?["level"] as? Int == 1)
        #expect(outline.first?["offset"] as? Int == 18)
    }

    @Test func plainOutputIsTheText() throws {
        let result = try runProcess(tomed, ["extract", fixturePDF()])
        #expect(result.status == 0)
        #expect(String(decoding: result.stdout, as: UTF8.self) == "First page text.\n\u{0C}Second page text.\n")
    }

    @Test func typedErrorExitsOneWithJSONAndAMessage() throws {
        let empty = scratch.write("empty.pdf", [])
        let result = try runProcess(tomed, ["extract", "--json", empty])
        #expect(result.status == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: [String: String]])
        #expect(json["error"]?["code"] == "empty")
        #expect(json["error"]?["message"]?.isEmpty == false)
        #expect(result.stderr.contains("empty"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }

    @Test func limitIsAnOption() throws {
        let text = scratch.write("words.txt", String(repeating: "word ", count: 100))
        let result = try runProcess(tomed, ["extract", "--max-bytes", "100", text])
        #expect(result.status == 1)
        #expect(result.stderr.contains("too_large"))
    }

    @Test func usageErrorExits64() throws {
        #expect(try runProcess(tomed, ["extract"]).status == 64)
        #expect(try runProcess(tomed, ["extract", "--workers", "0", "x"]).status == 64)
    }
}
