import Foundation
import Testing
import TomeEngine
import TomeTestSupport

/// Pipelines with questions through the real daemon: a file in the
/// pipeline's spool folder gets its answers; a broken definition on SIGHUP
/// keeps the last good one; changed questions are answered again without a
/// new extraction.
@Suite(.serialized) struct PipelineEndToEndTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path

    static let lease = """
        Lease Agreement

        This lease is made between Harbour Holdings Ltd, the landlord, and Idris Maalouf, the tenant.
        The tenancy starts on 1 March 2026 and ends on 28 February 2027.
        The monthly rent is 1,250.00 EUR, payable on the first day of each month.
        Either party may end the lease with two months' written notice.
        The deposit of 2,500.00 EUR is returned within 30 days of the end of the tenancy.
        """

    func answers(_ daemon: DaemonFixture, _ id: Int) throws -> [String: Any] {
        let response = try daemon.get("/v1/documents/\(id)/answers")
        #expect(response.status == 200, "\(response.text)")
        return response.json
    }

    /// The answers' texts, question by question.
    func texts(_ json: [String: Any]) -> [String: String] {
        var out: [String: String] = [:]
        for item in json["answers"] as? [[String: Any]] ?? [] {
            out[item["question"] as? String ?? ""] = (item["answer"] as? [String: Any])?["text"] as? String ?? "-"
        }
        return out
    }

    @Test func questionsAreAnsweredForEveryDocumentOfThePipeline() throws {
        let daemon = DaemonFixture()
        daemon.scratch.write("pipelines/leases.toml", """
            description = "Leases"
            questions = ["Who is the tenant?", "How much is the monthly rent?", "What colour is the sky on Mars?"]
            """)
        try daemon.start()
        try FileManager.default.createDirectory(atPath: daemon.spool + "/leases", withIntermediateDirectories: true)
        daemon.scratch.write("spool/leases/lease.txt", Self.lease)
        daemon.scratch.write("spool/other.txt", Self.lease.replacingOccurrences(of: "Idris", with: "Ines"))
        let documents = try daemon.waitForSettled(count: 2)
        let lease = try #require(documents.first { $0["name"] as? String == "leases/lease.txt" }?["id"] as? Int)
        let other = try #require(documents.first { $0["name"] as? String == "other.txt" }?["id"] as? Int)

        try waitUntil(timeout: 10, "answered") { (try? answers(daemon, lease)["answers"] as? [Any])?.count == 3 }
        let json = try answers(daemon, lease)
        #expect(json["pipeline"] as? String == "leases" && json["current"] as? Bool == true)
        let found = texts(json)
        #expect(found["Who is the tenant?"]?.contains("Idris Maalouf, the tenant") == true, "\(found)")
        #expect(found["How much is the monthly rent?"]?.contains("1,250.00 EUR") == true, "\(found)")
        // The citation slices the document's text to the answer.
        let item = try #require((json["answers"] as? [[String: Any]])?.first?["answer"] as? [String: Any])
        let text = Array(try daemon.get("/v1/documents/\(lease)/text").body)
        let (start, end) = (try #require(item["start"] as? Int), try #require(item["end"] as? Int))
        #expect(ShownText.of(text[start..<end]) == item["text"] as? String)
        // The default pipeline asks nothing.
        #expect((try answers(daemon, other)["answers"] as? [Any])?.isEmpty == true)

        // The CLI.
        let cli = try runProcess(daemon.tome, ["answers", "--socket", daemon.socket, String(lease)])
        #expect(cli.status == 0, "\(cli.stderr)")
        #expect(String(decoding: cli.stdout, as: UTF8.self).contains("Who is the tenant?\n   [page 1"))
        // The pipelines loaded are in the status; `tome add --pipeline` refuses one that is not (it would run `default`).
        #expect(try daemon.get("/v1/status").json["pipelines"] as? [String] == ["default", "leases"])
        let typo = try runProcess(daemon.tome, ["add", "--pipeline", "lease", "--socket", daemon.socket,
                                                  daemon.scratch.write("typo.txt", "A lease sent to a pipeline that is not there.\n")])
        #expect(typo.status == 1)
        #expect(typo.stderr.contains("tomed has no pipeline lease (it has: default, leases)"), "\(typo.stderr)")

        // A broken definition on SIGHUP: reported with its line and key, the last good one stays.
        daemon.scratch.write("pipelines/leases.toml", "description = \"Leases\"\nquestions = \"Who is the tenant?\"\n")
        kill(daemon.pid, SIGHUP)
        try waitUntil(timeout: 10, "reload logged") { daemon.log.contains("reloaded") }
        #expect(daemon.log.contains("pipeline broken; its last good version stays"))
        #expect(daemon.log.contains("leases.toml: line 2: questions: must be a list of strings"))
        #expect(texts(try answers(daemon, lease)).count == 3)

        // Changed questions: answered again after SIGHUP, from the stored text.
        let extractions = daemon.log.components(separatedBy: "child_seconds").count
        daemon.scratch.write("pipelines/leases.toml", "questions = [\"How much notice ends the lease?\"]\n")
        kill(daemon.pid, SIGHUP)
        try waitUntil(timeout: 10, "answered again") { texts((try? answers(daemon, lease)) ?? [:]).keys.sorted() == ["How much notice ends the lease?"] }
        #expect(texts(try answers(daemon, lease))["How much notice ends the lease?"]?.contains("two months' written notice") == true)
        #expect(daemon.log.components(separatedBy: "child_seconds").count == extractions)

        // And on request, for one document.
        let again = try daemon.request("POST", "/v1/documents/\(lease)/reprocess?stage=answers")
        #expect(again.status == 200, "\(again.text)")
        #expect(try daemon.request("POST", "/v1/documents/\(lease)/reprocess?stage=pages").status == 400)
    }

    /// Answers survive a kill between the commit and the answers: the next
    /// start answers what is missing.
    @Test func aDocumentLeftUnansweredIsAnsweredAtStart() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        daemon.scratch.write("spool/lease.txt", Self.lease)
        let id = try #require(try daemon.waitForSettled(count: 1).first?["id"] as? Int)
        try daemon.stop()
        // Questions added while stopped, as after a kill before they were answered.
        daemon.scratch.write("pipelines/default.toml", "questions = [\"Who is the landlord?\"]\n")
        try daemon.start()
        try waitUntil(timeout: 15, "answered at start") { texts((try? answers(daemon, id)) ?? [:])["Who is the landlord?"] != nil }
        #expect(texts(try answers(daemon, id))["Who is the landlord?"]?.contains("Harbour Holdings Ltd") == true)
    }

    /// The shipped contracts pipeline on a contract whose defined terms are
    /// capitalised ("the Effective Date", "the Parties"), whose parties are
    /// named in a sentence longer than a block, and whose "who" question
    /// shares only "agreement" with that sentence: each of its questions is
    /// answered by the sentence that holds the fact.
    @Test func theShippedContractsPipelineAnswersAContract() throws {
        let daemon = DaemonFixture()
        daemon.scratch.write("pipelines/contracts.toml", try String(contentsOfFile: Self.root + "/Pipelines/contracts.toml", encoding: .utf8))
        try daemon.start()
        try FileManager.default.createDirectory(atPath: daemon.spool + "/contracts", withIntermediateDirectories: true)
        daemon.scratch.write("spool/contracts/consulting.txt", """
            CONSULTING SERVICES AGREEMENT

            This Consulting Services Agreement (the "Agreement") is made and entered into as of 1 March 2024 (the "Effective Date") by and between Acme Widgets GmbH, a company organised under the laws of Germany, with its registered office at Hauptstrasse 5, 10115 Berlin ("Client"), and Bob Smith Consulting Ltd, a company registered in England and Wales ("Consultant"). Client and Consultant are each referred to as a "Party" and together as the "Parties".

            1. Services. Consultant shall provide the software architecture review services described in Schedule A (the "Services").

            2. Term. This Agreement commences on the Effective Date and shall continue until 28 February 2025, unless terminated earlier in accordance with Section 6.

            3. Fees. Client shall pay Consultant a fixed fee of EUR 48,000, payable in twelve monthly instalments of EUR 4,000. Invoices are payable within 30 days of receipt.

            4. Confidentiality. Each Party shall keep confidential all information received from the other Party and shall not disclose it to any third party without prior written consent.

            6. Termination. Either Party may terminate this Agreement by giving the other Party not less than sixty (60) days' written notice. Either Party may terminate this Agreement with immediate effect if the other Party commits a material breach.

            7. Governing Law. This Agreement shall be governed by and construed in accordance with the laws of England and Wales.

            IN WITNESS WHEREOF, the Parties have executed this Agreement on the Effective Date.
            """)
        let documents = try daemon.waitForSettled(count: 1)
        let id = try #require(documents.first?["id"] as? Int)
        try waitUntil(timeout: 10, "answered") { (try? answers(daemon, id)["answers"] as? [Any])?.count == 5 }
        let found = texts(try answers(daemon, id))
        #expect(found["Who are the parties to this agreement?"]?.contains("between Acme Widgets GmbH") == true, "\(found)")
        #expect(found["Who are the parties to this agreement?"]?.hasSuffix("(\"Consultant\").") == true, "the whole sentence: \(found)")
        #expect(found["When does the agreement start and when does it end?"]?.contains("28 February 2025") == true, "\(found)")
        #expect(found["What is the total amount payable?"]?.contains("EUR 48,000") == true, "\(found)")
        #expect(found["How much notice is needed to terminate the agreement?"]?.contains("sixty (60) days") == true, "\(found)")
        #expect(found["Which law governs the agreement?"]?.contains("laws of England and Wales") == true, "\(found)")
        // Its summary covers what the pipeline names (summary_covers): the parties, the money, the term, the law.
        let summary = try #require(try daemon.get("/v1/documents/\(id)/summary").json["summary"] as? [String: Any])
        let sentences = (summary["sentences"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String }
        #expect(sentences.count <= 5, "\(sentences)")
        for fact in ["between Acme Widgets GmbH", "EUR 48,000", "28 February 2025", "laws of England and Wales"] {
            #expect(sentences.contains { $0.contains(fact) }, "\(fact): \(sentences)")
        }
    }

    /// A spool folder that names no loaded pipeline (a typo, or no
    /// pipelines_dir) runs `default`, and the log says so once.
    @Test func aFolderThatNamesNoPipelineIsReportedOnce() throws {
        let daemon = DaemonFixture()
        try daemon.start()
        try FileManager.default.createDirectory(atPath: daemon.spool + "/contracs", withIntermediateDirectories: true)
        daemon.scratch.write("spool/contracs/a.txt", "A first contract.\n")
        daemon.scratch.write("spool/contracs/b.txt", "A second contract.\n")
        let documents = try daemon.waitForSettled(count: 2)
        #expect(documents.allSatisfy { $0["pipeline"] as? String == "default" })
        #expect(daemon.log.components(separatedBy: "names no loaded pipeline").count == 2, "\(daemon.log)")
        #expect(daemon.log.contains("folder=contracs"))
    }

    /// The pipelines shipped in Pipelines/ are valid.
    @Test func theShippedPipelinesAreValid() throws {
        let config = Scratch()
        config.write("c.toml", "pipelines_dir = \"\(Self.root)/Pipelines\"\n")
        let checked = try runProcess(productsDirectory + "/tomed", ["check-config", config.file("c.toml")])
        #expect(checked.status == 0, "\(checked.stderr)")
    }
}
