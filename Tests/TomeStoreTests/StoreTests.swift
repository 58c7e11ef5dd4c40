import Foundation
import GRDB
import Testing
import TomeAPI
import TomeEngine
import TomeExtract
import TomeTestSupport

@testable import TomeStore

/// The store on a real SQLite file per test: exact rows, refusals, and what
/// a failed transaction leaves behind.
@Suite struct StoreTests {
    let scratch = Scratch()
    let store: Store
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    /// One retry, 10 s after the first failure.
    let lifecycle = JobLifecycle(retries: 1, backoffSeconds: 10)

    init() throws {
        store = try Store(path: scratch.file("tome.sqlite"))
    }

    static let document = ExtractedDocument(
        type: .pdf,
        text: "Première page.\n\u{0C}Second page.",
        pages: [PageSpan(number: 1, start: 0, end: 15), PageSpan(number: 2, start: 17, end: 29)],
        metadata: DocumentMetadata(title: "T", author: "A", pageCount: 2),
        outline: [OutlineEntry(title: "Second", level: 1, page: 2, offset: 17)]
    )

    /// The engine's analysis of the test document.
    static let analysis: Analysis = {
        do { return try DocumentAnalyzer(workers: 1).analyze(document.text) } catch { fatalError("\(error)") }
    }()

    @discardableResult
    func complete(_ jobID: Int64, _ documentID: Int64, _ document: ExtractedDocument = Self.document) throws -> Store.EngramChange {
        try store.complete(jobID: jobID, documentID: documentID, document: document, analysis: Self.analysis, lifecycle: lifecycle, now: now)
    }

    func enqueueNew(_ hash: String = "aa", path: String = "/spool/a.pdf") throws -> (Int64, Int64) {
        guard case let .queued(documentID, jobID) = try store.enqueue(sha256: hash, name: "a.pdf", pipeline: "default", bytes: 10, sourcePath: path, now: now) else {
            Issue.record("expected a queued intake")
            return (0, 0)
        }
        return (documentID, jobID)
    }

    /// The model's stage: queued once per kind for a done document, due by its time, deferred with its attempts,
    /// written only by the try that took it, and gone when the document's content is stored again.
    @Test func writtenWorkIsQueuedDeferredWrittenAndClearedWithNewContent() throws {
        let (documentID, jobID) = try enqueueNew()
        #expect(try !store.queueWritten(documentID: documentID, kinds: [.summary]), "not done yet: nothing to write")
        _ = try #require(try store.claimNextJob(lifecycle: JobLifecycle(retries: 0, backoffSeconds: 1), now: now))
        _ = try complete(jobID, documentID)
        #expect(try store.documentsToWrite(pipeline: "default", kind: .summary) == [documentID])
        #expect(try store.queueWritten(documentID: documentID, kinds: [.summary, .answers]))
        #expect(try store.queueWritten(documentID: documentID, kinds: [.summary]))  // no second row
        #expect(try store.documentsToWrite(pipeline: "default", kind: .summary) == [])
        #expect(try store.pendingWrittenCount() == 2)
        let due = try store.dueWritten(now: 100).due
        #expect(due.map(\.kind) == [.answers, .summary] && due.allSatisfy { $0.attempts == 0 && $0.state == .pending })
        let (answers, summary) = (due[0], due[1])
        // The model is away: tried again at 150.
        try store.deferWritten(summary, nextTry: 150, error: "away")
        #expect(try store.dueWritten(now: 100).due.map(\.kind) == [.answers])
        #expect(try store.dueWritten(now: 100).next == 150)
        // A stale try (the row before its deferral) no longer owns the row.
        #expect(try !store.finishWritten(summary, model: "m", writtenAt: "t", body: "{}"))
        let retried = try #require(try store.dueWritten(now: 200).due.first { $0.kind == .summary })
        #expect(retried.attempts == 1)
        #expect(try store.finishWritten(retried, model: "m", writtenAt: "t", body: "{\"text\":\"x\"}"))
        try store.deferWritten(answers, nextTry: nil, error: "key refused")
        let rows = try store.written(documentID: documentID)
        #expect(rows[.summary]?.state == .done && rows[.summary]?.model == "m" && rows[.summary]?.body == "{\"text\":\"x\"}")
        #expect(rows[.answers]?.state == .failed && rows[.answers]?.error == "key refused" && rows[.answers]?.attempts == 1)
        // Again: pending from scratch, and a try that began before it (attempts 0 too) cannot store its result.
        #expect(try store.queueWritten(documentID: documentID, kinds: [.answers], again: true))
        let requeued = try #require(try store.written(documentID: documentID)[.answers])
        #expect(requeued.state == .pending && requeued.attempts == 0 && requeued.error == nil && requeued.generation > answers.generation)
        #expect(try !store.finishWritten(answers, model: "m", writtenAt: "t", body: "[]"), "the try of the older queuing is stale")
        #expect(try store.written(documentID: documentID)[.answers]?.state == .pending)
        // New content clears what was written of the old.
        let again = try #require(try store.requeue(documentID: documentID, sourcePath: "/spool/a.pdf", now: now))
        _ = try #require(try store.claimNextJob(lifecycle: JobLifecycle(retries: 0, backoffSeconds: 1), now: now))
        _ = try complete(again, documentID)
        #expect(try store.written(documentID: documentID).isEmpty)
    }

    @Test func migrationsAreNamedAndRecorded() throws {
        let applied = try store.pool.read { db in try Migrations.migrator.appliedIdentifiers(db) }
        #expect(applied == ["v1: documents, text, pages, outline, jobs", "v2: engine index and corpus memory generation",
                            "v3: analysis archives (block signatures, unit kinds, each document's Engram counts)",
                            "v4: a job's crashes while the daemon itself worked on it", "v5: keyword search over sentences (FTS5)",
                            "v6: answers to each pipeline's questions", "v7: summaries of each document and of its sections",
                            "v8: what the extraction experts found in each document", "v9: whether Tome owns a job's kept file",
                            "v10: how pages read by OCR were read", "v11: an amount's role on its invoice",
                            "v12: Chinese and Japanese words found wherever they stand",
                            "v13: whether a pipeline answer is sure, and the definition it uses",
                            "v14: a language model's written summary and answers, a stage of their own"])
        #expect(try store.pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") } == "wal")
    }

    @Test func sameContentTwiceIsOneDocument() throws {
        let (documentID, _) = try enqueueNew()
        let second = try store.enqueue(sha256: "aa", name: "copy.pdf", pipeline: "contracts", bytes: 10, sourcePath: "/spool/contracts/copy.pdf", now: now)
        guard case let .duplicate(of, jobID) = second else { Issue.record("expected duplicate, got \(second)"); return }
        #expect(of == documentID)
        let job = try #require(try store.job(id: jobID))
        #expect(job.status == .done)
        #expect(job.duplicateOf == documentID)
        #expect(try store.documents(status: nil, before: nil, limit: 10).count == 1)
    }

    @Test func jobLifecycleStoresEverythingAtOnce() throws {
        let (documentID, jobID) = try enqueueNew()
        let claimed = try #require(try store.claimNextJob(lifecycle: lifecycle, now: now))
        #expect(claimed.job.id == jobID)
        #expect(claimed.job.attempts == 1)
        #expect(claimed.document.status == .processing)
        #expect(try store.claimNextJob(lifecycle: lifecycle, now: now) == nil)

        let completed = try complete(jobID, documentID)
        #expect(completed.removing == nil)
        let stored = try #require(try store.document(id: documentID))
        #expect(stored.status == .done)
        #expect(stored.type == "pdf")
        #expect(stored.pages == 2)
        #expect(stored.tokens == Self.analysis.index.tokenCount)
        #expect(try store.index(documentID: documentID) == Self.analysis.index)
        #expect(stored.title == "T")
        #expect(try store.text(documentID: documentID) == Self.document.text)
        #expect(try store.text(documentID: documentID, page: 1) == "Première page.")
        #expect(try store.text(documentID: documentID, page: 2) == "Second page.")
        #expect(try store.text(documentID: documentID, page: 3) == nil)
        #expect(try store.outline(documentID: documentID) == Self.document.outline)
        #expect(try store.pages(documentID: documentID) == Self.document.pages)
        #expect(try store.job(id: jobID)?.status == .done)
    }

    @Test func aFailedTransactionLeavesNothingHalfWritten() throws {
        let (documentID, jobID) = try enqueueNew()
        _ = try store.claimNextJob(lifecycle: lifecycle, now: now)
        // A trigger aborts the second outline insert, in the middle of the transaction.
        var broken = Self.document
        broken.outline = [broken.outline[0], broken.outline[0]]
        try store.pool.write { db in
            try db.execute(sql: "CREATE TRIGGER boom BEFORE INSERT ON outline WHEN NEW.position = 1 BEGIN SELECT RAISE(ABORT, 'boom'); END")
        }
        #expect(throws: DatabaseError.self) {
            try complete(jobID, documentID, broken)
        }
        #expect(try store.text(documentID: documentID) == nil)
        #expect(try store.pages(documentID: documentID).isEmpty)
        #expect(try store.outline(documentID: documentID).isEmpty)
        #expect(try store.index(documentID: documentID) == nil)
        #expect(try store.document(id: documentID)?.status == .processing)
    }

    @Test func aKillWhileTheChildWorksGivesTheAttemptBack() throws {
        let (documentID, jobID) = try enqueueNew()
        // Killed five times while the extraction child worked: never the document's fault.
        for _ in 0..<5 {
            _ = try #require(try store.claimNextJob(lifecycle: lifecycle, now: now))
            #expect(try store.recoverInterrupted(lifecycle: lifecycle, now: now) == (1, 0))
            #expect(try store.job(id: jobID)?.status == .queued)
            #expect(try store.document(id: documentID)?.status == .queued)
        }
        // So its first real failure still finds its retries whole.
        let claimed = try #require(try store.claimNextJob(lifecycle: lifecycle, now: now))
        #expect(claimed.job.attempts == 1)
    }

    @Test func aDocumentTheDaemonDiesStoringFailsAfterItsRetries() throws {
        let (documentID, jobID) = try enqueueNew()
        _ = try store.claimNextJob(lifecycle: lifecycle, now: now)
        try store.apply(.storing, toJob: jobID, lifecycle: lifecycle, now: now)
        #expect(try store.recoverInterrupted(lifecycle: lifecycle, now: now) == (1, 0))
        #expect(try store.job(id: jobID)?.status == .queued)
        let again = try #require(try store.claimNextJob(lifecycle: lifecycle, now: now))
        #expect(again.job.attempts == 1)
        // A crash while the child works between the two does not reset the count.
        #expect(try store.recoverInterrupted(lifecycle: lifecycle, now: now) == (1, 0))
        _ = try #require(try store.claimNextJob(lifecycle: lifecycle, now: now))
        try store.apply(.storing, toJob: jobID, lifecycle: lifecycle, now: now)
        // The daemon died storing it twice (retries + 1): the document fails instead of crashing it again.
        #expect(try store.recoverInterrupted(lifecycle: lifecycle, now: now) == (0, 1))
        #expect(try store.job(id: jobID)?.status == .failed)
        let document = try #require(try store.document(id: documentID))
        #expect(document.status == .failed)
        #expect(document.errorCode == "interrupted")
        #expect(try store.jobsAwaitingDisposal().map(\.id) == [jobID])
    }

    @Test func aDamagedStoredIndexIsATypedError() throws {
        let (documentID, jobID) = try enqueueNew()
        _ = try store.claimNextJob(lifecycle: lifecycle, now: now)
        try complete(jobID, documentID)
        // Cut the blob short, then flip a unit's end past the text: both refused before use.
        try store.pool.write { db in
            try db.execute(sql: "UPDATE document_analysis SET index_archive = substr(index_archive, 1, 40)")
        }
        #expect(throws: EngineError.self) { try store.index(documentID: documentID) }
        var bad = Self.analysis.index
        bad.unitEnds[0] = Int32(Self.document.text.utf8.count + 1)
        try store.pool.write { db in
            try db.execute(sql: "UPDATE document_analysis SET index_archive = ?", arguments: [Data(IndexArchive.encode(bad))])
        }
        do {
            _ = try store.index(documentID: documentID)
            Issue.record("a unit past the text was accepted")
        } catch let error as EngineError {
            #expect(error.code == .damaged)
        }
    }

    @Test func retriesWaitForTheirTime() throws {
        let (_, jobID) = try enqueueNew()
        _ = try store.claimNextJob(lifecycle: lifecycle, now: now)
        // A timeout on the first attempt: the lifecycle's backoff (10 s) before the retry.
        try store.apply(.fail(code: .timeout, message: "timeout after 1 s", transient: true, at: now), toJob: jobID, lifecycle: lifecycle, now: now)
        #expect(try store.claimNextJob(lifecycle: lifecycle, now: now + 5) == nil)
        #expect(try store.nextDueTime() == now + 10)
        #expect(try store.claimNextJob(lifecycle: lifecycle, now: now + 10)?.job.id == jobID)
    }

    @Test func failedContentDroppedAgainIsQueuedAgain() throws {
        let (documentID, jobID) = try enqueueNew()
        _ = try store.claimNextJob(lifecycle: lifecycle, now: now)
        try store.apply(.fail(code: FailureCode(rawValue: "corrupt"), message: "broken", transient: false, at: now), toJob: jobID, lifecycle: lifecycle, now: now)
        #expect(try store.document(id: documentID)?.errorCode == "corrupt")
        let again = try store.enqueue(sha256: "aa", name: "a.pdf", pipeline: "default", bytes: 10, sourcePath: "/spool/a.pdf", now: now)
        guard case let .queued(sameID, _) = again else { Issue.record("expected queued, got \(again)"); return }
        #expect(sameID == documentID)
        #expect(try store.document(id: documentID)?.status == .queued)
        #expect(try store.document(id: documentID)?.errorCode == nil)
    }

    /// A section's title is its outline entry's, not the text of the unit
    /// that holds it (in a PDF, a console line before the title may be part
    /// of that unit), and its page is the entry's.
    @Test func aSectionIsTitledByItsOutlineEntry() throws {
        let body = (0..<20).map { "Octave solves the equation number \($0 + 1) with the lsode function and prints the result at each step." }
        let text = "A short preface about the harbour tool.\n\u{0C}octave:1> A = [ 2, 0; 0, 2 ];\n1.2.5 Integrating Differential Equations\n"
            + body.joined(separator: " ")
        let offset = try #require(text.utf8.firstRange(of: "1.2.5".utf8)).lowerBound
        let utf8 = Array(text.utf8), at = text.utf8.distance(from: text.utf8.startIndex, to: offset)
        let pageBreak = try #require(utf8.firstIndex(of: 0x0C)) + 1
        let document = ExtractedDocument(type: .pdf, text: text,
                                         pages: [PageSpan(number: 1, start: 0, end: pageBreak - 1), PageSpan(number: 2, start: pageBreak, end: utf8.count)],
                                         metadata: DocumentMetadata(), outline: [OutlineEntry(title: "Integrating Differential Equations", level: 3, page: 2, offset: at)])
        var summary = SummaryParameters()
        summary.sectionMinTokens = 50
        let analysis = try DocumentAnalyzer(workers: 1, summary: summary).analyze(text, outline: [OutlineItem(title: "Integrating Differential Equations", level: 3, offset: at)])
        let (documentID, jobID) = try enqueueNew()
        _ = try store.claimNextJob(lifecycle: lifecycle, now: now)
        try store.complete(jobID: jobID, documentID: documentID, document: document, analysis: analysis, lifecycle: lifecycle, now: now)
        let sections = try #require(try store.summary(documentID: documentID)).sections
        #expect(sections.map(\.title) == ["Integrating Differential Equations"], "\(sections)")
        #expect(sections.first?.page == 2)
    }

    /// A summary holding the pieces of a sentence cut at block length (a
    /// covering answer's sentence) serves it as one sentence, whole.
    @Test func aSentencesPiecesAreOneSummarySentence() throws {
        let long = "This Agreement is entered into by and between " + (1...14).map { "Party Number \($0) of Harbour Street" }.joined(separator: ", ") + "."
        let text = "A short opening line of the contract.\n\n" + long + "\n\nThe law of Scotland governs it."
        var analysis = try DocumentAnalyzer(workers: 1).analyze(text)
        let pieces = (0..<analysis.index.unitCount).filter { analysis.index.isPiece($0) }.map(Int32.init)
        #expect(pieces.count >= 2)
        analysis.summary = DocumentSummary(units: pieces, sections: [])
        let document = ExtractedDocument(type: .text, text: text, pages: [PageSpan(number: 1, start: 0, end: text.utf8.count)],
                                         metadata: DocumentMetadata(), outline: [])
        let (documentID, jobID) = try enqueueNew()
        _ = try store.claimNextJob(lifecycle: lifecycle, now: now)
        try store.complete(jobID: jobID, documentID: documentID, document: document, analysis: analysis, lifecycle: lifecycle, now: now)
        let sentences = try #require(try store.summary(documentID: documentID)).sentences
        #expect(sentences.map(\.text) == [long], "\(sentences.map(\.text))")
    }

    @Test func deleteRemovesEverythingAndFreesTheContent() throws {
        let (documentID, jobID) = try enqueueNew()
        // Queued (its file is still in the spool) and processing: refused.
        #expect(throws: StoreError.busy(documentID)) { try store.delete(documentID: documentID) }
        _ = try store.claimNextJob(lifecycle: lifecycle, now: now)
        #expect(throws: StoreError.busy(documentID)) { try store.delete(documentID: documentID) }
        try complete(jobID, documentID)
        // Its file and a refused duplicate's wait to be moved: a delete moves them first (the daemon's Disposer).
        guard case let .duplicate(_, copyJob) = try store.enqueue(sha256: "aa", name: "copy.pdf", pipeline: "default", bytes: 10,
                                                                  sourcePath: "/spool/copy.pdf", now: now) else { Issue.record("a duplicate"); return }
        #expect(try store.jobsAwaitingDisposal(documentID: documentID).map(\.id) == [jobID, copyJob])
        try store.markSourceDisposed(jobID: jobID, path: "/archive/a.pdf", owned: true)
        try store.markSourceDisposed(jobID: copyJob, path: "/spool/copy.pdf", owned: false)
        #expect(try store.jobsAwaitingDisposal(documentID: documentID).isEmpty)
        let deleted = try #require(try store.delete(documentID: documentID))
        #expect(deleted.keptFiles == [Store.KeptFile(path: "/archive/a.pdf", owned: true, failed: false),
                                      Store.KeptFile(path: "/spool/copy.pdf", owned: false, failed: false)])
        #expect(deleted.change.removing == Self.analysis.engram)
        #expect(try store.delete(documentID: documentID) == nil)
        #expect(try store.text(documentID: documentID) == nil)
        #expect(try store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM pages") } == 0)
        // The same content may now come back as a new document.
        let (newID, _) = try enqueueNew()
        #expect(newID != documentID)
    }

    @Test func listingPagesNewestFirstByStatus() throws {
        for n in 0..<5 { _ = try enqueueNew("h\(n)", path: "/spool/\(n).txt") }
        let first = try store.documents(status: .queued, before: nil, limit: 2)
        #expect(first.map(\.sha256) == ["h4", "h3"])
        let next = try store.documents(status: .queued, before: first.last?.id, limit: 2)
        #expect(next.map(\.sha256) == ["h2", "h1"])
        #expect(try store.documents(status: .done, before: nil, limit: 10).isEmpty)
        #expect(try store.countsByStatus() == [.queued: 5, .processing: 0, .done: 0, .failed: 0])
        #expect(try store.queueLength() == 5)
    }

    @Test func reprocessRequeuesFinishedDocumentsOnly() throws {
        let (documentID, jobID) = try enqueueNew()
        #expect(throws: StoreError.busy(documentID)) { try store.requeue(documentID: documentID, sourcePath: "/archive/a.pdf", now: now) }
        _ = try store.claimNextJob(lifecycle: lifecycle, now: now)
        try complete(jobID, documentID)
        let newJob = try #require(try store.requeue(documentID: documentID, sourcePath: "/archive/a.pdf", now: now))
        #expect(try store.job(id: newJob)?.sourceDisposed == true)
        #expect(try store.document(id: documentID)?.status == .queued)
        #expect(try store.requeue(documentID: 999, sourcePath: "/x", now: now) == nil)
        // Done again: the counts it was added with come back, to be taken out of the corpus memory.
        _ = try store.claimNextJob(lifecycle: lifecycle, now: now)
        #expect(try complete(newJob, documentID).removing == Self.analysis.engram)
    }
}
