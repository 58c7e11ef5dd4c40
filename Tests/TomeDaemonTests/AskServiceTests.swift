import Foundation
import GRDB
import Logging
import Testing
import TomeEngine
import TomeExtract
import TomeStore
import TomeTestSupport

@testable import TomeDaemon

/// The ask service on a real store and a real memory-mapped corpus memory.
@Suite struct AskServiceTests {
    let scratch = Scratch()
    let logger = Logger(label: "test")

    /// A memory opened on a store, as the daemon does at start.
    func memory(for store: Store) throws -> CorpusMemory {
        let memory = try CorpusMemory(path: scratch.file("engram.mem"))
        try memory.reconcile(with: store, logger: logger)
        return memory
    }

    func document(_ text: String) -> ExtractedDocument {
        ExtractedDocument(type: .text, text: text, pages: [PageSpan(number: 1, start: 0, end: text.utf8.count)],
                          metadata: DocumentMetadata(), outline: [])
    }

    func filler(_ topic: String, _ n: Int) -> String {
        (0..<n).map { "The \(topic) report number \($0) was reviewed by the committee on a quiet day." }.joined(separator: " ")
    }

    /// Stores `texts` as done documents, their counts in `memory`; returns their ids.
    func store(_ texts: [String], in store: Store, memory: CorpusMemory) throws -> [Int64] {
        try texts.enumerated().map { n, text in
            guard case let .queued(id, job) = try store.enqueue(sha256: "h\(n)-\(text.count)", name: "d\(n).txt", pipeline: "default", bytes: 1,
                                                                sourcePath: "/s/d\(n)", now: Date()) else { throw CancellationError() }
            _ = try store.claimNextJob(lifecycle: JobLifecycle(retries: 1, backoffSeconds: 10), now: Date())
            let analysis = try DocumentAnalyzer(workers: 2).analyze(text)
            try memory.follow({ try store.complete(jobID: job, documentID: id, document: document(text), analysis: analysis, lifecycle: JobLifecycle(retries: 1, backoffSeconds: 10), now: Date(), beforeCommit: $0) },
                              logger: logger)
            return id
        }
    }

    @Test func corpusAskReadsTheTextOfSelectedDocumentsOnly() throws {
        let store = try Store(path: scratch.file("tome.sqlite"))
        let memory = try memory(for: store)
        // 40 documents of one or two blocks; the first holds the answer.
        let ids = try self.store((0..<40).map { n in filler("topic\(n)", 4) + (n == 0 ? " The lighthouse keeper counted 7421 gulls in one morning." : "") },
                                 in: store, memory: memory)
        #expect(memory.generation == (try store.engramGeneration()))
        let asker = AskService(store: store, memory: memory, parameters: EngineParameters(), cacheBytes: 64 << 20)
        let response = try asker.ask(documentID: nil, question: "How many gulls did the lighthouse keeper count?", k: 1, dense: false)
        #expect(response.answers.first?.answer.text == "The lighthouse keeper counted 7421 gulls in one morning.")
        #expect(response.answers.first?.documentID == ids[0])
        #expect(response.documents == 40)
        #expect(response.stats.exact)
        let cached = asker.cached
        #expect(Set(cached.keys) == Set(ids))  // every document's signatures were read
        let withText = Set(cached.filter(\.value).keys)
        #expect(withText.contains(ids[0]))
        #expect(withText.count < ids.count)
        #expect(withText.count <= response.stats.blocksSelected)
    }

    /// A stored index this engine cannot read: one-document ask refuses it by
    /// name; the corpus ask leaves it out and says so. Nothing traps.
    @Test func anUnreadableIndexNeedsReprocess() throws {
        let store = try Store(path: scratch.file("tome.sqlite"))
        let memory = try memory(for: store)
        let ids = try self.store([filler("canal", 30) + " The lock keeper is called Ada.", filler("river", 30)], in: store, memory: memory)
        try store.pool.write { db in
            try db.execute(sql: "UPDATE document_analysis SET index_archive = substr(index_archive, 1, 100) WHERE document_id = ?", arguments: [ids[1]])
        }
        let asker = AskService(store: store, memory: memory, parameters: EngineParameters(), cacheBytes: 64 << 20)
        #expect(throws: AskService.Failure.self) { try asker.ask(documentID: ids[1], question: "river report", k: 1, dense: false) }
        let response = try asker.ask(documentID: nil, question: "Who is the lock keeper?", k: 1, dense: false)
        #expect(response.answers.first?.documentID == ids[0])
        #expect(response.needReprocess == [ids[1]])
        #expect(response.documents == 1)
    }

    @Test func aMismatchedMemoryIsRebuiltFromTheStoredCounts() throws {
        let store = try Store(path: scratch.file("tome.sqlite"))
        let text = filler("canal", 50)
        guard case let .queued(id, job) = try store.enqueue(sha256: "x", name: "x.txt", pipeline: "default", bytes: 1, sourcePath: "/s/x", now: Date()) else { return }
        _ = try store.claimNextJob(lifecycle: JobLifecycle(retries: 1, backoffSeconds: 10), now: Date())
        let analysis = try DocumentAnalyzer().analyze(text)
        try store.complete(jobID: job, documentID: id, document: document(text), analysis: analysis, lifecycle: JobLifecycle(retries: 1, backoffSeconds: 10), now: Date())
        // The file never got the document (a crash between commit and apply): generations differ.
        let memory = try CorpusMemory(path: scratch.file("engram.mem"))
        #expect(memory.generation != (try store.engramGeneration()))
        #expect(try memory.reconcile(with: store, logger: logger) == 1)
        #expect(memory.generation == (try store.engramGeneration()))
        let canal = CanonicalForm.id(of: "canal")
        #expect(try memory.read { $0.estimate([canal]) }.occurrences >= 50)
        #expect(memory.documents == 1)
        #expect(try memory.reconcile(with: store, logger: logger) == 0)
        // Deleting takes out exactly the stored counts: every counter is back to zero.
        try memory.follow({ try store.delete(documentID: id, beforeCommit: $0) }, logger: logger)
        #expect(memory.documents == 0)
        #expect(try memory.read { $0.counters.allSatisfy { $0 == 0 } })
    }
}
