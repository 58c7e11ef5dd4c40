import Foundation
import Synchronization
import TomeAPI
import TomeEngine
import TomeStore

/// Answers questions about stored documents with the engine's one `ask`
/// (one document or the whole corpus), keeping recently used documents
/// (index, page spans and, once attention has read it, text) in memory,
/// bounded by bytes, so a warm `ask` reads nothing from disk and a corpus
/// `ask` reads the text of the documents whose blocks are selected only.
final class AskService: Sendable {
    /// A document as `ask` needs it; `text` is empty until it is needed.
    final class Loaded: Sendable {
        let id: Int64
        let index: DocumentIndex
        let text: [UInt8]
        let hasText: Bool
        let pageStarts: [Int]
        /// The names its name expert found (nil when it found none or did not run).
        let names: DocumentNames?
        var bytes: Int { index.byteSize + text.count + pageStarts.count * 8 + (names?.byteSize ?? 0) }

        init(id: Int64, index: DocumentIndex, text: [UInt8]?, pageStarts: [Int], names: DocumentNames?) {
            self.id = id
            self.index = index
            self.text = text ?? []
            self.hasText = text != nil
            self.pageStarts = pageStarts
            self.names = names
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

    /// A stored document for the engine: its index now, its text when attention asks for it.
    struct Stored: AskableDocument {
        let service: AskService
        let loaded: Loaded
        var index: DocumentIndex { loaded.index }
        var names: DocumentNames? { loaded.names }

        func withText<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) throws -> R {
            let full = loaded.hasText ? loaded : try service.load(loaded.id, text: true)
            return try full.text.withUnsafeBufferPointer(body)
        }
    }

    private struct Cache {
        var entries: [Int64: (loaded: Loaded, used: UInt64)] = [:]
        var bytes = 0
        var clock: UInt64 = 0
    }

    private let store: Store
    private let memory: CorpusMemory
    private let parameters: EngineParameters
    private let cacheLimit: Int
    private let cache = Mutex(Cache())

    /// The semantic head, when its model is installed: questions then carry their meaning.
    private let semantic: SemanticHead?

    /// The full encoder's weights, when installed beside the head; read at the first deep ask.
    private let encoderPath: String?
    private let deepReader = Mutex<Result<DeepReader, Failure>?>(nil)

    init(store: Store, memory: CorpusMemory, parameters: EngineParameters, cacheBytes: Int, semantic: SemanticHead? = nil,
         encoderPath: String? = nil) {
        self.semantic = semantic
        self.encoderPath = encoderPath
        self.store = store
        self.memory = memory
        self.parameters = parameters
        cacheLimit = cacheBytes
    }

    /// What an ask found: the engine's answers, with the id and page of each
    /// answer's document, and how the search went.
    struct Found: Sendable {
        struct Answer: Sendable {
            /// The engine's answer (its `document` is a position among those asked).
            var answer: TomeEngine.Answer
            var documentID: Int64
            var page: Int
            /// The answer's definition, on its page.
            var definition: AnswerDefinition? {
                answer.definition.map { AnswerDefinition(term: $0.term, text: $0.text, page: definitionPage, start: $0.start, end: $0.end) }
            }
            var definitionPage = 1
            /// The pages the answer's passage (its context) spans.
            var contextPages = 1...1
        }

        var answers: [Answer]
        var stats: AskStats
        /// Documents asked, and those whose stored index this engine cannot read.
        var documents: Int
        var needReprocess: [Int64]
        var seconds: Double
        /// The kind of value the question asks for (the answer expert's), if any.
        var answerKind: AnswerKind?
        /// The one document asked, or nil for the corpus.
        var documentID: Int64? = nil
    }

    enum Failure: Error {
        case notFound(Int64)
        case notReady(Int64, DocumentStatus)
        /// The stored index is missing, of an older format, or damaged: reprocess the document.
        case needsReprocess(Int64, String)
        /// Every word of the question is a function word: nothing says what to look for.
        case onlyCommonWords
        /// A deep ask, and the encoder is not installed or cannot be read.
        case deepUnavailable(String)
    }

    /// Why a deep ask cannot be answered, or nil: checked before a deep ask
    /// waits for its lane, so that the refusal is not a full lane's 429.
    func deepUnavailable() -> String? {
        guard semantic != nil else {
            return "deep asks need the semantic model, and it is off: run `make model`, set [engine] model_dir and restart tomed (tome status says why)"
        }
        guard encoderPath != nil else {
            return "deep asks need the model's encoder (\(SemanticModel.encoderFileName)) beside its vectors: run `make model` again and restart tomed"
        }
        if case .failure(.deepUnavailable(let why))? = deepReader.withLock({ $0 }) { return why }
        return nil
    }

    /// The deep reader, its weights read once, at the first deep ask (under
    /// the lock: a second deep ask waits for the first to read them). Weights
    /// that cannot be read are tried once: the next deep asks are refused
    /// with the same reason until tomed is restarted.
    func deep() throws -> DeepReader {
        if let why = deepUnavailable() { throw Failure.deepUnavailable(why) }
        guard let semantic, let encoderPath else { throw Failure.deepUnavailable("no semantic model") }
        return try deepReader.withLock { state in
            if let state { return try state.get() }
            let loaded: Result<DeepReader, Failure>
            do {
                let weights = try Data(contentsOf: URL(fileURLWithPath: encoderPath))
                let encoder = try SentenceEncoder(safetensors: weights)
                loaded = .success(DeepReader(encoder: encoder, vocabulary: semantic.vocabulary))
            } catch let error as EngineError {
                loaded = .failure(.deepUnavailable("\(encoderPath) cannot be read as the encoder: \(error.message) (run `make model` again and restart tomed)"))
            } catch {
                loaded = .failure(.deepUnavailable("\(encoderPath) cannot be read: \(error.localizedDescription) (restart tomed once it can)"))
            }
            state = loaded
            return try loaded.get()
        }
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
        guard record.status == .done else { throw Failure.notReady(id, record.status) }
        let index: DocumentIndex
        do {
            guard let stored = try cached?.index ?? store.index(documentID: id) else {
                throw Failure.needsReprocess(id, "document \(id) was analysed by an earlier version of the engine")
            }
            index = stored
        } catch let error as EngineError {
            throw Failure.needsReprocess(id, "document \(id)'s stored index cannot be used (\(error.message))")
        }
        var text: [UInt8]? = nil
        if needsText {
            guard let stored = try store.text(documentID: id) else { throw Failure.notFound(id) }
            text = Array(stored.utf8)
        }
        let pageStarts = try cached?.pageStarts ?? (try store.pages(documentID: id).map(\.start))
        let names = try cached.map(\.names) ?? DocumentNames((try store.extractions(documentID: id, kind: .names) ?? []).map(\.value))
        let loaded = Loaded(id: id, index: index, text: text, pageStarts: pageStarts, names: names?.isEmpty == false ? names : nil)
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

    /// Asks one document (`documentID`) or every done document (nil): the
    /// indexer scans every document's signatures, selection runs over all
    /// their blocks at once, and attention reads the text of the documents
    /// whose blocks are selected only. A document whose index cannot be read
    /// is refused (one) or left out and named in the stats (corpus).
    /// With `deep`, the best answers are read again by the full encoder and reordered (`DeepReader`).
    func ask(documentID: Int64?, question: String, k: Int, dense: Bool, deep: Bool = false) throws -> Found {
        let started = monotonicNow()
        let reader = deep ? try self.deep() : nil
        var documents: [Stored] = [], needReprocess: [Int64] = []
        if let documentID {
            documents = [Stored(service: self, loaded: try load(documentID))]
        } else {
            for id in try store.doneDocumentIDs() {
                do {
                    documents.append(Stored(service: self, loaded: try load(id, text: false)))
                } catch Failure.needsReprocess {
                    needReprocess.append(id)
                } catch Failure.notFound, Failure.notReady {
                    continue  // deleted or re-queued since the list was read
                }
            }
        }
        // Salience is read under the memory's lock; the ask itself does not need it.
        let prepared = try memory.read { Asker.prepare(question, memory: $0, semantic: semantic) }
        guard !prepared.onlyCommonWords else { throw Failure.onlyCommonWords }
        let result = try Asker.ask(prepared, documents: documents, k: k, dense: dense, parameters: parameters, deep: reader)
        let answers = result.answers.map { a in
            let document = documents[a.document].loaded
            let firstPage = document.page(of: a.contextStart)
            return Found.Answer(answer: a, documentID: document.id, page: document.page(of: a.start),
                                definitionPage: a.definition.map { document.page(of: $0.start) } ?? 1,
                                contextPages: firstPage...max(firstPage, document.page(of: max(a.contextStart, a.contextEnd - 1))))
        }
        return Found(answers: answers, stats: result.stats, documents: documents.count, needReprocess: needReprocess,
                     seconds: monotonicNow() - started, answerKind: prepared.answerKind, documentID: documentID)
    }
}
