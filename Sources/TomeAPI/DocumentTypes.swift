// Errors and documents: what `/v1/documents` and every error answer. The JSON bodies of the control API
// (`openapi.yaml`), shared by the daemon that writes them and the `tome` CLI
// that reads them. Keys are snake_case; times are ISO 8601 UTC strings.

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
    /// The pages read by OCR (absent when every page was read from its text layer).
    public var ocr: [OCRPage]?
    public var createdAt: String
    public var updatedAt: String
    public var finishedAt: String?

    public init(
        id: Int64, name: String, status: DocumentStatus, pipeline: String, type: String?, pages: Int?, tokens: Int?,
        bytes: Int64, sha256: String, error: DocumentError?, attempts: Int, progress: DocumentProgress?,
        metadata: DocumentMetadataInfo?, createdAt: String, updatedAt: String, finishedAt: String?, ocr: [OCRPage]? = nil
    ) {
        self.ocr = ocr
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
        case id, name, status, pipeline, type, pages, tokens, bytes, sha256, error, attempts, progress, metadata, ocr
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

/// A page read by OCR: how sure the engine was, whether the page is flagged
/// as not to be trusted (low confidence, or no word found), and the quarter
/// turns that stood it upright.
public struct OCRPage: Codable, Sendable, Equatable {
    public var page: Int
    /// Mean word confidence, 0–100.
    public var confidence: Int
    public var flagged: Bool
    /// Clockwise quarter turns (0–3).
    public var rotation: Int
    /// Words found.
    public var words: Int

    public init(page: Int, confidence: Int, flagged: Bool, rotation: Int, words: Int) {
        self.page = page
        self.confidence = confidence
        self.flagged = flagged
        self.rotation = rotation
        self.words = words
    }
}
