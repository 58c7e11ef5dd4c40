import Foundation
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

    func document(_ text: String) -> ExtractedDocument {
        ExtractedDocument(type: .text, text: text, pages: [PageSpan(number: 1, start: 0, end: text.utf8.count)],
                          metadata: DocumentMetadata(), outline: [])
    }

    func filler(_ topic: String, _ n: Int) -> String {
        (0..<n).map { "The \(topic) report number \($0) was reviewed by the committee on a quiet day." }.joined(separator: " ")
    }

    @Test func corpusAskReadsTheTextOfSelectedDocumentsOnly() throws {
        let store = try Store(path: scratch.file("tome.sqlite"))
        let analyzer = DocumentAnalyzer()
        let memory = try CorpusMemory(path: scratch.file("engram.mem"), hasher: analyzer.hasher)
        // 40 documents of one or two blocks; the first holds the answer.
        let topics = (0..<40).map { "topic\($0)" }
        var ids: [Int64] = []
        for (n, topic) in topics.enumerated() {
            let text = filler(topic, 4) + (n == 0 ? " The lighthouse keeper counted 7421 gulls in one morning." : "")
            guard case let .queued(id, job) = try store.enqueue(sha256: "h\(n)", name: "d\(n).txt", pipeline: "default", bytes: 1, sourcePath: "/s/d\(n)", now: Date()) else {
                Issue.record("not queued")
                return
            }
            _ = try store.claimNextJob(now: Date())
            let analysis = analyzer.analyze(text)
            let generation = try store.complete(jobID: job, documentID: id, document: document(text), index: analysis.index, tokens: analysis.index.tokenCount, now: Date())
            memory.apply(analysis.engram, sign: 1, generation: generation)
            ids.append(id)
        }
        #expect(memory.generation == (try store.engramGeneration()))
        let asker = AskService(store: store, memory: memory, analyzer: analyzer, cacheBytes: 64 << 20)
        let question = "How many gulls did the lighthouse keeper count?"
        let response = try asker.askAll(question: question, k: 1, dense: false)
        #expect(response.answers.first?.text == "The lighthouse keeper counted 7421 gulls in one morning.")
        #expect(response.answers.first?.document == ids[0])
        #expect(response.stats.documents == 40)

        // The documents whose text was read are exactly those with a block in the global top k.
        let q = memory.read { Asker.prepare(question, memory: $0, parameters: analyzer.parameters, hasher: analyzer.hasher) }
        var candidates: [(score: Float, id: Int64)] = []
        for id in ids {
            let index = try #require(try store.index(documentID: id))
            let scores = LightningIndexer.scores(q.indexQuery, keys: index.keys)
            candidates += scores.filter { $0 > 0 }.map { ($0, id) }
        }
        let expected = Set(candidates.sorted { $0.score > $1.score }.prefix(analyzer.parameters.topK).map(\.id))
        let cached = asker.cached
        #expect(Set(cached.keys) == Set(ids))  // every document's keys were read
        #expect(Set(cached.filter(\.value).keys) == expected)
        #expect(expected.count < ids.count)
        #expect(expected.contains(ids[0]))
    }

    @Test func aMismatchedMemoryIsRebuiltFromTheStore() throws {
        let store = try Store(path: scratch.file("tome.sqlite"))
        let analyzer = DocumentAnalyzer()
        let text = filler("canal", 50)
        guard case let .queued(id, job) = try store.enqueue(sha256: "x", name: "x.txt", pipeline: "default", bytes: 1, sourcePath: "/s/x", now: Date()) else { return }
        _ = try store.claimNextJob(now: Date())
        let analysis = analyzer.analyze(text)
        try store.complete(jobID: job, documentID: id, document: document(text), index: analysis.index, tokens: 1, now: Date())
        // The file never got the document (a crash between commit and apply): generations differ.
        let memory = try CorpusMemory(path: scratch.file("engram.mem"), hasher: analyzer.hasher)
        #expect(memory.generation != (try store.engramGeneration()))
        #expect(try memory.reconcile(with: store, analyzer: analyzer, logger: Logger(label: "test")) == 1)
        #expect(memory.generation == (try store.engramGeneration()))
        let canal = CanonicalForm.id(of: "canal")
        #expect(memory.read { $0.estimate([canal]) }.occurrences >= 50)
        #expect(memory.documents == 1)
        #expect(try memory.reconcile(with: store, analyzer: analyzer, logger: Logger(label: "test")) == 0)
    }
}
