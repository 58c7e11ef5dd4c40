/// Why a file yielded no document. `code` is stable (it is stored, sent over
/// the API and written to `.error` sidecars); `message` is for people.
public struct ExtractionError: Error, Sendable, Equatable, Codable, CustomStringConvertible {
    /// A stable error code: a struct, so new codes do not break callers.
    public struct Code: Sendable, Hashable, RawRepresentable, Codable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The file has no bytes, or no text at all (a PDF without a text layer).
        public static let empty = Code(rawValue: "empty")
        /// A PDF that needs a password.
        public static let encrypted = Code(rawValue: "encrypted")
        /// The content claims a format but is broken (a damaged PDF, bad gzip data).
        public static let corrupt = Code(rawValue: "corrupt")
        /// Content Tome does not read (images, archives, unknown binary data).
        public static let unsupportedType = Code(rawValue: "unsupported_type")
        /// Larger than the configured limit (also after decompression).
        public static let tooLarge = Code(rawValue: "too_large")
        /// The file could not be read at all (missing, no permission).
        public static let unreadable = Code(rawValue: "unreadable")
        /// A page took longer to read than its limit (OCR: `ocr_page_timeout_s`).
        public static let timeout = Code(rawValue: "timeout")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}

/// What `tomed extract --json` prints when a file yields no document:
/// `{"error": {"code", "message"}}`. The daemon reads it back from its child.
public struct ExtractionFailureReport: Codable, Sendable, Equatable {
    public var error: ExtractionError

    public init(error: ExtractionError) {
        self.error = error
    }
}
