/// The words of the control API that have a fixed set of values: error
/// codes, why a document failed, document statuses, event kinds, progress
/// stages, ask modes. Each is written once here and used by the daemon,
/// the CLI and the store; `openapi.yaml` lists the same values (a test
/// holds the two together).
///
/// A set the daemon may grow (codes, kinds, stages) is a struct around its
/// wire string, so that a client reading a value it does not know (a newer
/// daemon's) still decodes it; a closed set is an enum.
public protocol WireWord: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible where RawValue == String {
    init(rawValue: String)
}

extension WireWord {
    public init(from decoder: any Decoder) throws {
        self.init(rawValue: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public var description: String { rawValue }
}

/// The `code` of an error response: one meaning each.
public struct ErrorCode: WireWord {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// 400: the request is wrong (a parameter, the body, a malformed HTTP request).
    public static let badRequest = ErrorCode(rawValue: "bad_request")
    /// 400: a search query FTS5 cannot read.
    public static let badQuery = ErrorCode(rawValue: "bad_query")
    /// 403: the peer may not do this.
    public static let forbidden = ErrorCode(rawValue: "forbidden")
    /// 404: no such document or endpoint.
    public static let notFound = ErrorCode(rawValue: "not_found")
    /// 405: the path exists with other methods.
    public static let methodNotAllowed = ErrorCode(rawValue: "method_not_allowed")
    /// 408: the request's head or body stopped arriving.
    public static let requestTimeout = ErrorCode(rawValue: "request_timeout")
    /// 409: the document is queued or being processed.
    public static let busy = ErrorCode(rawValue: "busy")
    /// 409: the document is not done (queued, processing or failed).
    public static let notReady = ErrorCode(rawValue: "not_ready")
    /// 409: the same content is already a document (`id` names it).
    public static let duplicate = ErrorCode(rawValue: "duplicate")
    /// 409: the document's file was not kept: it cannot be processed again.
    public static let sourceGone = ErrorCode(rawValue: "source_gone")
    /// 409: the stored index is of an older engine or damaged: reprocess it.
    public static let needsReprocess = ErrorCode(rawValue: "needs_reprocess")
    /// 413: the body is over the limit.
    public static let tooLarge = ErrorCode(rawValue: "too_large")
    /// 415: a form rather than the file's bytes.
    public static let unsupportedMediaType = ErrorCode(rawValue: "unsupported_media_type")
    /// 429: the job queue is full.
    public static let queueFull = ErrorCode(rawValue: "queue_full")
    /// 503: more asks (or searches) of this kind are waiting than are admitted, in all or for this user.
    public static let overloaded = ErrorCode(rawValue: "overloaded")
    /// 503: the corpus memory is being rebuilt.
    public static let rebuilding = ErrorCode(rawValue: "rebuilding")
    /// 503: too many event streams are open.
    public static let tooManyStreams = ErrorCode(rawValue: "too_many_streams")
    /// 507: no space to write.
    public static let diskFull = ErrorCode(rawValue: "disk_full")
    /// 503: no language model is configured (`[llm]`), so nothing can be written.
    public static let modelNotConfigured = ErrorCode(rawValue: "model_not_configured")
    /// 503: a deep ask, and the semantic model's encoder is not installed (`make model`).
    public static let deepUnavailable = ErrorCode(rawValue: "deep_unavailable")
    /// 429: more model calls are waiting than `[llm] queue_limit` admits.
    public static let modelBusy = ErrorCode(rawValue: "model_busy")
    /// In a `generate` ask's `error` line (the engine's answers stand): the model's server
    /// cannot be reached, refused the key, is rate-limiting, failed, was too slow, cut its
    /// stream, answered outside the protocol, or gave no answer.
    public static let modelUnreachable = ErrorCode(rawValue: "model_unreachable")
    public static let modelUnauthorized = ErrorCode(rawValue: "model_unauthorized")
    public static let modelRateLimited = ErrorCode(rawValue: "model_rate_limited")
    public static let modelFailed = ErrorCode(rawValue: "model_failed")
    public static let modelTimeout = ErrorCode(rawValue: "model_timeout")
    public static let modelStreamCut = ErrorCode(rawValue: "model_stream_cut")
    public static let modelMalformed = ErrorCode(rawValue: "model_malformed")
    public static let modelRefused = ErrorCode(rawValue: "model_refused")
    /// 500: a failure the daemon did not expect.
    public static let `internal` = ErrorCode(rawValue: "internal")

    /// Every code the daemon sends.
    public static let all: [ErrorCode] = [
        .badRequest, .badQuery, .forbidden, .notFound, .methodNotAllowed, .requestTimeout, .busy, .notReady, .duplicate, .sourceGone,
        .needsReprocess, .tooLarge, .unsupportedMediaType, .queueFull, .overloaded, .rebuilding, .tooManyStreams, .diskFull, .internal,
        .modelNotConfigured, .modelBusy, .modelUnreachable, .modelUnauthorized, .modelRateLimited, .modelFailed, .modelTimeout,
        .modelStreamCut, .modelMalformed, .modelRefused, .deepUnavailable,
    ]
}

/// Why a document failed (`DocumentError.code`). The first six are
/// `tomed extract`'s typed errors; the rest are the daemon's.
public struct FailureCode: WireWord {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let empty = FailureCode(rawValue: "empty")
    public static let encrypted = FailureCode(rawValue: "encrypted")
    public static let corrupt = FailureCode(rawValue: "corrupt")
    public static let unsupportedType = FailureCode(rawValue: "unsupported_type")
    public static let tooLarge = FailureCode(rawValue: "too_large")
    public static let unreadable = FailureCode(rawValue: "unreadable")
    /// Over its wall-clock or CPU time limit.
    public static let timeout = FailureCode(rawValue: "timeout")
    /// The child crashed, ran out of memory or wrote no usable record.
    public static let crashed = FailureCode(rawValue: "crashed")
    /// The database refused the result.
    public static let storeFailed = FailureCode(rawValue: "store_failed")
    /// The daemon died storing it, `retries + 1` times.
    public static let interrupted = FailureCode(rawValue: "interrupted")
    /// The bytes the child read are not those claimed and hashed.
    public static let changed = FailureCode(rawValue: "changed")

    public static let all: [FailureCode] = [
        .empty, .encrypted, .corrupt, .unsupportedType, .tooLarge, .unreadable, .timeout, .crashed, .storeFailed, .interrupted, .changed,
    ]
}

/// Where a document is in its life: queued → processing → done | failed.
public enum DocumentStatus: String, Sendable, Codable, CaseIterable {
    case queued, processing, done, failed

    /// Done or failed: nothing more happens to it unless it is asked to.
    public var isFinished: Bool { self == .done || self == .failed }
}

/// The `event` of a line of `GET /v1/events`.
public struct EventKind: WireWord {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let queued = EventKind(rawValue: "queued")
    public static let progress = EventKind(rawValue: "progress")
    public static let done = EventKind(rawValue: "done")
    public static let failed = EventKind(rawValue: "failed")
    public static let duplicate = EventKind(rawValue: "duplicate")
    public static let deleted = EventKind(rawValue: "deleted")
    /// Every few seconds on an idle stream (id 0).
    public static let heartbeat = EventKind(rawValue: "heartbeat")

    public static let all: [EventKind] = [.queued, .progress, .done, .failed, .duplicate, .deleted, .heartbeat]
}

/// What an amount is on its invoice or statement (`ExtractionItem.role`).
public struct AmountRoleName: WireWord {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// What is owed or was paid in all.
    public static let total = AmountRoleName(rawValue: "total")
    /// The sum before tax.
    public static let subtotal = AmountRoleName(rawValue: "subtotal")
    public static let tax = AmountRoleName(rawValue: "tax")
    /// Taken off: a discount, a deposit already paid.
    public static let deduction = AmountRoleName(rawValue: "deduction")

    public static let all: [AmountRoleName] = [.total, .subtotal, .tax, .deduction]
}

/// What a document in `processing` is going through (`DocumentProgress.stage`).
public struct Stage: WireWord {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Reading the file: pages done of pages in all, for a PDF.
    public static let extracting = Stage(rawValue: "extracting")
    /// Reading pages by OCR: pages read of pages to read.
    public static let ocr = Stage(rawValue: "ocr")
    /// The engine's analysis: index, summaries, extractions.
    public static let analysing = Stage(rawValue: "analysing")
    /// Writing the result to the store.
    public static let storing = Stage(rawValue: "storing")
    /// The result waits for the state dir's file system to have room.
    public static let waitingForSpace = Stage(rawValue: "waiting for space")

    public static let all: [Stage] = [.extracting, .ocr, .analysing, .storing, .waitingForSpace]
}

/// How `ask` reads a document: `sparse` (the indexer selects the blocks that
/// can hold the best answers) or `dense` (every block, for comparison).
public enum AskMode: String, Sendable, Codable, CaseIterable {
    case sparse, dense
}
