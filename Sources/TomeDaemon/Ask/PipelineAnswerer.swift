import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TomeAPI
import TomeStore

/// Answers a pipeline's questions for each of its documents with `ask` (the
/// best sparse answer, k = 1) and stores them with the document.
///
/// A document is answered in its own job, right after its commit. As a
/// service, it also answers every done document whose stored answers are
/// not those of its pipeline's current questions — at start (a kill between
/// the commit and the answers, questions changed while stopped) and after
/// each SIGHUP (questions changed) — in the background, on the asks lane,
/// once the corpus memory can be read.
final class PipelineAnswerer: Service, Sendable {
    private let store: Store
    private let asker: AskService
    private let memory: CorpusMemory
    private let settings: SettingsBox
    private let lane: ComputeLane
    private let logger: Logger
    private let pokes: AsyncStream<Void>
    private let poker: AsyncStream<Void>.Continuation

    init(store: Store, asker: AskService, memory: CorpusMemory, settings: SettingsBox, lane: ComputeLane, logger: Logger) {
        self.store = store
        self.asker = asker
        self.memory = memory
        self.settings = settings
        self.lane = lane
        self.logger = logger
        (pokes, poker) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Asks for a pass over every document (after a reload).
    func catchUp() { poker.yield() }

    /// Answers document `id`'s pipeline questions and stores the answers;
    /// returns them (empty when its pipeline has none).
    @discardableResult
    func answer(documentID id: Int64) async throws -> [PipelineAnswers.Row] {
        guard let document = try store.document(id: id) else { return [] }
        let questions = settings.pipelines[document.pipeline]?.questions ?? []
        let (store, asker) = (self.store, self.asker)
        return try await lane.run {
            let rows = try questions.map { question in
                guard let best = try asker.ask(documentID: id, question: question, k: 1, dense: false).answers.first else {
                    return PipelineAnswers.Row(question: question)
                }
                return PipelineAnswers.Row(question: question, text: best.answer.text, context: best.answer.context, page: best.page,
                                           start: best.answer.start, end: best.answer.end, score: best.answer.score, sure: best.answer.sure,
                                           definition: best.definition)
            }
            try store.replaceAnswers(documentID: id, questions: questions, rows: rows)
            return rows
        }
    }

    func run() async throws {
        poker.yield()
        await cancelWhenGracefulShutdown {
            for await _ in self.pokes {
                while self.memory.state != .ready && self.memory.state != .stale && !Task.isCancelledOrShuttingDown {
                    try? await Task.sleep(for: .milliseconds(500))
                }
                await self.answerStale()
            }
        }
    }

    /// Every done document whose answers are not its pipeline's current questions'.
    private func answerStale() async {
        var answered = 0
        for (name, pipeline) in settings.pipelines.sorted(by: { $0.key < $1.key }) {
            for id in (try? store.documentsToAnswer(pipeline: name, questions: pipeline.questions)) ?? [] {
                if Task.isCancelledOrShuttingDown { return }
                do {
                    try await answer(documentID: id)
                    answered += 1
                } catch {
                    logger.warning("cannot answer the pipeline's questions", metadata: ["document": "\(id)", "error": "\(error)"])
                }
            }
        }
        if answered > 0 { logger.notice("answered pipeline questions", metadata: ["documents": "\(answered)"]) }
    }
}
