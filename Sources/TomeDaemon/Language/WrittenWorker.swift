import Foundation
import Logging
import ServiceLifecycle
import TomeAPI
import TomeLLM
import TomeStore

/// The stage after a document is stored in which the language model writes
/// what its pipeline asks for (`written_summary`, `written_answers`): a
/// summary from the extractive summary's sentences and sections, and an
/// answer to each pipeline question from the passages the engine selects,
/// each citing its excerpts. Ingest never waits on it.
///
/// The work is rows of the store's `written` table, so nothing is lost on a
/// stop: every few seconds the worker queues the done documents of such
/// pipelines that have no row yet, then writes the rows that are due. A try
/// the model could not answer (away, slow, rate-limited) stays pending and
/// is tried again after `retry_backoff_s · 2^attempts` (at least the
/// server's Retry-After, at most an hour); one it refused for good (a key
/// refused, a reply outside the protocol) is failed with why, until
/// `reprocess?stage=written` queues it again.
final class WrittenWorker: Service, Sendable {
    private let store: Store
    private let asker: AskService
    private let writer: GroundedAnswerer
    private let memory: CorpusMemory
    private let settings: SettingsBox
    private let lane: ComputeLane
    private let logger: Logger
    private let bell = Doorbell()

    /// How often done documents are looked for that need writing (a reprocess rings at once).
    static let pass: Duration = .seconds(2)
    static let longestWait = 3600.0

    init(store: Store, asker: AskService, writer: GroundedAnswerer, memory: CorpusMemory, settings: SettingsBox, lane: ComputeLane, logger: Logger) {
        self.store = store
        self.asker = asker
        self.writer = writer
        self.memory = memory
        self.settings = settings
        self.lane = lane
        self.logger = logger
    }

    /// Writes document `id`'s rows again (`reprocess?stage=written`): the kinds queued, none when it is not done or its pipeline asks for nothing.
    func writeAgain(documentID id: Int64) throws -> [WrittenWork.Kind] {
        guard let document = try store.document(id: id) else { return [] }
        let kinds = settings.pipelines[document.pipeline]?.written ?? []
        guard !kinds.isEmpty, try store.queueWritten(documentID: id, kinds: kinds, again: true) else { return [] }
        bell.ring()
        return kinds
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelledOrShuttingDown {
                var next: Double? = nil
                // The engine's asks read the corpus memory: not while it is being rebuilt.
                if self.memory.state == .ready || self.memory.state == .stale {
                    self.queueNew()
                    if let (due, later) = try? self.store.dueWritten(now: Date().timeIntervalSince1970) {
                        next = later
                        if !due.isEmpty {
                            var recorded = true
                            for row in due where !Task.isCancelledOrShuttingDown { recorded = await self.write(row) && recorded }
                            // A store that cannot record the outcome (a full disk) would hand the same rows back at once.
                            if recorded { continue }
                        }
                    }
                }
                let wait = next.map { Duration.seconds(max(0.05, $0 - Date().timeIntervalSince1970)) } ?? Self.pass
                await self.bell.wait(until: .now + min(wait, Self.pass))
            }
        }
    }

    /// Pending rows for done documents whose pipeline asks for written work and that have none.
    private func queueNew() {
        for (name, pipeline) in settings.pipelines where !pipeline.written.isEmpty {
            for kind in pipeline.written {
                for id in (try? store.documentsToWrite(pipeline: name, kind: kind)) ?? [] {
                    _ = try? store.queueWritten(documentID: id, kinds: [kind])
                }
            }
        }
    }

    /// One try at one row: written and stored, deferred, or failed. False when the store could not record the outcome.
    private func write(_ row: WrittenWork.Row) async -> Bool {
        /// A later try, after `retry_backoff_s · 2^attempts` (at least a second, at least the server's Retry-After, at most an hour).
        func later(_ retryAfter: Double?) -> Double {
            let backoff = settings.current.retryBackoffSeconds * Double(1 << min(row.attempts, 20))
            return Date().timeIntervalSince1970 + min(Self.longestWait, max(1, backoff, retryAfter ?? 0))
        }
        do {
            let body: Data
            switch row.kind {
            case .summary: body = try JSONBody.encoder().encode(try await summary(row.documentID))
            case .answers: body = try JSONBody.encoder().encode(try await answers(row.documentID))
            }
            do {
                try store.finishWritten(row, model: writer.model.config.model, writtenAt: iso8601(Date()), body: String(decoding: body, as: UTF8.self))
            } catch {
                logger.error("cannot store what the model wrote", metadata: ["document": "\(row.documentID)", "error": "\(error)"])
                return false
            }
            logger.info("written", metadata: ["document": "\(row.documentID)", "kind": "\(row.kind.rawValue)", "model": "\(writer.model.config.model)"])
            return true
        } catch is CancellationError {
            return true  // the daemon stops: the row stays as it was, for the next start
        } catch {
            // The model away, slow or busy, no model yet, the engine not ready: later. A model that
            // refuses for good, a document whose index must be reprocessed: failed, with why.
            let retry: Double?
            switch error {
            case let error as ModelError: retry = error.retryable || error == .notConfigured ? later(error.retryAfter) : nil
            case AskService.Failure.needsReprocess, AskService.Failure.notFound: retry = nil
            default: retry = later(nil)
            }
            do {
                try store.deferWritten(row, nextTry: retry, error: (error as? ModelError)?.description ?? "\(error)")
            } catch {
                logger.error("cannot record a try of written work", metadata: ["document": "\(row.documentID)", "error": "\(error)"])
                return false
            }
            logger.warning(retry == nil ? "written work failed" : "written work waits",
                           metadata: ["document": "\(row.documentID)", "kind": "\(row.kind.rawValue)", "error": "\(error)"])
            return true
        }
    }

    static let summaryRequest = "Summarise this document in a short paragraph of at most five sentences: what it is, who it concerns, and its key facts, figures and dates."

    /// The model's summary, from the extractive summary's sentences (the document's, then each section's, named by its heading).
    private func summary(_ id: Int64) async throws -> GeneratedAnswer {
        guard let document = try store.document(id: id), let stored = try store.summary(documentID: id) else {
            throw ModelError.refused("the document has no stored summary to write from (reprocess it)")
        }
        func excerpts(_ sentences: [StoredSummary.Sentence], name: String) -> [Excerpt] {
            sentences.map { Excerpt(document: id, documentName: name, firstPage: $0.page ?? 1, lastPage: $0.page ?? 1, start: $0.start, end: $0.end, text: $0.text) }
        }
        let candidates = excerpts(stored.sentences, name: document.name)
            + stored.sections.flatMap { excerpts($0.sentences, name: "\(document.name), section \"\($0.title)\"") }
        let prompt = GroundedPrompt.build(question: Self.summaryRequest, candidates: candidates, maxContextTokens: writer.model.config.maxContextTokens,
                                          replyTokens: writer.model.config.maxReplyTokens)
        return try await writer.write(prompt, admission: try writer.model.admit()) { _ in }
    }

    /// The model's answer to each of the pipeline's questions.
    private func answers(_ id: Int64) async throws -> [WrittenAnswer] {
        guard let document = try store.document(id: id) else { return [] }
        var written: [WrittenAnswer] = []
        for question in settings.pipelines[document.pipeline]?.questions ?? [] {
            let asker = self.asker
            let found: AskService.Found
            do {
                found = try await lane.run { try asker.ask(documentID: id, question: question, k: GroundedAnswerer.candidates, dense: false) }
            } catch AskService.Failure.onlyCommonWords {
                written.append(WrittenAnswer(question: question, answer: nil, error: "the question holds only common words"))
                continue
            }
            let prompt = writer.prompt(question: question, found: found)
            do {
                written.append(WrittenAnswer(question: question, answer: try await writer.write(prompt, admission: try writer.model.admit()) { _ in }))
            } catch let error as ModelError where !error.retryable && error != .notConfigured {
                // This question's answer is refused (an empty reply, a filter): said with it; the others stand.
                written.append(WrittenAnswer(question: question, answer: nil, error: error.description))
            }
        }
        return written
    }
}
