import Foundation
import GRDB
import Testing
import TomeEngine
import TomeTestSupport

/// Summaries through the real daemon: computed in the document's job,
/// stored with it, served with citations that slice the text exactly.
@Suite(.serialized) struct SummaryEndToEndTests {
    static let manual = "/usr/share/doc/bzip2/manual.pdf.gz"

    /// A Markdown report whose headings are its outline, each section a few
    /// hundred words; its sentences vary in more than their figures (those
    /// that differ in figures only are copies of each other to a summary).
    static let report: String = {
        let topics = [("Harbour", "The harbour pilot guided the %@ past the %@ and moored it at berth %d before the %@."),
                      ("Bakery", "The village bakery baked %@ with %@ and sold %d of them to the %@."),
                      ("Observatory", "The observatory telescope tracked the %@ across the %@ while astronomers measured it for %d minutes %@.")]
        let words: [[String]] = [["tanker", "ferry", "trawler", "yacht", "tug", "barge", "freighter"],
                     ["breakwater", "lighthouse", "sandbank", "pier", "buoys"],
                     ["tide turned", "storm arrived", "fog lifted", "night fell", "crew rested", "wind dropped"],
                     ["rye loaves", "crusty rolls", "seed cakes", "sourdough", "pastries", "flatbreads", "buns"],
                     ["spelt flour", "honey", "caraway", "walnuts", "raisins"],
                     ["early workers", "school children", "market traders", "hotel kitchens", "fishermen", "neighbours"],
                     ["comet", "nebula", "moon of Jupiter", "supernova", "double star", "meteor shower", "galaxy"],
                     ["northern sky", "horizon", "zenith", "eastern hills", "Milky Way"],
                     ["before dawn", "after midnight", "at dusk", "through the clouds", "in the frost", "between showers"]]
        var report = "# Annual report"
        for (t, (title, format)) in topics.enumerated() {
            var sentences: [String] = []
            for i in 0..<30 {
                let (a, b, c): (String, String, String) = (words[3 * t][i % 7], words[3 * t + 1][i % 5], words[3 * t + 2][i % 6])
                sentences.append(String(format: format, a, b, i * 7 + 3, c))
            }
            report += "\n\n## \(title)\n\n" + sentences.joined(separator: " ")
        }
        return report + "\n"
    }()

    func summary(_ daemon: DaemonFixture, _ id: Int) throws -> [String: Any] {
        let response = try daemon.get("/v1/documents/\(id)/summary")
        #expect(response.status == 200, "\(response.text)")
        return response.json
    }

    /// Each sentence's range slices the document's text to its text as shown
    /// (`ShownText`: white space folded, line-end hyphens joined).
    func expectExactCitations(_ daemon: DaemonFixture, _ id: Int, _ summary: [String: Any]) throws {
        let text = Array(try daemon.get("/v1/documents/\(id)/text").body)
        let sections = summary["sections"] as? [[String: Any]] ?? []
        let all = [summary["summary"] as? [String: Any]] + sections.map { $0["summary"] as? [String: Any] }
        for part in all {
            for sentence in part?["sentences"] as? [[String: Any]] ?? [] {
                let start = try #require(sentence["start"] as? Int), end = try #require(sentence["end"] as? Int)
                #expect(ShownText.of(text[start..<end]) == sentence["text"] as? String)
                #expect(sentence["page"] as? Int != nil)
            }
        }
    }

    @Test func aDocumentGetsItsSummaryAndSectionSummaries() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        daemon.scratch.write("spool/report.md", Self.report)
        var expected = 1
        if FileManager.default.fileExists(atPath: Self.manual) {
            try FileManager.default.copyItem(atPath: Self.manual, toPath: daemon.spool + "/manual.pdf.gz")
            expected += 1
        }
        let documents = try daemon.waitForSettled(count: expected)
        let report = try #require(documents.first { $0["name"] as? String == "report.md" }?["id"] as? Int)

        let json = try summary(daemon, report)
        let sentences = (json["summary"] as? [String: Any])?["sentences"] as? [[String: Any]] ?? []
        #expect(sentences.count == 5, "\(json)")
        let sections = json["sections"] as? [[String: Any]] ?? []
        #expect(sections.map { $0["title"] as? String } == ["Harbour", "Bakery", "Observatory"], "\(sections)")
        for (section, word) in zip(sections, ["harbour", "bakery", "observatory"]) {
            let texts = ((section["summary"] as? [String: Any])?["sentences"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
            #expect(!texts.isEmpty && texts.allSatisfy { $0.contains(word) }, "\(word): \(texts)")
        }
        try expectExactCitations(daemon, report, json)

        if let manual = documents.first(where: { $0["name"] as? String == "manual.pdf.gz" })?["id"] as? Int {
            let manualSummary = try summary(daemon, manual)
            try expectExactCitations(daemon, manual, manualSummary)
            #expect(((manualSummary["summary"] as? [String: Any])?["sentences"] as? [Any])?.count == 5)
        }

        // The CLI.
        let cli = try runProcess(daemon.tome, ["summary", "--socket", daemon.socket, "--sections", String(report)])
        #expect(cli.status == 0, "\(cli.stderr)")
        #expect(String(decoding: cli.stdout, as: UTF8.self).contains("Bakery (page 1)\n  [p. 1] The village bakery"))

        // Reprocessed, it gets the same summary (deterministic), replaced in its transaction.
        #expect(try daemon.request("POST", "/v1/documents/\(report)/reprocess").status == 202)
        try waitUntil(timeout: 30, "reprocessed") {
            (try? daemon.get("/v1/documents/\(report)").json["status"] as? String) == "done"
                && daemon.log.components(separatedBy: "document=\(report) pages=").count == 3
        }
        #expect(NSDictionary(dictionary: try summary(daemon, report)) == NSDictionary(dictionary: json))
    }

    /// The pipeline sets the lengths.
    @Test func aPipelineSetsTheSummaryLengths() throws {
        let daemon = DaemonFixture()
        daemon.scratch.write("pipelines/brief.toml", "summary_sentences = 2\nsection_sentences = 0\n")
        try daemon.start()
        try FileManager.default.createDirectory(atPath: daemon.spool + "/brief", withIntermediateDirectories: true)
        daemon.scratch.write("spool/brief/report.md", Self.report)
        let id = try #require(try daemon.waitForSettled(count: 1).first?["id"] as? Int)
        let json = try summary(daemon, id)
        #expect(((json["summary"] as? [String: Any])?["sentences"] as? [Any])?.count == 2)
        #expect((json["sections"] as? [Any])?.isEmpty == true)
    }

    /// A document stored before summaries existed is analysed again at start
    /// from its archived file, and then has one.
    @Test func aDocumentStoredBeforeSummariesIsSummarisedAtStart() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        daemon.scratch.write("spool/report.md", Self.report)
        let id = try #require(try daemon.waitForSettled(count: 1).first?["id"] as? Int)
        try daemon.stop()
        let database = try DatabaseQueue(path: daemon.state + "/tome.sqlite")
        try database.write { db in
            try db.execute(sql: "DELETE FROM summaries; UPDATE documents SET summarised = 0")
        }
        try database.close()
        try daemon.start()
        let refused = try daemon.get("/v1/documents/\(id)/summary")
        #expect([200, 409].contains(refused.status))
        try waitUntil(timeout: 30, "summarised again") { (try? daemon.get("/v1/documents/\(id)/summary").status) == 200 }
        #expect(daemon.log.contains("re-queued for analysis by this engine"))
    }
}
