import Foundation
import Hummingbird
import NIOCore
import TomeAPI
import TomeEngine
import TomeStore

/// `/v1/documents/{id}/summary` and `/answers`: what was written of a
/// document when it was stored — its summaries, and the answers to its
/// pipeline's questions (answered again now by `reprocess?stage=answers`) —
/// and what the language model wrote of it after (`written`; written again
/// by `reprocess?stage=written`).
struct AnswersAPI: Sendable {
    let store: Store
    let settings: SettingsBox
    let answerer: PipelineAnswerer
    /// The language model's stage, for `reprocess?stage=written`.
    let written: WrittenWorker

    var endpoints: [Endpoint] {
        [
            Endpoint(.get, "/v1/documents/:id/summary", access: .read) { _, context in
                try JSONBody.response(try summary(try Parameters.documentID(context)))
            },
            Endpoint(.get, "/v1/documents/:id/answers", access: .read) { _, context in
                try JSONBody.response(try answers(try Parameters.documentID(context)))
            },
        ]
    }

    /// The document's summary and its sections'.
    func summary(_ id: Int64) throws -> SummaryResponse {
        _ = try store.doneDocument(id, what: "summary")
        guard let stored = try store.summary(documentID: id) else {
            throw APIError(status: .conflict, code: .needsReprocess,
                           message: "document \(id) was stored before summaries existed; reprocess it: tome reprocess \(id)", id: id)
        }
        let sentences = { (list: [StoredSummary.Sentence]) in
            SummaryResponse.Summary(sentences: list.map { SummaryResponse.Sentence(text: $0.text, page: $0.page, start: $0.start, end: $0.end) })
        }
        return SummaryResponse(document: id, summary: sentences(stored.sentences), sections: stored.sections.map {
            SummaryResponse.Section(title: $0.title, page: $0.page, summary: sentences($0.sentences))
        }, written: try written(id, .summary, as: GeneratedAnswer.self))
    }

    /// The model's work of `kind` for document `id`, as the API shows it; nil when there is none (the pipeline does not ask for it).
    func written<R: Codable & Sendable & Equatable>(_ id: Int64, _ kind: WrittenWork.Kind, as: R.Type) throws -> Written<R>? {
        guard let row = try store.written(documentID: id)[kind] else { return nil }
        let result = row.state == .done ? row.body.flatMap { try? JSONDecoder().decode(R.self, from: Data($0.utf8)) } : nil
        return Written(state: row.state.rawValue, result: result, model: row.model, writtenAt: row.writtenAt, attempts: row.attempts, error: row.error,
                       nextTry: row.state == .pending && row.nextTry > 0 ? iso8601(Date(timeIntervalSince1970: row.nextTry)) : nil)
    }

    /// The pipeline's questions with the document's stored answers.
    func answers(_ id: Int64) throws -> AnswersResponse {
        let document = try store.doneDocument(id, what: "answers")
        let questions = settings.pipelines[document.pipeline]?.questions ?? []
        let stored = try store.answers(documentID: id)
        return AnswersResponse(
            document: id, pipeline: document.pipeline, current: stored.map(\.question) == questions,
            answers: stored.map { row in
                guard let text = row.text, let start = row.start, let end = row.end else { return AnswersResponse.Item(question: row.question, answer: nil) }
                return AnswersResponse.Item(question: row.question, answer: AnswersResponse.Answer(
                    text: text, context: row.context ?? text, page: row.page ?? 1, start: start, end: end, score: row.score ?? 0, sure: row.sure,
                    definition: row.definition))
            }, written: try written(id, .answers, as: [WrittenAnswer].self))
    }

    /// Answers the pipeline's current questions again, now, without extracting the document again.
    func answerAgain(_ id: Int64) async throws -> Response {
        guard let document = try store.document(id: id) else { throw APIError.notFound("no document \(id)") }
        guard document.status == .done else { throw APIError.notReady(id, status: document.status, request: "answer it again") }
        try await answerer.answer(documentID: id)
        return try JSONBody.response(try answers(id))
    }
}
