import Foundation
import GRDB
import Testing
import TomeTestSupport

/// A database made by an earlier schema (v4: before search, answers,
/// summaries and extractions; v8: before kept files' ownership), started on
/// by today's daemon: migrated, its documents readable, searchable and
/// askable — the ones whose file was kept after the re-analysis the daemon
/// schedules, the one whose file is gone from what was stored.
@Suite(.serialized) struct UpgradeTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

    /// A daemon on a copy of `schema`, with the archived `kept.txt` where its job says.
    static func daemon(on schema: String) throws -> DaemonFixture {
        let daemon = DaemonFixture()
        try FileManager.default.createDirectory(atPath: daemon.state + "/archive", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixtures + "/" + schema, toPath: daemon.state + "/tome.sqlite")
        try FileManager.default.copyItem(atPath: fixtures + "/kept.txt", toPath: daemon.state + "/archive/kept.txt")
        let queue = try DatabaseQueue(path: daemon.state + "/tome.sqlite")
        try queue.write { db in
            try db.execute(sql: "UPDATE jobs SET disposed_path = ? WHERE disposed_path = '/var/lib/tome/archive/kept.txt'",
                           arguments: [daemon.state + "/archive/kept.txt"])
        }
        try queue.close()
        try daemon.start()
        return daemon
    }

    static func firstAnswer(_ daemon: DaemonFixture, _ id: Int, _ question: String) throws -> String {
        let response = try daemon.request("POST", "/v1/documents/\(id)/ask", body: Array(#"{"question": "\#(question)", "k": 1}"#.utf8))
        return ((response.json["answers"] as? [[String: Any]])?.first?["text"] as? String) ?? "(\(response.status) \(response.text))"
    }

    @Test func aVersion4DatabaseIsMigratedAndItsDocumentsAnswer() throws {
        let daemon = try Self.daemon(on: "schema-v4.sqlite")
        // kept.txt (document 2) is analysed again from its archived file: it gets its summary and extractions.
        try waitUntil(timeout: 60, "kept.txt analysed again") { (try? daemon.get("/v1/documents/2/summary").status) == 200 }
        try daemon.waitForMemoryReady()
        #expect(try Self.firstAnswer(daemon, 2, "Who keeps the harbour ledger?").contains("Idris Maalouf"))
        #expect((try daemon.get("/v1/documents/2/extractions?kind=dates").json["dates"] as? [[String: Any]])?.first?["value"] as? String == "2019-03-03")
        // gone.txt (document 1) cannot be analysed again; it is still read, asked and searched from what was stored.
        #expect(try daemon.get("/v1/documents/1/text").text.contains("Windhoek Point"))
        #expect(try Self.firstAnswer(daemon, 1, "Who wrote the report on the storm?").contains("Ada Okafor"))
        let hits = try daemon.get("/v1/search?q=Windhoek").json["hits"] as? [[String: Any]]
        #expect(hits?.first?["document"] as? Int == 1, "its sentences are searchable: filled in at start from its stored index")
        #expect(try daemon.get("/v1/documents/1/summary").json["error"] != nil)  // stored before summaries: says to reprocess
    }

    @Test func aVersion8DatabaseIsMigratedAndAnswersAtOnce() throws {
        let daemon = try Self.daemon(on: "schema-v8.sqlite")
        try daemon.waitForMemoryReady()
        for (id, question, name) in [(2, "Who keeps the harbour ledger?", "Idris Maalouf"), (1, "Who wrote the report on the storm?", "Ada Okafor")] {
            #expect(try daemon.get("/v1/documents/\(id)/summary").status == 200)
            #expect(try Self.firstAnswer(daemon, id, question).contains(name))
        }
        #expect((try daemon.get("/v1/search?q=copper").json["hits"] as? [[String: Any]])?.first?["document"] as? Int == 2)
        // v9's column is there, and a delete of the kept document removes its archived file (Tome's, by its folder).
        #expect(try daemon.request("DELETE", "/v1/documents/2").status == 204)
        #expect(!FileManager.default.fileExists(atPath: daemon.state + "/archive/kept.txt"))
    }
}
