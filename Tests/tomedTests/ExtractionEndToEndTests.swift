import Foundation
import Testing
import TomeTestSupport

/// Extractions through the real daemon: a file in a pipeline's spool folder
/// gets the experts its pipeline names, read as its pipeline says, cited,
/// stored with the document and served per document and across the corpus,
/// with `tome` and over the socket; deleting the document takes them away.
@Suite(.serialized) struct ExtractionEndToEndTests {
    static let invoice = """
        Invoice 2025-0042

        Harbour Holdings Ltd invoices Idris Maalouf for the harbour berth.
        Issued on 03/04/2025 and due on April 30, 2025.
        The berth fee is EUR 1.250,00 and the cleaning fee is 80,50 €, with 20 % VAT included.
        Questions: accounts@harbour.example or +44 20 7946 0958, or see https://harbour.example/berths.
        """

    static let note = """
        Meeting note

        The Harbour Holdings Ltd board met on 03/04/2025 and approved $12,000 for the new crane.
        """

    func extractions(_ daemon: DaemonFixture, _ id: Int, kind: String? = nil) throws -> [String: Any] {
        let response = try daemon.get("/v1/documents/\(id)/extractions" + (kind.map { "?kind=\($0)" } ?? ""))
        #expect(response.status == 200, "\(response.text)")
        return response.json
    }

    func values(_ json: [String: Any], _ kind: String) -> [String] {
        (json[kind] as? [[String: Any]] ?? []).compactMap { $0["value"] as? String }
    }

    @Test func aPipelinesExpertsRunAndTheirFindsAreServed() throws {
        let daemon = DaemonFixture()
        daemon.scratch.write("pipelines/invoices.toml", """
            description = "Invoices"
            experts = ["dates", "amounts", "percentages", "emails", "urls", "phones", "names"]
            date_order = "mdy"
            """)
        try daemon.start()
        try FileManager.default.createDirectory(atPath: daemon.spool + "/invoices", withIntermediateDirectories: true)
        daemon.scratch.write("spool/invoices/berth.txt", Self.invoice)
        daemon.scratch.write("spool/note.txt", Self.note)
        let documents = try daemon.waitForSettled(count: 2)
        let invoice = try #require(documents.first { $0["name"] as? String == "invoices/berth.txt" }?["id"] as? Int)
        let note = try #require(documents.first { $0["name"] as? String == "note.txt" }?["id"] as? Int)

        let json = try extractions(daemon, invoice)
        // The pipeline reads 03/04/2025 month first, and the date says so.
        #expect(values(json, "dates") == ["2025-03-04", "2025-04-30"])
        let ambiguous = try #require((json["dates"] as? [[String: Any]])?.first)
        #expect((ambiguous["detail"] as? String)?.contains("pipeline") == true)
        #expect(values(json, "amounts") == ["1250", "80.5"])
        #expect((json["amounts"] as? [[String: Any]])?.compactMap { $0["currency"] as? String } == ["EUR", "EUR"])
        #expect(values(json, "percentages") == ["20"])
        #expect(values(json, "emails") == ["accounts@harbour.example"])
        #expect(values(json, "urls") == ["https://harbour.example/berths"])
        #expect(values(json, "phones") == ["+442079460958"])
        #expect(values(json, "names").contains("Harbour Holdings Ltd") && values(json, "names").contains("Idris Maalouf"))
        // Experts the pipeline does not run: empty lists.
        #expect((json["definitions"] as? [Any])?.isEmpty == true && (json["keyphrases"] as? [Any])?.isEmpty == true)
        // Every citation slices the document's text to what it cites, on its page.
        let text = Array(try daemon.get("/v1/documents/\(invoice)/text").body)
        for kind in ["dates", "amounts", "emails", "names"] {
            for item in json[kind] as? [[String: Any]] ?? [] {
                let (start, end) = (try #require(item["start"] as? Int), try #require(item["end"] as? Int))
                #expect(String(decoding: text[start..<end], as: UTF8.self) == item["text"] as? String)
                #expect(item["page"] as? Int == 1)
            }
        }
        // One kind.
        let amounts = try extractions(daemon, invoice, kind: "amounts")
        #expect(Set(amounts.keys) == ["document", "amounts"])

        // The default pipeline runs every expert, and reads the same date day first (nothing in the note settles it).
        let other = try extractions(daemon, note)
        #expect(values(other, "dates") == ["2025-04-03"])
        #expect(((other["dates"] as? [[String: Any]])?.first?["detail"] as? String)?.contains("assumed") == true)
        #expect(values(other, "amounts") == ["12000"])

        // Across the corpus, from the indexed columns.
        let big = try daemon.get("/v1/extractions?kind=amounts&min=1000")
        #expect(big.status == 200, "\(big.text)")
        let items = big.json["items"] as? [[String: Any]] ?? []
        #expect(items.compactMap { $0["value"] as? String } == ["12000", "1250"])
        #expect(items.compactMap { $0["name"] as? String } == ["note.txt", "invoices/berth.txt"])
        let euros = try daemon.get("/v1/extractions?kind=amounts&currency=eur&max=100").json["items"] as? [[String: Any]] ?? []
        #expect(euros.compactMap { $0["value"] as? String } == ["80.5"])
        let april = try daemon.get("/v1/extractions?kind=dates&from=2025-04&to=2025-04").json["items"] as? [[String: Any]] ?? []
        #expect(april.compactMap { $0["value"] as? String } == ["2025-04-03", "2025-04-30"])
        // A partial date is found by a bound inside it.
        daemon.scratch.write("spool/plan.txt", "Plan\n\nThe harbour opens in April 2025 and closes in May 2026.\n")
        _ = try daemon.waitForSettled(count: 3)
        let mid = try daemon.get("/v1/extractions?kind=dates&from=2025-04-15&to=2025-04-20").json["items"] as? [[String: Any]] ?? []
        #expect(mid.compactMap { $0["value"] as? String } == ["2025-04"])
        // Bad queries: a clear 400.
        for bad in ["/v1/extractions", "/v1/extractions?kind=prices", "/v1/extractions?kind=dates&min=3",
                    "/v1/extractions?kind=dates&from=yesterday", "/v1/extractions?kind=amounts&min=lots", "/v1/extractions?kind=amounts&currency=euro",
                    "/v1/extractions?kind=dates&from=2024-13", "/v1/extractions?kind=dates&to=2023-02-29", "/v1/extractions?kind=dates&from=2025-05&to=2025-04",
                    "/v1/extractions?kind=amounts&min=10&max=1", "/v1/extractions?kind=dates&form=2024", "/v1/extractions?kind=amounts&value=12",
                    "/v1/documents/\(invoice)/extractions?kind=prices"] {
            let response = try daemon.get(bad)
            #expect(response.status == 400, "\(bad): \(response.text)")
            #expect(response.json["error"] != nil, "\(bad)")
        }

        // The CLI.
        let cli = try runProcess(daemon.tome, ["extract", "--socket", daemon.socket, String(invoice), "--kind", "amounts"])
        #expect(cli.status == 0, "\(cli.stderr)")
        #expect(String(decoding: cli.stdout, as: UTF8.self).contains("1250 EUR  \"EUR 1.250,00\"  p. 1"), "\(String(decoding: cli.stdout, as: UTF8.self))")
        let find = try runProcess(daemon.tome, ["find", "--socket", daemon.socket, "--kind", "dates", "--from", "2025-04-01", "--json"])
        #expect(find.status == 0, "\(find.stderr)")
        let found = try JSONSerialization.jsonObject(with: Data(find.stdout)) as? [String: Any]
        #expect((found?["items"] as? [[String: Any]])?.compactMap { $0["value"] as? String } == ["2025-04", "2025-04-03", "2025-04-30", "2026-05"])

        // Ask: the answer expert reads the kind of value asked for, and says so.
        let ask = try daemon.request("POST", "/v1/documents/\(invoice)/ask", body: Array(#"{"question": "When is the invoice due?", "k": 3}"#.utf8))
        #expect(ask.status == 200, "\(ask.text)")
        #expect((ask.json["stats"] as? [String: Any])?["answer_kind"] as? String == "date")
        #expect(((ask.json["answers"] as? [[String: Any]])?.first?["text"] as? String)?.contains("April 30, 2025") == true, "\(String(decoding: ask.body, as: UTF8.self))")
        let plain = try daemon.request("POST", "/v1/documents/\(invoice)/ask", body: Array(#"{"question": "Where is the berth?", "k": 3}"#.utf8))
        #expect((plain.json["stats"] as? [String: Any])?["answer_kind"] == nil)

        // Deleted with its document.
        #expect(try daemon.request("DELETE", "/v1/documents/\(note)").status == 204)
        let after = try daemon.get("/v1/extractions?kind=amounts").json["items"] as? [[String: Any]] ?? []
        #expect(after.compactMap { $0["value"] as? String } == ["1250", "80.5"])
        #expect(try daemon.stop() == 0)
    }
}
