import Foundation
import TomeAPI
import TomeLLM
import TomeStore

/// Written answers: the passages the engine ranks for a question become
/// the numbered excerpts of a `GroundedPrompt` (as many as the model's
/// window holds), the language model writes from them, and its citations
/// are checked against the excerpts it was given.
struct GroundedAnswerer: Sendable {
    let store: Store
    let model: LanguageModel

    /// Passages asked of the engine for the model: more than a reader wants
    /// to see, so the budget, not the count, decides how much it reads.
    static let candidates = 50

    /// The prompt for `question` from what the engine found, best first.
    func prompt(question: String, found: AskService.Found) -> GroundedPrompt {
        var names: [Int64: String] = [:]
        let candidates = found.answers.map { a -> Excerpt in
            if names[a.documentID] == nil { names[a.documentID] = (try? store.document(id: a.documentID))?.name ?? "document \(a.documentID)" }
            return Excerpt(document: a.documentID, documentName: names[a.documentID] ?? "", firstPage: a.contextPages.lowerBound,
                           lastPage: a.contextPages.upperBound, start: a.answer.contextStart, end: a.answer.contextEnd, text: a.answer.context)
        }
        return GroundedPrompt.build(question: question, candidates: candidates, maxContextTokens: model.config.maxContextTokens,
                                    replyTokens: model.config.maxReplyTokens)
    }

    /// The excerpts as the API shows them.
    static func wire(_ excerpts: [Excerpt]) -> [AskExcerpt] {
        excerpts.map { AskExcerpt(n: $0.number, document: $0.document, page: $0.firstPage, lastPage: $0.lastPage, start: $0.start, end: $0.end, text: $0.text) }
    }

    /// The model's answer from `prompt`, each piece handed to `onText` as it comes.
    /// A server that refuses the prompt as over its window (its tokenizer counted more than
    /// Tome's estimate) is asked once more with the first excerpts only, those that fit 60%
    /// of the budget (their numbers unchanged; `excerptsSent` says how many), in a place of
    /// the daemon's own (the asker's share was checked for the first call; a full line is `ModelError.busy`).
    func write(_ prompt: GroundedPrompt, admission: LanguageModel.Admission, onText: @Sendable (String) async throws -> Void) async throws -> GeneratedAnswer {
        var prompt = prompt
        let reply: ChatClient.Reply
        do {
            reply = try await model.call(prompt.messages, admission: admission, estimatedPromptTokens: prompt.estimatedTokens, onText: onText)
        } catch ModelError.failed(let status, let message) where status == 400 && Self.overWindow(message) {
            guard let smaller = prompt.shrunk() else { throw ModelError.failed(status: status, message: message) }
            prompt = smaller
            reply = try await model.call(prompt.messages, admission: try model.admit(), estimatedPromptTokens: prompt.estimatedTokens, onText: onText)
        }
        let citations = Citations(reply: reply.text, excerpts: prompt.excerpts.count)
        let given = Self.wire(prompt.excerpts)
        return GeneratedAnswer(
            text: reply.text, citations: citations.cited.map { given[$0 - 1] }, unknownCitations: citations.unknown, model: model.config.model,
            finishReason: reply.finishReason, promptTokens: reply.usage?.promptTokens, promptTokensEstimate: prompt.estimatedTokens,
            completionTokens: reply.usage?.completionTokens, firstTokenMs: reply.firstTextSeconds.map { ($0 * 1000).rounded(toPlaces: 1) },
            elapsedMs: (reply.seconds * 1000).rounded(toPlaces: 1), createdAt: iso8601(Date()), excerptsSent: prompt.excerpts.count)
    }

    /// An error message that says the prompt is over the model's window (llama.cpp, OpenAI, vLLM, Ollama word it so).
    static func overWindow(_ message: String) -> Bool {
        let m = message.lowercased()
        return m.contains("context") && (m.contains("exceed") || m.contains("length") || m.contains("window") || m.contains("too long"))
            || m.contains("maximum") && m.contains("token")
    }
}

extension ModelError {
    /// The error as the API's error body.
    var detail: ErrorResponse.Detail {
        ErrorResponse.Detail(code: ErrorCode(rawValue: code), message: description, retryable: retryable)
    }
}
