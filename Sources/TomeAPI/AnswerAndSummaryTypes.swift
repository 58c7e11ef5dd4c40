// What was written of a document when it was stored: its answers and summaries. The JSON bodies of the control API
// (`openapi.yaml`), shared by the daemon that writes them and the `tome` CLI
// that reads them. Keys are snake_case; times are ISO 8601 UTC strings.

/// Where the document defines a term an answer names its date by ("the
/// Effective Date"): the defining sentence, its page and byte range.
public struct AnswerDefinition: Codable, Sendable, Equatable {
    public var term: String
    public var text: String
    public var page: Int
    public var start: Int
    public var end: Int

    public init(term: String, text: String, page: Int, start: Int, end: Int) {
        self.term = term
        self.text = text
        self.page = page
        self.start = start
        self.end = end
    }
}

/// `GET /v1/documents/{id}/answers`: the document's pipeline questions with
/// their stored answers (`answer` is null for a question nothing answered).
public struct AnswersResponse: Codable, Sendable, Equatable {
    public struct Answer: Codable, Sendable, Equatable {
        /// The answering sentence and the passage around it.
        public var text: String
        public var context: String
        public var page: Int
        /// UTF-8 byte range of the sentence in the document's text.
        public var start: Int
        public var end: Int
        public var score: Double
        /// Whether the answer can be trusted (`AskResponse.Answer.sure`); nil for answers stored before it existed.
        public var sure: Bool?
        public var definition: AnswerDefinition?

        public init(text: String, context: String, page: Int, start: Int, end: Int, score: Double, sure: Bool? = nil,
                    definition: AnswerDefinition? = nil) {
            self.text = text
            self.context = context
            self.page = page
            self.start = start
            self.end = end
            self.score = score
            self.sure = sure
            self.definition = definition
        }
    }

    public struct Item: Codable, Sendable, Equatable {
        public var question: String
        public var answer: Answer?

        public init(question: String, answer: Answer?) {
            self.question = question
            self.answer = answer
        }
    }

    public var document: Int64
    public var pipeline: String
    /// False while the stored answers are not those of the pipeline's current
    /// questions (being answered again after a change).
    public var current: Bool
    public var answers: [Item]
    /// The language model's answers, when the pipeline asks for them (`written_answers`).
    public var written: Written<[WrittenAnswer]>?

    public init(document: Int64, pipeline: String, current: Bool, answers: [Item], written: Written<[WrittenAnswer]>? = nil) {
        self.document = document
        self.pipeline = pipeline
        self.current = current
        self.answers = answers
        self.written = written
    }
}

/// One pipeline question and what the model wrote to it (nil: nothing, with why).
public struct WrittenAnswer: Codable, Sendable, Equatable {
    public var question: String
    public var answer: GeneratedAnswer?
    public var error: String?

    public init(question: String, answer: GeneratedAnswer?, error: String? = nil) {
        self.question = question
        self.answer = answer
        self.error = error
    }
}

/// What the language model wrote of a document, as a stage after it was
/// stored: `pending` (not yet; retried while the model is away), `done`
/// (`result`, with the model and time), or `failed` (`error` says why;
/// `tome reprocess ID --written` tries again).
public struct Written<Result: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var state: String
    public var result: Result?
    public var model: String?
    public var writtenAt: String?
    /// Tries so far, the last one's error, and when the next is due (pending).
    public var attempts: Int
    public var error: String?
    public var nextTry: String?

    public init(state: String, result: Result?, model: String?, writtenAt: String?, attempts: Int, error: String?, nextTry: String?) {
        self.state = state
        self.result = result
        self.model = model
        self.writtenAt = writtenAt
        self.attempts = attempts
        self.error = error
        self.nextTry = nextTry
    }

    enum CodingKeys: String, CodingKey {
        case state, result, model, attempts, error
        case writtenAt = "written_at", nextTry = "next_try"
    }
}

/// `GET /v1/documents/{id}/summary`: the document's extractive summary and
/// one per outline section of meaningful size. Every sentence cites its page
/// and the UTF-8 byte range that slices the document's text to it.
public struct SummaryResponse: Codable, Sendable, Equatable {
    public struct Sentence: Codable, Sendable, Equatable {
        public var text: String
        public var page: Int?
        public var start: Int
        public var end: Int

        public init(text: String, page: Int?, start: Int, end: Int) {
            self.text = text
            self.page = page
            self.start = start
            self.end = end
        }
    }

    public struct Summary: Codable, Sendable, Equatable {
        /// The sentences joined with spaces, in document order.
        public var text: String
        public var sentences: [Sentence]

        public init(sentences: [Sentence]) {
            self.text = sentences.map(\.text).joined(separator: " ")
            self.sentences = sentences
        }
    }

    public struct Section: Codable, Sendable, Equatable {
        public var title: String
        public var page: Int?
        public var summary: Summary

        public init(title: String, page: Int?, summary: Summary) {
            self.title = title
            self.page = page
            self.summary = summary
        }
    }

    public var document: Int64
    public var summary: Summary
    public var sections: [Section]
    /// The language model's summary, when the pipeline asks for one (`written_summary`): its text cites the summary's sentences as [n].
    public var written: Written<GeneratedAnswer>?

    public init(document: Int64, summary: Summary, sections: [Section], written: Written<GeneratedAnswer>? = nil) {
        self.document = document
        self.summary = summary
        self.sections = sections
        self.written = written
    }
}
