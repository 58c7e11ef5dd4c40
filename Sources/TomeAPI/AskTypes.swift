// Questions: `/v1/ask`, `/v1/documents/{id}/ask` and `/v1/engram`. The JSON bodies of the control API
// (`openapi.yaml`), shared by the daemon that writes them and the `tome` CLI
// that reads them. Keys are snake_case; times are ISO 8601 UTC strings.

/// `POST /v1/documents/{id}/ask` and `POST /v1/ask`.
public struct AskRequest: Codable, Sendable, Equatable {
    public var question: String
    /// Answers wanted (1…50). The default is 5.
    public var k: Int?
    /// The default is `sparse`.
    public var mode: AskMode?
    /// Have the configured language model (`[llm]`) write an answer from the
    /// passages the engine selects, citing them as [n]. The default is false.
    public var generate: Bool?
    /// With `generate`: the reply as NDJSON lines while the model writes
    /// (`AskEvent`), or false for one JSON body at the end. The default is true.
    public var stream: Bool?
    /// Read the best answers again with the semantic model's full encoder
    /// and reorder them by what they mean (`DeepReader`): a few hundred
    /// milliseconds instead of about one. The default is false.
    public var deep: Bool?

    public init(question: String, k: Int? = nil, mode: AskMode? = nil, generate: Bool? = nil, stream: Bool? = nil, deep: Bool? = nil) {
        self.deep = deep
        self.question = question
        self.k = k
        self.mode = mode
        self.generate = generate
        self.stream = stream
    }
}

/// A passage given to the language model: the number it cites it by, where it is.
public struct AskExcerpt: Codable, Sendable, Equatable {
    public var n: Int
    public var document: Int64
    /// The pages it spans (from 1), and its UTF-8 byte range in the document's text.
    public var page: Int
    public var lastPage: Int
    public var start: Int
    public var end: Int
    public var text: String

    public init(n: Int, document: Int64, page: Int, lastPage: Int, start: Int, end: Int, text: String) {
        self.n = n
        self.document = document
        self.page = page
        self.lastPage = lastPage
        self.start = start
        self.end = end
        self.text = text
    }

    enum CodingKeys: String, CodingKey {
        case n, document, page, start, end, text
        case lastPage = "last_page"
    }
}

/// What the language model wrote from the excerpts, with its citations checked.
public struct GeneratedAnswer: Codable, Sendable, Equatable {
    public var text: String
    /// The excerpts it cites that it was given, in the order first cited, with their pages and byte ranges.
    public var citations: [AskExcerpt]
    /// Numbers it cites that it was not given: not sources (shown so a reader can tell).
    public var unknownCitations: [Int]
    public var model: String
    /// `stop`, or `length` when the reply reached `[llm] max_reply_tokens`.
    public var finishReason: String?
    /// The prompt's tokens as the server counted them (when it says), and as Tome estimated them.
    public var promptTokens: Int?
    public var promptTokensEstimate: Int
    public var completionTokens: Int?
    /// Milliseconds to the model's first words, and to its last.
    public var firstTokenMs: Double?
    public var elapsedMs: Double
    /// When it was written (ISO 8601 UTC).
    public var createdAt: String
    /// The excerpts the model read: all of those given, or the first of them when the server
    /// refused the whole as over its window and was asked again with fewer.
    public var excerptsSent: Int?

    public init(text: String, citations: [AskExcerpt], unknownCitations: [Int], model: String, finishReason: String?, promptTokens: Int?,
                promptTokensEstimate: Int, completionTokens: Int?, firstTokenMs: Double?, elapsedMs: Double, createdAt: String, excerptsSent: Int? = nil) {
        self.excerptsSent = excerptsSent
        self.text = text
        self.citations = citations
        self.unknownCitations = unknownCitations
        self.model = model
        self.finishReason = finishReason
        self.promptTokens = promptTokens
        self.promptTokensEstimate = promptTokensEstimate
        self.completionTokens = completionTokens
        self.firstTokenMs = firstTokenMs
        self.elapsedMs = elapsedMs
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case text, citations, model
        case unknownCitations = "unknown_citations", finishReason = "finish_reason", promptTokens = "prompt_tokens"
        case promptTokensEstimate = "prompt_tokens_estimate", completionTokens = "completion_tokens", firstTokenMs = "first_token_ms"
        case elapsedMs = "elapsed_ms", createdAt = "created_at", excerptsSent = "excerpts_sent"
    }
}

/// One line of a streamed `generate` ask (NDJSON), in this order: one
/// `context` (the engine's answers and the excerpts sent to the model),
/// `text` lines as the model writes, then `done` (the answer, its
/// citations checked) or `error` (the model failed: the answers of the
/// `context` line stand).
public struct AskEvent: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable { case context, text, done, error }
    public var event: Kind
    /// `context`: what a plain ask answers, with `excerpts`.
    public var ask: AskResponse?
    /// `text`: the next piece of the model's reply.
    public var text: String?
    /// `done`.
    public var answer: GeneratedAnswer?
    /// `error`: why the model gave no whole answer.
    public var error: ErrorResponse.Detail?
    /// `error`, for `model_rate_limited`: seconds the server asked to wait.
    public var retryAfter: Double?

    public init(event: Kind, ask: AskResponse? = nil, text: String? = nil, answer: GeneratedAnswer? = nil, error: ErrorResponse.Detail? = nil,
                retryAfter: Double? = nil) {
        self.event = event
        self.ask = ask
        self.text = text
        self.answer = answer
        self.error = error
        self.retryAfter = retryAfter
    }

    enum CodingKeys: String, CodingKey {
        case event, ask, text, answer, error
        case retryAfter = "retry_after"
    }
}

public struct AskResponse: Codable, Sendable, Equatable {
    public struct Answer: Codable, Sendable, Equatable {
        /// The answering sentence, and the passage around it (whole sentences).
        public var text: String
        public var context: String
        /// The attention probability of this sentence among those read, the
        /// reordering included: answers come in the order of their scores.
        public var score: Double
        /// The sentence holds the question's rarest word, enough of the rest,
        /// and the kind of value asked for: false is a lead, not an answer.
        public var sure: Bool
        public var page: Int
        /// UTF-8 byte ranges of the sentence and of the passage in the document's text.
        public var start: Int
        public var end: Int
        public var contextStart: Int
        public var contextEnd: Int
        public var document: Int64
        /// For a date named by a term the document defines ("on the Effective Date"): where it defines it.
        public var definition: AnswerDefinition?

        public init(text: String, context: String, score: Double, sure: Bool, page: Int, start: Int, end: Int, contextStart: Int,
                    contextEnd: Int, document: Int64, definition: AnswerDefinition? = nil) {
            self.text = text
            self.context = context
            self.score = score
            self.sure = sure
            self.page = page
            self.start = start
            self.end = end
            self.contextStart = contextStart
            self.contextEnd = contextEnd
            self.document = document
            self.definition = definition
        }

        enum CodingKeys: String, CodingKey {
            case text, context, score, sure, page, start, end, document, definition
            case contextStart = "context_start", contextEnd = "context_end"
        }
    }

    public struct Stats: Codable, Sendable, Equatable {
        public var blocksScanned: Int
        public var blocksSelected: Int
        public var sentencesAttended: Int
        public var mode: AskMode
        /// The indexer's bound was met: the answers are those dense attention gives.
        public var exact: Bool
        public var documents: Int
        /// Done documents whose stored index this engine cannot read: reprocess them.
        public var needReprocess: [Int64]
        public var elapsedMs: Double
        /// The kind of value the question asks for, as the answer expert read
        /// it (date, quantity, name, definition): sentences holding one were
        /// lifted. Absent for other questions.
        public var answerKind: String?
        /// Sentences were scored by meaning as well as by words (the semantic
        /// head's model is installed and the documents were indexed with it).
        public var meaning: Bool
        /// The full encoder reordered the best answers (the ask was `deep`).
        public var deep: Bool

        public init(blocksScanned: Int, blocksSelected: Int, sentencesAttended: Int, mode: AskMode, exact: Bool, documents: Int,
                    needReprocess: [Int64] = [], elapsedMs: Double, answerKind: String? = nil, meaning: Bool = false, deep: Bool = false) {
            self.meaning = meaning
            self.deep = deep
            self.blocksScanned = blocksScanned
            self.blocksSelected = blocksSelected
            self.sentencesAttended = sentencesAttended
            self.mode = mode
            self.exact = exact
            self.documents = documents
            self.needReprocess = needReprocess
            self.elapsedMs = elapsedMs
            self.answerKind = answerKind
        }

        /// `meaning` and `deep` may be missing: a daemon older than this client does not send them.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            blocksScanned = try c.decode(Int.self, forKey: .blocksScanned)
            blocksSelected = try c.decode(Int.self, forKey: .blocksSelected)
            sentencesAttended = try c.decode(Int.self, forKey: .sentencesAttended)
            mode = try c.decode(AskMode.self, forKey: .mode)
            exact = try c.decode(Bool.self, forKey: .exact)
            documents = try c.decode(Int.self, forKey: .documents)
            needReprocess = try c.decode([Int64].self, forKey: .needReprocess)
            elapsedMs = try c.decode(Double.self, forKey: .elapsedMs)
            answerKind = try c.decodeIfPresent(String.self, forKey: .answerKind)
            meaning = try c.decodeIfPresent(Bool.self, forKey: .meaning) ?? false
            deep = try c.decodeIfPresent(Bool.self, forKey: .deep) ?? false
        }

        enum CodingKeys: String, CodingKey {
            case mode, documents, exact, meaning, deep
            case answerKind = "answer_kind"
            case blocksScanned = "blocks_scanned", blocksSelected = "blocks_selected"
            case sentencesAttended = "sentences_attended", elapsedMs = "elapsed_ms", needReprocess = "need_reprocess"
        }
    }

    public var answers: [Answer]
    public var stats: Stats
    /// Why there is no answer, when there is none (no sentence holds any of
    /// the question's words); absent otherwise.
    public var hint: String?
    /// With `generate`: the passages sent to the model, numbered as it cites them.
    public var excerpts: [AskExcerpt]?
    /// With `generate` and `"stream": false`: the model's answer, or why there is none.
    public var generated: GeneratedAnswer?
    public var generationError: ErrorResponse.Detail?

    public init(answers: [Answer], stats: Stats, hint: String? = nil, excerpts: [AskExcerpt]? = nil, generated: GeneratedAnswer? = nil,
                generationError: ErrorResponse.Detail? = nil) {
        self.answers = answers
        self.stats = stats
        self.hint = hint
        self.excerpts = excerpts
        self.generated = generated
        self.generationError = generationError
    }

    enum CodingKeys: String, CodingKey {
        case answers, stats, hint, excerpts, generated
        case generationError = "generation_error"
    }
}

/// `GET /v1/engram?q=PHRASE`: the corpus memory's O(1) estimates for a phrase.
public struct EngramEstimate: Codable, Sendable, Equatable {
    public var phrase: String
    /// Tokens in the phrase (canonical, content only).
    public var tokens: Int
    /// Estimated documents holding it and occurrences of it (count-min: never
    /// fewer than the truth). Longer than three tokens: the least over its trigrams.
    public var documents: Int
    public var occurrences: Int
    public var salience: Double
    public var corpusDocuments: Int

    public init(phrase: String, tokens: Int, documents: Int, occurrences: Int, salience: Double, corpusDocuments: Int) {
        self.phrase = phrase
        self.tokens = tokens
        self.documents = documents
        self.occurrences = occurrences
        self.salience = salience
        self.corpusDocuments = corpusDocuments
    }

    enum CodingKeys: String, CodingKey {
        case phrase, tokens, documents, occurrences, salience
        case corpusDocuments = "corpus_documents"
    }
}
