import Foundation
import Hummingbird
import NIOCore
import TomeAPI
import TomeEngine
import TomeLLM
import TomeStore

/// `/v1/documents/{id}/ask`, `/v1/ask` and `/v1/engram`: questions to one
/// document or all of them, and the corpus memory's counts for a phrase.
/// Asking changes nothing, so a reader may ask (POST only because a question is a body).
struct AskAPI: Sendable {
    let asker: AskService
    let memory: CorpusMemory
    let lanes: Lanes
    /// Written answers (`"generate": true`), when `[llm]` is configured.
    let writer: GroundedAnswerer

    var endpoints: [Endpoint] {
        [
            Endpoint(.post, "/v1/documents/:id/ask", access: .read) { request, context in
                try await ask(request, context: context, id: try Parameters.documentID(context))
            },
            Endpoint(.post, "/v1/ask", access: .read) { request, context in try await ask(request, context: context, id: nil) },
            Endpoint(.get, "/v1/engram", query: ["q"], access: .read) { request, _ in try JSONBody.response(try engram(request)) },
        ]
    }

    /// The wire form of what an ask found.
    static func response(_ found: AskService.Found) -> AskResponse {
        let answers = found.answers.map { a in
            AskResponse.Answer(text: a.answer.text, context: a.answer.context, score: a.answer.score, sure: a.answer.sure, page: a.page,
                               start: a.answer.start, end: a.answer.end, contextStart: a.answer.contextStart, contextEnd: a.answer.contextEnd,
                               document: a.documentID, definition: a.definition)
        }
        let s = found.stats
        var hint: String? = nil
        if answers.isEmpty {
            let scope = found.documentID.map { "document \($0)" } ?? "the documents"
            hint = found.documents == 0 ? "no document is done yet"
                : s.meaning ? "no sentence of \(scope) holds the question's words or comes near its meaning; ask with words the document uses, in its language"
                : "no sentence of \(scope) holds any of the question's words; ask with words the document uses, in its language"
        }
        return AskResponse(answers: answers, stats: AskResponse.Stats(
            blocksScanned: s.blocksScanned, blocksSelected: s.blocksSelected, sentencesAttended: s.sentencesAttended, mode: s.dense ? .dense : .sparse,
            exact: s.exact, documents: found.documents, needReprocess: found.needReprocess, elapsedMs: (found.seconds * 1000).rounded(toPlaces: 3),
            answerKind: found.answerKind?.rawValue, meaning: s.meaning, deep: s.deep), hint: hint)
    }

    /// Questions are short; a body past this is not a question.
    static let maxQuestionBytes = 64 << 10

    func ask(_ request: Request, context: TomeRequestContext, id: Int64?) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: Self.maxQuestionBytes)
        let question: AskRequest
        let shape = "{\"question\": \"…\", \"k\": 5, \"mode\": \"sparse\"}"
        do {
            question = try JSONDecoder().decode(AskRequest.self, from: Data(body.readableBytesView))
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            // JSON, but a field of the wrong type ("k": "3", "question": 5): say which.
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw APIError.badRequest("\(field.isEmpty ? "the body" : field) has the wrong type: the body is \(shape) (question a string, k a whole number)")
        } catch DecodingError.keyNotFound(let key, _) {
            throw APIError.badRequest("\(key.stringValue) is missing: the body is \(shape)")
        } catch {
            throw APIError.badRequest("the body must be JSON: \(shape)")
        }
        guard !question.question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw APIError.badRequest("question is empty") }
        guard question.question.contains(where: { $0.isLetter || $0.isNumber }) else {
            throw APIError.badRequest("the question has no word to look for")
        }
        let k = question.k ?? 5
        guard (1...50).contains(k) else { throw APIError.badRequest("k must be between 1 and 50") }
        let mode = question.mode ?? .sparse
        let asker = self.asker
        // A written answer takes its place among the model's calls first: a full queue is a 429 now, not a failed stream later.
        var admission: LanguageModel.Admission? = nil
        if question.generate == true {
            do {
                admission = try writer.model.admit(owner: context.peerUID)
            } catch let full as LanguageModel.OwnerShareFull {
                throw APIError(status: .tooManyRequests, code: .modelBusy,
                               message: "you already have \(full.share) written answers waiting or running, as many as one user may; try again when one is done",
                               retryable: true, retryAfter: 5)
            } catch ModelError.notConfigured {
                throw APIError(status: .serviceUnavailable, code: .modelNotConfigured,
                               message: "no language model is configured: set [llm] base_url and model in tomed.toml (ask without generate for the document's own sentences)")
            } catch ModelError.busy(let waiting) {
                throw APIError(status: .tooManyRequests, code: .modelBusy, message: "\(waiting) written answers are waiting for the model already; try again later",
                               retryable: true, retryAfter: 5)
            } catch let error as ModelError {
                throw APIError(status: .serviceUnavailable, code: ErrorCode(rawValue: error.code), message: error.description, retryable: error.retryable)
            }
        }
        do {
            // The engine computes for a millisecond (dense: a good part of a second
            // per million tokens): on its own lane, never on the threads serving requests.
            // A peer user has its share of the dense lane only: one reader cannot fill it for the others.
            // A deep ask (the encoder over the best answers, a few hundred milliseconds) is as slow: the same lane.
            let wanted = admission == nil ? k : max(k, GroundedAnswerer.candidates)
            let deep = question.deep ?? false
            if deep, let why = asker.deepUnavailable() { throw AskService.Failure.deepUnavailable(why) }
            let found = try await (mode == .dense || deep ? lanes.dense : lanes.asks).run(owner: context.peerUID) {
                try asker.ask(documentID: id, question: question.question, k: wanted, dense: mode == .dense, deep: deep)
            }
            guard let admission else { return try JSONBody.response(Self.response(found)) }
            return try await generate(question: question, k: k, found: found, admission: admission)
        } catch AskService.Failure.deepUnavailable(let why) {
            throw APIError(status: .serviceUnavailable, code: .deepUnavailable, message: why)
        } catch AskService.Failure.onlyCommonWords {
            throw APIError.badRequest("the question holds only common words (\(question.question.prefix(80))): ask with a word the answer would hold")
        } catch AskService.Failure.notFound(let id) {
            throw APIError.notFound("no document \(id)")
        } catch AskService.Failure.notReady(let id, let status) {
            throw APIError.notReady(id, status: status, request: "ask it")
        } catch AskService.Failure.needsReprocess(let id, let why) {
            throw APIError(status: .conflict, code: .needsReprocess, message: "\(why); reprocess it: tome reprocess \(id)", id: id)
        }
    }

    /// The engine's `k` answers and the excerpts at once, then the model's
    /// answer: streamed as `AskEvent` lines (NDJSON), or whole with
    /// `"stream": false`. A model that fails leaves the engine's answers
    /// standing and says why (an `error` line, or `generation_error`).
    func generate(question: AskRequest, k: Int, found: AskService.Found, admission: LanguageModel.Admission) async throws -> Response {
        let prompt = writer.prompt(question: question.question, found: found)
        var shown = found
        shown.answers = Array(found.answers.prefix(k))
        var ask = Self.response(shown)
        ask.excerpts = GroundedAnswerer.wire(prompt.excerpts)
        let writer = self.writer
        guard question.stream ?? true else {
            do {
                ask.generated = try await writer.write(prompt, admission: admission) { _ in }
            } catch let error as ModelError {
                ask.generationError = error.detail
            }
            return try JSONBody.response(ask)
        }
        let opening = ask
        return Response(
            status: .ok,
            headers: [.contentType: "application/x-ndjson", .cacheControl: "no-cache"],
            body: ResponseBody { bodyWriter in
                let encoder = JSONBody.encoder()
                func line(_ event: AskEvent) throws -> ByteBuffer {
                    var data = try encoder.encode(event)
                    data.append(0x0A)
                    return ByteBuffer(bytes: data)
                }
                try await bodyWriter.write(try line(AskEvent(event: .context, ask: opening)))
                // The pieces go out as they come; a client that left ends the call (the write throws).
                let pieces = AsyncThrowingStream<String, Error>.makeStream()
                let call = Task {
                    do {
                        let answer = try await writer.write(prompt, admission: admission) { pieces.continuation.yield($0) }
                        pieces.continuation.finish()
                        return AskEvent(event: .done, answer: answer)
                    } catch let error as ModelError {
                        pieces.continuation.finish()
                        return AskEvent(event: .error, error: error.detail, retryAfter: error.retryAfter)
                    } catch {
                        pieces.continuation.finish(throwing: error)
                        throw error
                    }
                }
                // A task cancelled here (the server stopping) ends the call, wherever it is: waiting for a slot or writing.
                try await withTaskCancellationHandler {
                    do {
                        for try await piece in pieces.stream { try await bodyWriter.write(try line(AskEvent(event: .text, text: piece))) }
                    } catch {
                        call.cancel()
                        throw error
                    }
                    try await bodyWriter.write(try line(try await call.value))
                    try await bodyWriter.finish(nil)
                } onCancel: {
                    call.cancel()
                }
            }
        )
    }

    func engram(_ request: Request) throws -> EngramEstimate {
        // `+` is a space in a query string (form encoding), as people type it: ?q=block+sorting.
        guard let phrase = request.uri.queryParameters["q"].map({ $0.replacingOccurrences(of: "+", with: " ") }), !phrase.isEmpty else {
            throw APIError.badRequest("the phrase is required: GET /v1/engram?q=PHRASE")
        }
        var tokenizer = Tokenizer()
        let ids = tokenizer.tokenize(phrase).filter(\.isContent).map(\.id)
        guard !ids.isEmpty else { throw APIError.badRequest("the phrase has no words") }
        return try memory.read { memory in
            // A phrase longer than the longest order: its least frequent window.
            let order = min(ids.count, memory.hasher.layout.orders)
            var documents = UInt32.max, occurrences = UInt32.max, salience = 0.0
            for end in (order - 1)..<ids.count {
                let gram = Array(ids[(end - order + 1)...end])
                let estimate = memory.estimate(gram)
                if estimate.occurrences < occurrences || (estimate.occurrences == occurrences && estimate.documents < documents) {
                    (documents, occurrences, salience) = (estimate.documents, estimate.occurrences, memory.salience(gram))
                }
            }
            return EngramEstimate(phrase: phrase, tokens: ids.count, documents: Int(documents), occurrences: Int(occurrences),
                                  salience: salience.rounded(toPlaces: 4), corpusDocuments: Int(memory.documents))
        }
    }
}
