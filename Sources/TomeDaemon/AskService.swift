import Foundation
import Synchronization
import TomeAPI
import TomeEngine
import TomeStore

/// Answers questions about stored documents with the engine, keeping
/// recently used documents (index, page spans and, once attention has read
/// it, text) in memory, bounded by bytes, so a warm `ask` reads nothing from
/// disk and a corpus `ask` reads the text of the selected documents only.
final class AskService: Sendable {
    /// A document as `ask` needs it; `text` is empty until it is needed.
    final class Loaded: Sendable {
        let id: Int64
        let index: DocumentIndex
        let text: [UInt8]
        let hasText: Bool
        let pageStarts: [Int]
        var bytes: Int { index.byteSize + text.count + pageStarts.count * 8 }

        init(id: Int64, index: DocumentIndex, text: [UInt8]?, pageStarts: [Int]) {
            self.id = id
            self.index = index
            self.text = text ?? []
            self.hasText = text != nil
            self.pageStarts = pageStarts
        }

        /// The page (from 1) holding byte `offset`.
        func page(of offset: Int) -> Int {
            var low = 0, high = pageStarts.count - 1
            while low < high {
                let mid = (low + high + 1) / 2
                if pageStarts[mid] <= offset { low = mid } else { high = mid - 1 }
            }
            return low + 1
        }
    }

    private struct Cache {
        var entries: [Int64: (loaded: Loaded, used: UInt64)] = [:]
        var bytes = 0
        var clock: UInt64 = 0
    }

    private let store: Store
    private let memory: CorpusMemory
    private let analyzer: DocumentAnalyzer
    private let cacheLimit: Int
    private let cache = Mutex(Cache())

    init(store: Store, memory: CorpusMemory, analyzer: DocumentAnalyzer, cacheBytes: Int) {
        self.store = store
        self.memory = memory
        self.analyzer = analyzer
        cacheLimit = cacheBytes
    }

    enum Failure: Error {
        case notFound(Int64)
        case notReady(Int64, String)
        case noIndex(Int64)
    }

    /// The document, from the cache or the store (then cached, evicting the
    /// least recently used); with its text only when `text` is asked for.
    func load(_ id: Int64, text needsText: Bool = true) throws -> Loaded {
        let cached = cache.withLock { c -> Loaded? in
            guard let entry = c.entries[id] else { return nil }
            c.clock += 1
            c.entries[id]?.used = c.clock
            return entry.loaded
        }
        if let cached, cached.hasText || !needsText { return cached }
        guard let record = try store.document(id: id) else { throw Failure.notFound(id) }
        guard record.status == .done else { throw Failure.notReady(id, record.status.rawValue) }
        guard let index = try cached?.index ?? store.index(documentID: id) else { throw Failure.noIndex(id) }
        var text: [UInt8]? = nil
        if needsText {
            guard let stored = try store.text(documentID: id) else { throw Failure.noIndex(id) }
            text = Array(stored.utf8)
        }
        let pageStarts = try cached?.pageStarts ?? (try store.pages(documentID: id).map(\.start))
        let loaded = Loaded(id: id, index: index, text: text, pageStarts: pageStarts)
        cache.withLock { c in
            c.clock += 1
            if let old = c.entries[id] { c.bytes -= old.loaded.bytes }
            c.entries[id] = (loaded, c.clock)
            c.bytes += loaded.bytes
            while c.bytes > cacheLimit, c.entries.count > 1,
                  let oldest = c.entries.filter({ $0.key != id }).min(by: { $0.value.used < $1.value.used }) {
                c.bytes -= oldest.value.loaded.bytes
                c.entries[oldest.key] = nil
            }
        }
        return loaded
    }

    /// The cached documents, and whether their text is loaded.
    var cached: [Int64: Bool] { cache.withLock { c in c.entries.mapValues(\.loaded.hasText) } }

    func forget(_ id: Int64) {
        cache.withLock { c in
            if let old = c.entries.removeValue(forKey: id) { c.bytes -= old.loaded.bytes }
        }
    }

    /// Asks one document.
    func ask(documentID id: Int64, question: String, k: Int, dense: Bool) throws -> AskResponse {
        let started = monotonicNow()
        let document = try load(id)
        let result = memory.read { memory -> AskResult in
            let q = Asker.prepare(question, memory: memory, parameters: document.index.parameters, hasher: analyzer.hasher)
            return document.text.withUnsafeBufferPointer { Asker.ask(q, index: document.index, bytes: $0, k: k, dense: dense, memory: memory) }
        }
        let answers = result.answers.map { answer(from: $0, in: document) }
        return AskResponse(answers: answers, stats: stats(result.stats, started: started))
    }

    /// Asks every done document: the indexer scans every document's keys, a
    /// global top-k picks blocks across them, and attention reads only the
    /// units of the selected blocks (and their neighbours) of those documents.
    func askAll(question: String, k: Int, dense: Bool) throws -> AskResponse {
        let started = monotonicNow()
        // Every document's keys; texts only for the documents attention will read.
        let indexed = try store.doneDocumentIDs().compactMap { try? load($0, text: false) }
        let parameters = analyzer.parameters
        let response = memory.read { memory -> AskResponse in
            let q = Asker.prepare(question, memory: memory, parameters: parameters, hasher: analyzer.hasher)
            var heap = [(score: Float, document: Int, block: Int)]()
            var scanned = 0
            for (d, document) in indexed.enumerated() {
                let scores = LightningIndexer.scores(q.indexQuery, keys: document.index.keys)
                scanned += scores.count
                // A block that shares nothing with the question cannot answer it: no text is read for it.
                let keep = dense ? Array(0..<scores.count) : LightningIndexer.topK(scores, k: parameters.topK).filter { scores[$0] > 0 }
                heap += keep.map { (scores[$0], d, $0) }
                if !dense && heap.count > 4 * parameters.topK {
                    heap = Array(heap.sorted { ($0.score, $1.document, $1.block) > ($1.score, $0.document, $0.block) }.prefix(parameters.topK))
                }
            }
            if !dense { heap = Array(heap.sorted { ($0.score, $1.document, $1.block) > ($1.score, $0.document, $0.block) }.prefix(parameters.topK)) }
            var selected: [Int: Set<Int>] = [:]
            for entry in heap {
                let blocks = indexed[entry.document].index.blockCount
                for b in max(0, entry.block - parameters.neighbours)...min(blocks - 1, entry.block + parameters.neighbours) {
                    selected[entry.document, default: []].insert(b)
                }
            }
            var candidates: [(answer: Answer, document: Loaded)] = []
            var attended = 0, blocksSelected = 0
            var units = 0
            for (d, blocks) in selected.sorted(by: { $0.key < $1.key }) {
                guard let document = try? self.load(indexed[d].id) else { continue }
                units += document.index.unitCount
                blocksSelected += blocks.count
                let unitList = blocks.sorted().flatMap { document.index.units(ofBlock: $0) }
                attended += unitList.count
                let scored = document.text.withUnsafeBufferPointer { Asker.attend(q, units: unitList, index: document.index, bytes: $0, memory: memory) }
                for (u, similarity) in scored where similarity > 0 {
                    let start = document.index.unitStarts[u], end = document.index.unitEnds[u]
                    let text = document.text.withUnsafeBufferPointer { Asker.text($0, start, end) }
                    let context = document.text.withUnsafeBufferPointer { Asker.context(of: u, index: document.index, bytes: $0) }
                    candidates.append((Answer(text: text, context: context, score: 0, start: Int(start), end: Int(end), similarity: similarity), document))
                }
            }
            // One softmax over every candidate, at the temperature of the documents read.
            let beta = StreamingSoftmax.temperature(units: units, scale: parameters.temperatureScale)
            var softmax = StreamingSoftmax()
            softmax.add(contentsOf: candidates.map { beta * $0.answer.similarity })
            let best = candidates.sorted { ($0.answer.similarity, $1.document.id, $1.answer.start) > ($1.answer.similarity, $0.document.id, $0.answer.start) }.prefix(k)
            let answers = best.map { entry -> AskResponse.Answer in
                var answer = entry.answer
                answer.score = softmax.probability(beta * answer.similarity)
                return self.answer(from: answer, in: entry.document)
            }
            return AskResponse(answers: answers, stats: AskResponse.Stats(
                blocksScanned: scanned, blocksSelected: blocksSelected, sentencesAttended: attended, mode: dense ? "dense" : "sparse",
                documents: indexed.count, elapsedMs: 0))
        }
        var timed = response
        timed.stats.elapsedMs = ((monotonicNow() - started) * 1000).rounded(toPlaces: 3)
        return timed
    }

    private func answer(from answer: Answer, in document: Loaded) -> AskResponse.Answer {
        AskResponse.Answer(text: answer.text, context: answer.context, score: answer.score, page: document.page(of: answer.start),
                           start: answer.start, end: answer.end, document: document.id)
    }

    private func stats(_ stats: AskStats, started: Double) -> AskResponse.Stats {
        AskResponse.Stats(blocksScanned: stats.blocksScanned, blocksSelected: stats.blocksSelected, sentencesAttended: stats.sentencesAttended,
                          mode: stats.mode, documents: 1, elapsedMs: ((monotonicNow() - started) * 1000).rounded(toPlaces: 3))
    }
}
