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

    public init(document: Int64, pipeline: String, current: Bool, answers: [Item]) {
        self.document = document
        self.pipeline = pipeline
        self.current = current
        self.answers = answers
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

    public init(document: Int64, summary: Summary, sections: [Section]) {
        self.document = document
        self.summary = summary
        self.sections = sections
    }
}
