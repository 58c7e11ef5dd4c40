/// The JSON bodies of Tome's control API (`openapi.yaml`), shared by the
/// daemon that writes them and the `tome` CLI that reads them. Keys are
/// snake_case; times are ISO 8601 UTC strings.

/// `{"error": {"code", "message", "retryable"}}` — every error response.
public struct ErrorResponse: Codable, Sendable, Equatable {
    public struct Detail: Codable, Sendable, Equatable {
        public var code: ErrorCode
        public var message: String
        public var retryable: Bool

        public init(code: ErrorCode, message: String, retryable: Bool) {
            self.code = code
            self.message = message
            self.retryable = retryable
        }
    }

    public var error: Detail
    /// For `duplicate` (409): the document the content already is.
    public var id: Int64?

    public init(code: ErrorCode, message: String, retryable: Bool = false, id: Int64? = nil) {
        error = Detail(code: code, message: message, retryable: retryable)
        self.id = id
    }
}

/// Why a document failed: the typed code (`FailureCode`) and a message.
public struct DocumentError: Codable, Sendable, Equatable {
    public var code: FailureCode
    public var message: String

    public init(code: FailureCode, message: String) {
        self.code = code
        self.message = message
    }
}

/// How far a document in `processing` has come.
public struct DocumentProgress: Codable, Sendable, Equatable {
    public var stage: Stage
    /// Units done and in all (pages for a PDF); nil when not known.
    public var done: Int?
    public var total: Int?

    public init(stage: Stage, done: Int? = nil, total: Int? = nil) {
        self.stage = stage
        self.done = done
        self.total = total
    }

    /// `done / total` between 0 and 1, when both are known.
    public var fraction: Double? {
        guard let done, let total, total > 0 else { return nil }
        return min(1, Double(done) / Double(total))
    }
}

/// One document as `GET /v1/documents/{id}` shows it.
public struct DocumentInfo: Codable, Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var status: DocumentStatus
    public var pipeline: String
    /// `pdf`, `html`, `text`, `markdown`; nil until extracted.
    public var type: String?
    public var pages: Int?
    /// Tokens of the engine's tokenizer (words, numbers, ideographs,
    /// punctuation). Nil until analysed.
    public var tokens: Int?
    /// Size of the source file.
    public var bytes: Int64
    public var sha256: String
    public var error: DocumentError?
    public var attempts: Int
    public var progress: DocumentProgress?
    public var metadata: DocumentMetadataInfo?
    public var createdAt: String
    public var updatedAt: String
    public var finishedAt: String?

    public init(
        id: Int64, name: String, status: DocumentStatus, pipeline: String, type: String?, pages: Int?, tokens: Int?,
        bytes: Int64, sha256: String, error: DocumentError?, attempts: Int, progress: DocumentProgress?,
        metadata: DocumentMetadataInfo?, createdAt: String, updatedAt: String, finishedAt: String?
    ) {
        self.id = id
        self.name = name
        self.status = status
        self.pipeline = pipeline
        self.type = type
        self.pages = pages
        self.tokens = tokens
        self.bytes = bytes
        self.sha256 = sha256
        self.error = error
        self.attempts = attempts
        self.progress = progress
        self.metadata = metadata
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.finishedAt = finishedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, status, pipeline, type, pages, tokens, bytes, sha256, error, attempts, progress, metadata
        case createdAt = "created_at", updatedAt = "updated_at", finishedAt = "finished_at"
    }
}

/// What the document says about itself (see `tomed extract --json`).
public struct DocumentMetadataInfo: Codable, Sendable, Equatable {
    public var title: String?
    public var author: String?
    public var subject: String?
    public var keywords: String?
    public var creator: String?
    public var producer: String?
    public var created: String?
    public var modified: String?

    public init(title: String?, author: String?, subject: String?, keywords: String?, creator: String?, producer: String?, created: String?, modified: String?) {
        self.title = title
        self.author = author
        self.subject = subject
        self.keywords = keywords
        self.creator = creator
        self.producer = producer
        self.created = created
        self.modified = modified
    }
}

/// `GET /v1/documents`: a page of documents, newest first; pass
/// `next_before` as `?before=` for the next page.
public struct DocumentList: Codable, Sendable, Equatable {
    public var documents: [DocumentInfo]
    public var nextBefore: Int64?

    public init(documents: [DocumentInfo], nextBefore: Int64?) {
        self.documents = documents
        self.nextBefore = nextBefore
    }

    enum CodingKeys: String, CodingKey {
        case documents
        case nextBefore = "next_before"
    }
}

/// `POST /v1/documents` (201) and `POST /v1/documents/{id}/reprocess` (202).
public struct Accepted: Codable, Sendable, Equatable {
    public var id: Int64
    public var status: DocumentStatus

    public init(id: Int64, status: DocumentStatus) {
        self.id = id
        self.status = status
    }
}

/// `GET /v1/status`.
public struct DaemonStatus: Codable, Sendable, Equatable {
    /// Documents by status (every status present, zero included).
    public var documents: [String: Int]
    /// Jobs waiting for a worker.
    public var queueLength: Int
    public var workersBusy: Int
    public var workers: Int
    public var uptimeSeconds: Double
    public var version: String
    public var storage: StorageStatus
    public var memory: MemoryStatus
    /// The pipelines loaded (their names, sorted): a spool subfolder or an
    /// upload under one of these names runs it; any other runs `default`.
    public var pipelines: [String]

    public init(documents: [String: Int], queueLength: Int, workersBusy: Int, workers: Int, uptimeSeconds: Double, version: String,
                storage: StorageStatus, memory: MemoryStatus, pipelines: [String]) {
        self.pipelines = pipelines
        self.documents = documents
        self.queueLength = queueLength
        self.workersBusy = workersBusy
        self.workers = workers
        self.uptimeSeconds = uptimeSeconds
        self.version = version
        self.storage = storage
        self.memory = memory
    }

    enum CodingKeys: String, CodingKey {
        case documents, workers, version, storage, memory, pipelines
        case queueLength = "queue_length", workersBusy = "workers_busy", uptimeSeconds = "uptime_seconds"
    }

    /// `pipelines` may be missing: a daemon older than this client does not send it.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        documents = try c.decode([String: Int].self, forKey: .documents)
        queueLength = try c.decode(Int.self, forKey: .queueLength)
        workersBusy = try c.decode(Int.self, forKey: .workersBusy)
        workers = try c.decode(Int.self, forKey: .workers)
        uptimeSeconds = try c.decode(Double.self, forKey: .uptimeSeconds)
        version = try c.decode(String.self, forKey: .version)
        storage = try c.decode(StorageStatus.self, forKey: .storage)
        memory = try c.decode(MemoryStatus.self, forKey: .memory)
        pipelines = try c.decodeIfPresent([String].self, forKey: .pipelines) ?? []
    }
}

/// Whether the daemon can write (`GET /v1/status`): false while the state
/// dir's file system is full, when intake and processing pause.
public struct StorageStatus: Codable, Sendable, Equatable {
    public var writable: Bool
    public var freeBytes: Int64
    public var problem: String?

    public init(writable: Bool, freeBytes: Int64, problem: String?) {
        self.writable = writable
        self.freeBytes = freeBytes
        self.problem = problem
    }

    enum CodingKeys: String, CodingKey {
        case writable, problem
        case freeBytes = "free_bytes"
    }
}

/// The corpus memory (`GET /v1/status`): `state` is `ready`, `checking`
/// (at start), `rebuilding` (with `done` of `total` documents; asks and
/// Engram lookups answer 503 `rebuilding` meanwhile) or `stale` (a
/// document's counts could not be applied; rebuilt at the next start).
public struct MemoryStatus: Codable, Sendable, Equatable {
    public var state: String
    public var documents: Int
    public var done: Int?
    public var total: Int?

    public init(state: String, documents: Int, done: Int? = nil, total: Int? = nil) {
        self.state = state
        self.documents = documents
        self.done = done
        self.total = total
    }
}

/// `GET /v1/health` when the daemon is degraded (503): what is wrong.
public struct HealthReport: Codable, Sendable, Equatable {
    public var status: String
    public var problems: [String]

    public init(status: String, problems: [String]) {
        self.status = status
        self.problems = problems
    }
}

/// One line of `GET /v1/events` (newline-delimited JSON).
public struct Event: Codable, Sendable, Equatable {
    public var event: EventKind
    public var id: Int64
    public var name: String
    public var progress: DocumentProgress?
    public var error: DocumentError?
    /// For `duplicate`: the document the content already is.
    public var duplicateOf: Int64?
    public var time: String

    public init(event: EventKind, id: Int64, name: String, progress: DocumentProgress? = nil, error: DocumentError? = nil, duplicateOf: Int64? = nil, time: String) {
        self.event = event
        self.id = id
        self.name = name
        self.progress = progress
        self.error = error
        self.duplicateOf = duplicateOf
        self.time = time
    }

    enum CodingKeys: String, CodingKey {
        case event, id, name, progress, error, time
        case duplicateOf = "duplicate_of"
    }
}

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
        /// The attention probability of this sentence among those read.
        public var score: Double
        public var page: Int
        /// UTF-8 byte ranges of the sentence and of the passage in the document's text.
        public var start: Int
        public var end: Int
        public var contextStart: Int
        public var contextEnd: Int
        public var document: Int64

        public init(text: String, context: String, score: Double, page: Int, start: Int, end: Int, contextStart: Int, contextEnd: Int, document: Int64) {
            self.text = text
            self.context = context
            self.score = score
            self.page = page
            self.start = start
            self.end = end
            self.contextStart = contextStart
            self.contextEnd = contextEnd
            self.document = document
        }

        enum CodingKeys: String, CodingKey {
            case text, context, score, page, start, end, document
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

        public init(blocksScanned: Int, blocksSelected: Int, sentencesAttended: Int, mode: AskMode, exact: Bool, documents: Int,
                    needReprocess: [Int64] = [], elapsedMs: Double, answerKind: String? = nil) {
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

        enum CodingKeys: String, CodingKey {
            case mode, documents, exact
            case answerKind = "answer_kind"
            case blocksScanned = "blocks_scanned", blocksSelected = "blocks_selected"
            case sentencesAttended = "sentences_attended", elapsedMs = "elapsed_ms", needReprocess = "need_reprocess"
        }
    }

    public var answers: [Answer]
    public var stats: Stats

    public init(answers: [Answer], stats: Stats) {
        self.answers = answers
        self.stats = stats
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

/// `GET /v1/search?q=QUERY[&limit=N][&document=ID]`: the sentences that match
/// a keyword query, best (bm25) first.
public struct SearchResponse: Codable, Sendable, Equatable {
    public struct Hit: Codable, Sendable, Equatable {
        public var document: Int64
        public var name: String
        /// The page the sentence starts on (nil where the document has no pages).
        public var page: Int?
        /// UTF-8 byte range of the sentence in the document's text.
        public var start: Int
        public var end: Int
        /// The whole sentence, as plain text.
        public var text: String
        /// Up to 24 words around the matches, HTML-escaped, each match in `<mark>…</mark>`.
        public var snippet: String
        /// bm25: higher is better; comparable within one response.
        public var score: Double

        public init(document: Int64, name: String, page: Int?, start: Int, end: Int, text: String, snippet: String, score: Double) {
            self.document = document
            self.name = name
            self.page = page
            self.start = start
            self.end = end
            self.text = text
            self.snippet = snippet
            self.score = score
        }
    }

    public var query: String
    public var hits: [Hit]

    public init(query: String, hits: [Hit]) {
        self.query = query
        self.hits = hits
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

        public init(text: String, context: String, page: Int, start: Int, end: Int, score: Double) {
            self.text = text
            self.context = context
            self.page = page
            self.start = start
            self.end = end
            self.score = score
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

/// One value an extraction expert found, cited by page and the UTF-8 byte
/// range that slices the document's text to it. `value` is the normalised
/// form (ISO 8601 date, plain decimal, address, term, title); `count` is
/// set for names and key phrases (listed once each, at their first
/// occurrence), `number` for amounts and percentages, `currency` (ISO
/// 4217) for amounts, `level` for outline entries, `score` for key
/// phrases, `detail` where there is something to know (how an ambiguous
/// date was read, an acronym's expansion).
public struct ExtractionItem: Codable, Sendable, Equatable {
    /// Set in corpus-wide results only.
    public var document: Int64?
    public var name: String?
    public var text: String
    public var value: String
    public var page: Int?
    public var start: Int
    public var end: Int
    public var count: Int?
    public var number: Double?
    public var currency: String?
    public var level: Int?
    public var score: Double?
    public var detail: String?

    public init(document: Int64? = nil, name: String? = nil, text: String, value: String, page: Int?, start: Int, end: Int, count: Int? = nil,
                number: Double? = nil, currency: String? = nil, level: Int? = nil, score: Double? = nil, detail: String? = nil) {
        self.document = document
        self.name = name
        self.text = text
        self.value = value
        self.page = page
        self.start = start
        self.end = end
        self.count = count
        self.number = number
        self.currency = currency
        self.level = level
        self.score = score
        self.detail = detail
    }
}

/// `GET /v1/documents/{id}/extractions[?kind=K]`: what the experts found,
/// by kind (only kind K when asked; a kind its pipeline does not run is an
/// empty list).
public struct ExtractionsResponse: Codable, Sendable, Equatable {
    public var document: Int64
    public var dates: [ExtractionItem]?
    public var amounts: [ExtractionItem]?
    public var percentages: [ExtractionItem]?
    public var emails: [ExtractionItem]?
    public var urls: [ExtractionItem]?
    public var phones: [ExtractionItem]?
    public var names: [ExtractionItem]?
    public var keyphrases: [ExtractionItem]?
    public var definitions: [ExtractionItem]?
    public var outline: [ExtractionItem]?

    public static let kinds = ["dates", "amounts", "percentages", "emails", "urls", "phones", "names", "keyphrases", "definitions", "outline"]

    public init(document: Int64) { self.document = document }

    /// The list of kind `kind` (one of `kinds`).
    public subscript(kind: String) -> [ExtractionItem]? {
        get {
            switch kind {
            case "dates": dates
            case "amounts": amounts
            case "percentages": percentages
            case "emails": emails
            case "urls": urls
            case "phones": phones
            case "names": names
            case "keyphrases": keyphrases
            case "definitions": definitions
            case "outline": outline
            default: nil
            }
        }
        set {
            switch kind {
            case "dates": dates = newValue
            case "amounts": amounts = newValue
            case "percentages": percentages = newValue
            case "emails": emails = newValue
            case "urls": urls = newValue
            case "phones": phones = newValue
            case "names": names = newValue
            case "keyphrases": keyphrases = newValue
            case "definitions": definitions = newValue
            case "outline": outline = newValue
            default: break
            }
        }
    }
}

/// `GET /v1/extractions?kind=K&…`: one kind's values across every done
/// document (dates in date order, amounts and percentages largest first,
/// the rest by document), each with its document's id and name.
public struct ExtractionSearchResponse: Codable, Sendable, Equatable {
    public var kind: String
    public var items: [ExtractionItem]

    public init(kind: String, items: [ExtractionItem]) {
        self.kind = kind
        self.items = items
    }
}
