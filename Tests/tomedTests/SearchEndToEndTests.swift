import Foundation
import Testing
import TomeEngine
import TomeTestSupport

/// Keyword search through the real daemon: real PDF, HTML and Markdown
/// samples dropped in the spool, `GET /v1/search` and `tome search`.
@Suite(.serialized) struct SearchEndToEndTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path

    func hits(_ daemon: DaemonFixture, _ query: String) throws -> [[String: Any]] {
        let q = query.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? query
        let response = try daemon.get("/v1/search?q=\(q)")
        #expect(response.status == 200, "\(query): \(response.text)")
        return (response.json["hits"] as? [[String: Any]]) ?? []
    }

    static let zhReference = "/usr/share/debian-reference/ch01.zh-cn.html"

    /// Chinese words are found wherever they stand, on a real Chinese
    /// document: chapter 1 of the Debian Reference (debian-reference-zh-cn,
    /// which make test installs), where FTS5's own tokenizer found a word
    /// only between spaces or punctuation.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: SearchEndToEndTests.zhReference), "needs debian-reference-zh-cn"))
    func chineseWordsAreFoundWhereverTheyStandInTheDebianReference() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        try FileManager.default.copyItem(atPath: Self.zhReference, toPath: daemon.spool + "/ch01.zh-cn.html")
        let document = try #require(try daemon.waitForSettled(count: 1).first)
        #expect(document["status"] as? String == "done", "\(document)")
        let id = try #require(document["id"] as? Int)
        let text = Array(try daemon.get("/v1/documents/\(id)/text").body)
        for word in ["用户名", "密码", "软件包"] {
            let q = word.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? word
            let response = try daemon.get("/v1/search?q=\(q)&document=\(id)&limit=200")
            #expect(response.status == 200, "\(word): \(response.text)")
            let found = (response.json["hits"] as? [[String: Any]]) ?? []
            #expect(found.allSatisfy { ($0["text"] as? String)?.contains(word) == true }, "\(word)")
            // Every place the text holds the word is inside a hit's sentence.
            let needle = Array(word.utf8)
            let places = (0...(text.count - needle.count)).filter { text[$0..<($0 + needle.count)].elementsEqual(needle) }
            #expect(places.count >= 2, "\(word) is in the chapter")
            for place in places {
                #expect(found.contains { ($0["start"] as? Int ?? .max) <= place && place < ($0["end"] as? Int ?? 0) }, "\(word) at \(place)")
            }
        }
    }

    @Test func searchFindsCitesAndFollowsDeletes() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        for sample in ["sample.pdf", "resume.html", "notes.md"] {
            try FileManager.default.copyItem(atPath: Self.root + "/Samples/" + sample, toPath: daemon.spool + "/" + sample)
        }
        let documents = try daemon.waitForSettled(count: 3)
        #expect(documents.allSatisfy { $0["status"] as? String == "done" })

        // Every hit's byte range slices the document's text to the hit's sentence.
        let found = try hits(daemon, "invoices OR outline")
        #expect(found.count >= 2)
        for hit in found {
            let id = try #require(hit["document"] as? Int)
            let text = Array(try daemon.get("/v1/documents/\(id)/text").body)
            let start = try #require(hit["start"] as? Int), end = try #require(hit["end"] as? Int)
            #expect(ShownText.of(text[start..<end]) == hit["text"] as? String)
            #expect((hit["snippet"] as? String)?.contains("<mark>") == true)
            #expect(hit["name"] as? String != nil && hit["page"] as? Int != nil)
        }
        let invoice = try #require(try hits(daemon, "\"due on\"").first)
        #expect(invoice["name"] as? String == "sample.pdf")
        #expect(invoice["page"] as? Int == 1)
        #expect((invoice["snippet"] as? String)?.contains("Invoices are <mark>due on</mark> 2026-12-31") == true, "\(invoice)")

        // One document only; an unknown one; a query FTS5 cannot read.
        let pdf = try #require(invoice["document"] as? Int)
        let scoped = try daemon.get("/v1/search?q=Tome&document=\(pdf)").json["hits"] as? [[String: Any]] ?? []
        #expect(!scoped.isEmpty && scoped.allSatisfy { $0["document"] as? Int == pdf })
        #expect(try daemon.get("/v1/search?q=Tome&document=999").status == 404)
        let bad = try daemon.get("/v1/search?q=%22unbalanced")
        #expect(bad.status == 400)
        #expect((bad.json["error"] as? [String: Any])?["code"] as? String == "bad_query")
        #expect(((bad.json["error"] as? [String: Any])?["message"] as? String)?.contains("a quote or a bracket left open") == true, "\(bad.text)")
        #expect(try daemon.get("/v1/search").status == 400)
        // A parameter no endpoint reads is a 400 that names it, not ignored (a typo of limit would return 20 hits).
        for path in ["/v1/search?q=Tome&limt=5", "/v1/documents?staus=done", "/v1/documents/\(pdf)/text?pgae=2", "/v1/documents/\(pdf)/extractions?knd=dates"] {
            let typo = try daemon.get(path)
            #expect(typo.status == 400 && typo.text.contains("unknown parameter"), "\(path): \(typo.text)")
        }
        // A typo of stage=answers does not reprocess the whole document.
        #expect(try daemon.request("POST", "/v1/documents/\(pdf)/reprocess?stag=answers").status == 400)

        // The CLI.
        let cli = try runProcess(daemon.tome, ["search", "--socket", daemon.socket, "--json", "\"due on\""])
        #expect(cli.status == 0, "\(cli.stderr)")
        #expect(String(decoding: cli.stdout, as: UTF8.self).contains("\"name\" : \"sample.pdf\""))

        // Deleted, it is no longer found.
        #expect(try daemon.request("DELETE", "/v1/documents/\(pdf)").status == 204)
        #expect(try hits(daemon, "\"due on\"").isEmpty)
    }
}
