import Foundation
import GRDB
import Glibc
import Testing
import TomeEngine
import TomeTestSupport

/// The engine through the real daemon: ask with page citations, the corpus
/// memory's counts, and its rebuild.
@Suite(.serialized) struct AskEndToEndTests {
    /// Plain sentences about ordinary things, `count` of them, seeded.
    static func filler(_ count: Int, seed: Int) -> [String] {
        let subjects = ["The committee", "Our team", "The report", "The council", "Every engineer", "The project"]
        let verbs = ["reviewed", "measured", "discussed", "approved", "questioned", "compared"]
        let objects = ["the annual budget", "the water supply", "several old bridges", "the railway timetable", "the draft proposal", "the harbour lights"]
        return (0..<count).map { n in
            let i = n &* 7 &+ seed
            return "\(subjects[i % subjects.count]) \(verbs[(i / 3) % verbs.count]) \(objects[(i / 5) % objects.count]) on day \(n % 28 + 1)."
        }
    }

    static let needle = "The secret launch code of the Zarquon project is 48213."

    func json(_ response: UnixHTTPResponse) -> [String: Any] { response.json }

    @Test func askCitesThePageOfTheAnswer() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        var pages = (0..<6).map { p in Self.filler(20, seed: p) }
        pages[3][11] = Self.needle
        PDFWriter(pages: pages).write(to: daemon.scratch.file("manual.pdf"))
        daemon.scratch.write("spool/manual.pdf", daemon.scratch.read("manual.pdf"))
        daemon.scratch.write("spool/other.txt", Self.filler(300, seed: 99).joined(separator: " "))
        let documents = try daemon.waitForSettled(count: 2)
        let manual = try #require(documents.first { $0["name"] as? String == "manual.pdf" })
        let id = try #require(manual["id"] as? Int)
        #expect((manual["tokens"] as? Int ?? 0) > 1000)

        let ask = try daemon.request("POST", "/v1/documents/\(id)/ask", body: Array(#"{"question": "What is the launch code of the Zarquon project?", "k": 3}"#.utf8))
        #expect(ask.status == 200, "\(ask.text)")
        let answers = try #require(ask.json["answers"] as? [[String: Any]])
        #expect(answers.first?["text"] as? String == Self.needle)
        #expect(answers.first?["page"] as? Int == 4)
        #expect(answers.first?["document"] as? Int == id)
        let stats = try #require(ask.json["stats"] as? [String: Any])
        #expect(stats["mode"] as? String == "sparse")
        #expect((stats["elapsed_ms"] as? Double).map { $0 >= 0 } == true)
        // The byte range points at the sentence in the stored text.
        let text = Array(try daemon.get("/v1/documents/\(id)/text").body)
        let start = try #require(answers.first?["start"] as? Int), end = try #require(answers.first?["end"] as? Int)
        #expect(String(decoding: text[start..<end], as: UTF8.self) == Self.needle)

        // The corpus: the answer names its document.
        let all = try runProcess(daemon.tome, ["ask", "--all", "--json", "--socket", daemon.socket, "Zarquon", "launch", "code?"])
        #expect(all.status == 0, "\(all.stderr)")
        let corpus = try #require(try JSONSerialization.jsonObject(with: all.stdout) as? [String: Any])
        let first = try #require((corpus["answers"] as? [[String: Any]])?.first)
        #expect(first["document"] as? Int == id)
        #expect(first["page"] as? Int == 4)
        #expect((corpus["stats"] as? [String: Any])?["documents"] as? Int == 2)

        // The CLI prints the page.
        let cli = try runProcess(daemon.tome, ["ask", String(id), "What is the launch code of the Zarquon project?", "--socket", daemon.socket])
        #expect(String(decoding: cli.stdout, as: UTF8.self).hasPrefix("1. [page 4, score"))

        // Bad requests are 400s, an unknown document 404.
        #expect(try daemon.request("POST", "/v1/documents/\(id)/ask", body: Array("not json".utf8)).status == 400)
        #expect(try daemon.request("POST", "/v1/documents/\(id)/ask", body: Array(#"{"question": "x", "k": 0}"#.utf8)).status == 400)
        // A question with no word at all, and a field of the wrong type, say so.
        for (body, says) in [(#"{"question": "???"}"#, "no word"), (#"{"question": "-- !!"}"#, "no word"),
                             (#"{"question": "x", "k": "3"}"#, "k has the wrong type"),
                             (#"{"question": 5}"#, "question has the wrong type"), (#"{"k": 3}"#, "question is missing")] {
            let refused = try daemon.request("POST", "/v1/documents/\(id)/ask", body: Array(body.utf8))
            #expect(refused.status == 400, "\(body)")
            #expect(refused.text.contains(says), "\(body): \(refused.text)")
        }
        #expect(try daemon.request("POST", "/v1/documents/999/ask", body: Array(#"{"question": "x"}"#.utf8)).status == 404)
    }

    @Test func engramCountsFollowTheCorpusAndSurviveALostFile() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        daemon.scratch.write("spool/a.txt", (Self.filler(50, seed: 1) + [Self.needle]).joined(separator: " "))
        daemon.scratch.write("spool/b.txt", (Self.filler(50, seed: 2) + ["Zarquon again, once more."]).joined(separator: " "))
        let documents = try daemon.waitForSettled(count: 2)
        func estimate(_ phrase: String) throws -> [String: Any] {
            try daemon.get("/v1/engram?q=" + (phrase.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? phrase)).json
        }
        #expect(try estimate("Zarquon")["documents"] as? Int == 2)
        #expect(try estimate("Zarquon")["occurrences"] as? Int == 2)
        #expect(try estimate("the Zarquon project")["documents"] as? Int == 1)
        #expect(try daemon.get("/v1/engram?q=the+Zarquon+project").json["tokens"] as? Int == 3)
        #expect(try estimate("Zarquon")["corpus_documents"] as? Int == 2)
        let rare = try #require(try estimate("Zarquon")["salience"] as? Double)
        let common = try #require(try estimate("the")["salience"] as? Double)
        #expect(rare > common)

        // Reprocessing a document does not count it twice.
        let a = try #require(documents.first { $0["name"] as? String == "a.txt" }?["id"] as? Int)
        #expect(try daemon.request("POST", "/v1/documents/\(a)/reprocess").status == 202)
        try waitUntil(timeout: 30, "reprocessed") {
            (try? daemon.get("/v1/documents/\(a)").json["status"] as? String) == "done"
                && ((try? daemon.get("/v1/documents/\(a)").json["attempts"] as? Int) ?? 0) >= 1
                && daemon.log.components(separatedBy: "document=\(a) pages=").count == 3
        }
        #expect(try estimate("Zarquon")["documents"] as? Int == 2)
        #expect(try estimate("Zarquon")["occurrences"] as? Int == 2)
        #expect(try estimate("Zarquon")["corpus_documents"] as? Int == 2)

        // Deleting a document removes its counts.
        let b = try #require(documents.first { $0["name"] as? String == "b.txt" }?["id"] as? Int)
        #expect(try daemon.request("DELETE", "/v1/documents/\(b)").status == 204)
        #expect(try estimate("Zarquon")["documents"] as? Int == 1)
        #expect(try estimate("Zarquon")["corpus_documents"] as? Int == 1)

        // A lost memory file is rebuilt from the store at start.
        try daemon.stop()
        try FileManager.default.removeItem(atPath: daemon.state + "/engram.mem")
        try daemon.start()
        try daemon.waitForMemoryReady()
        #expect(daemon.log.contains("corpus memory rebuilt"))
        #expect(try estimate("Zarquon")["documents"] as? Int == 1)
        #expect(try estimate("the Zarquon project")["occurrences"] as? Int == 1)
        // And a matching one is not.
        try daemon.stop()
        let before = daemon.log.components(separatedBy: "corpus memory rebuilt").count
        try daemon.start()
        #expect(daemon.log.components(separatedBy: "corpus memory rebuilt").count == before)
    }

    /// A document whose stored analysis is missing (stored by an engine whose
    /// index format was dropped, as the v3 migration does) is refused by ask
    /// with a reason naming reprocess, left out of a corpus ask by name, and
    /// analysed again from its archived file at the next start.
    @Test func aDocumentFromAnEarlierEngineIsAnalysedAgainAtStart() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        daemon.scratch.write("spool/a.txt", (Self.filler(60, seed: 3) + [Self.needle]).joined(separator: " "))
        let id = try #require(try daemon.waitForSettled(count: 1).first?["id"] as? Int)
        // The daemon may still be writing (the file's disposal after "done"): wait for its lock, as a second writer must.
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let queue = try DatabaseQueue(path: daemon.state + "/tome.sqlite", configuration: configuration)
        try queue.write { db in try db.execute(sql: "DELETE FROM document_analysis") }
        let refused = try daemon.request("POST", "/v1/documents/\(id)/ask", body: Array(#"{"question": "Zarquon launch code?"}"#.utf8))
        #expect(refused.status == 409)
        #expect((refused.json["error"] as? [String: Any])?["code"] as? String == "needs_reprocess")
        #expect(((refused.json["error"] as? [String: Any])?["message"] as? String)?.contains("tome reprocess \(id)") == true)
        let corpus = try daemon.request("POST", "/v1/ask", body: Array(#"{"question": "Zarquon launch code?"}"#.utf8))
        #expect((corpus.json["stats"] as? [String: Any])?["need_reprocess"] as? [Int] == [id])

        try daemon.stop()
        try daemon.start()
        try waitUntil(timeout: 30, "analysed again") {
            (try? daemon.request("POST", "/v1/documents/\(id)/ask", body: Array(#"{"question": "Zarquon launch code?"}"#.utf8)).status) == 200
        }
        #expect(daemon.log.contains("re-queued for analysis by this engine"))
        let ask = try daemon.request("POST", "/v1/documents/\(id)/ask", body: Array(#"{"question": "What is the launch code of the Zarquon project?"}"#.utf8))
        #expect((ask.json["answers"] as? [[String: Any]])?.first?["text"] as? String == Self.needle)
    }
}
