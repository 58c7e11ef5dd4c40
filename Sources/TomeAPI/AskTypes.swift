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

    public init(question: String, k: Int? = nil, mode: AskMode? = nil) {
        self.question = question
        self.k = k
        self.mode = mode
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

        public init(blocksScanned: Int, blocksSelected: Int, sentencesAttended: Int, mode: AskMode, exact: Bool, documents: Int,
                    needReprocess: [Int64] = [], elapsedMs: Double, answerKind: String? = nil, meaning: Bool = false) {
            self.meaning = meaning
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

        /// `meaning` may be missing: a daemon older than this client does not send it.
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
        }

        enum CodingKeys: String, CodingKey {
            case mode, documents, exact, meaning
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

    public init(answers: [Answer], stats: Stats, hint: String? = nil) {
        self.answers = answers
        self.stats = stats
        self.hint = hint
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
