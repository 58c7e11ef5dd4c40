import Foundation
import Hummingbird
import NIOCore
import TomeAPI
import TomeEngine
import TomeStore

/// `/v1/documents/{id}/summary` and `/answers`: what was written of a
/// document when it was stored — its summaries, and the answers to its
/// pipeline's questions (answered again now by `reprocess?stage=answers`).
struct AnswersAPI: Sendable {
    let store: Store
    let settings: SettingsBox
    let answerer: PipelineAnswerer

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
        })
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
            })
    }

    /// Answers the pipeline's current questions again, now, without extracting the document again.
    func answerAgain(_ id: Int64) async throws -> Response {
        guard let document = try store.document(id: id) else { throw APIError.notFound("no document \(id)") }
        guard document.status == .done else { throw APIError.busy(id) }
        try await answerer.answer(documentID: id)
        return try JSONBody.response(try answers(id))
    }
}
