/// Why the engine refused its input. A struct with a stable `code` (new
/// cases do not break callers); the daemon maps each code to an API error.
public struct EngineError: Error, Equatable, Sendable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// Stored bytes (an index, Engram counts) that do not hold together.
        public static let damaged = Code(rawValue: "index_damaged")
        /// An index written by another version of the engine.
        public static let outdated = Code(rawValue: "index_outdated")
        /// A text past what the engine's byte offsets (Int32) can address.
        public static let tooLarge = Code(rawValue: "too_large")
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public static func damaged(_ what: String) -> EngineError { EngineError(code: .damaged, message: what) }

    public var description: String { "\(code.rawValue): \(message)" }
}
