import Foundation
import GRDB
import Testing
import TomeEngine
import TomeExtract
import TomeTestSupport

@testable import TomeStore

/// Keyword search on a real SQLite file: hits cite ranges that slice to
/// their sentence, and the FTS5 rows follow every add, reprocess and delete
/// in the same transaction.
@Suite struct SentenceSearchTests {
    let scratch = Scratch()
    let store: Store
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    init() throws {
        store = try Store(path: scratch.file("tome.sqlite"))
    }

    static let ledger = """
        The harbour master logged vessel E-1234 at berth 7.\u{0C}Customs cleared the cargo of the Sea Lantern on 3 March.
        The pilot, Idris Maalouf, boarded at 06:42; the fee was 1,250.00 EUR.
        """

    /// Stores `text` as a new document (pages cut at form feeds) and returns its id.
    @discardableResult
    func add(_ text: String, hash: String, name: String = "ledger.txt") throws -> Int64 {
        guard case let .queued(documentID, jobID) = try store.enqueue(sha256: hash, name: name, pipeline: "default", bytes: 10,
                                                                      sourcePath: "/spool/" + name, now: now) else {
            Issue.record("expected a queued intake")
            return 0
        }
        _ = try store.claimNextJob(lifecycle: JobLifecycle(retries: 1, backoffSeconds: 10), now: now)
        try complete(jobID, documentID, text)
        return documentID
    }

    func complete(_ jobID: Int64, _ documentID: Int64, _ text: String) throws {
        var pages: [PageSpan] = []
        var start = 0
        for (n, page) in text.split(separator: "\u{0C}", omittingEmptySubsequences: false).enumerated() {
            pages.append(PageSpan(number: n + 1, start: start, end: start + page.utf8.count))
            start += page.utf8.count + 1
        }
        let document = ExtractedDocument(type: .text, text: text, pages: pages, metadata: DocumentMetadata(), outline: [])
        try store.complete(jobID: jobID, documentID: documentID, document: document,
                           analysis: try DocumentAnalyzer(workers: 1).analyze(text), lifecycle: JobLifecycle(retries: 1, backoffSeconds: 10), now: now)
    }

    func rows() throws -> Int {
        try store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sentence_search") ?? 0 }
    }

    @Test func hitsCiteTheirSentenceAndPage() throws {
        let id = try add(Self.ledger, hash: "a")
        let bytes = Array(Self.ledger.utf8)
        for (query, expected, page) in [("Maalouf", "The pilot, Idris Maalouf", 2), ("E-1234", "The harbour master logged vessel E-1234", 1),
                                        ("\"Sea Lantern\"", "Customs cleared the cargo of the Sea Lantern", 2), ("1,250.00", "the fee was 1,250.00 EUR", 2)] {
            let hit = try #require(try store.search(query, limit: 5).first, "\(query)")
            #expect(hit.documentID == id)
            #expect(hit.text.contains(expected), "\(query): \(hit.text)")
            #expect(String(decoding: bytes[hit.start..<hit.end], as: UTF8.self) == hit.text)
            #expect(hit.page == page, "\(query)")
            #expect(hit.snippet.contains(SentenceSearch.open) && hit.snippet.contains(SentenceSearch.close), "\(hit.snippet)")
        }
        // Diacritics do not matter; prefixes, OR and NOT work as FTS5 has them.
        #expect(try store.search("maalöuf", limit: 5).count == 1)
        #expect(try store.search("harb*", limit: 5).count == 1)
        #expect(try store.search("Maalouf OR Lantern", limit: 5).count == 2)
        #expect(try store.search("cargo NOT Lantern", limit: 5).isEmpty)
        #expect(try store.search("NEAR(pilot fee, 10)", limit: 5).count == 1)
    }

    @Test func aMalformedQueryIsATypedError() throws {
        try add(Self.ledger, hash: "a")
        for query in ["\"unbalanced", "AND", "(pilot", "pilot NOT"] {
            #expect(throws: SentenceSearch.BadQuery.self, "\(query)") { try store.search(query, limit: 5) }
        }
    }

    @Test func wordsWithPunctuationBecomePhrases() {
        #expect(SentenceSearch.userQuery("E-1234 3.14") == "\"E-1234\" \"3.14\"")
        #expect(SentenceSearch.userQuery("(pilot OR fee) AND harb*") == "(pilot OR fee) AND harb*")
        #expect(SentenceSearch.userQuery("\"sea lantern\" user@example.org*") == "\"sea lantern\" \"user@example.org\"*")
        #expect(SentenceSearch.userQuery("NEAR(pilot e-mail, 5)") == "NEAR(pilot \"e-mail\", 5)")
    }

    @Test func searchFollowsAddReprocessAndDelete() throws {
        let a = try add(Self.ledger, hash: "a")
        let b = try add("The Sea Lantern sailed for Brest with 40 tonnes of salt.", hash: "b", name: "b.txt")
        #expect(Set(try store.search("Lantern", limit: 10).map(\.documentID)) == [a, b])
        #expect(try store.search("Lantern", limit: 10, documentID: b).map(\.documentID) == [b])
        let before = try rows()

        // Reprocessed with another text: the old sentences go, the new ones come, none twice.
        let job = try #require(try store.requeue(documentID: a, sourcePath: "/spool/ledger.txt", now: now))
        _ = try store.claimNextJob(lifecycle: JobLifecycle(retries: 1, backoffSeconds: 10), now: now)
        try complete(job, a, "Nothing about ships here at all.")
        #expect(try store.search("Lantern", limit: 10).map(\.documentID) == [b])
        #expect(try store.search("ships", limit: 10).map(\.documentID) == [a])
        #expect(try rows() < before)

        try store.delete(documentID: b)
        #expect(try store.search("Lantern", limit: 10).isEmpty)
        #expect(try rows() == 1)
    }

    /// Documents stored before the search existed get their sentences when
    /// the migration runs.
    @Test func theMigrationIndexesDocumentsStoredBefore() throws {
        let id = try add(Self.ledger, hash: "a")
        let expected = try store.search("Maalouf", limit: 5)
        try store.pool.write { db in
            try db.execute(sql: "DROP TABLE sentence_search")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier LIKE 'v5:%'")
        }
        let reopened = try Store(path: scratch.file("tome.sqlite"))
        #expect(try reopened.search("Maalouf", limit: 5) == expected)
        #expect(expected.first?.documentID == id)
    }

    /// Chinese and Japanese have no spaces between words: a word is found
    /// wherever it stands, as often as it stands, and the hit reads as the
    /// text does (no marks left in it).
    @Test func chineseWordsAreFoundWhereverTheyStand() throws {
        let guide = """
            在登录页面输入用户名和密码。
            如果忘记密码，请联系管理员重置密码。
            新用户名必须唯一；用户名不能包含空格。
            ログイン画面でパスワードを入力してください。
            """
        let id = try add(guide, hash: "zh")
        let bytes = Array(guide.utf8)
        #expect(try store.search("用户名", limit: 10).count == 2)
        #expect(try store.search("密码", limit: 10).count == 2)
        #expect(try store.search("\"重置密码\"", limit: 10).count == 1)
        #expect(try store.search("パスワード", limit: 10).count == 1)
        // A word's characters apart are not the word.
        #expect(try store.search("名用", limit: 10).isEmpty)
        let hit = try #require(try store.search("用户名 唯一", limit: 10).first)
        #expect(hit.documentID == id)
        #expect(hit.text == "新用户名必须唯一；用户名不能包含空格。")
        #expect(String(decoding: bytes[hit.start..<hit.end], as: UTF8.self) == hit.text)
        #expect(!hit.snippet.unicodeScalars.contains("\u{200B}"))
        #expect(hit.snippet.contains(SentenceSearch.open + "用户名" + SentenceSearch.close))
    }
}
