import Foundation

/// The JSON of the OpenAI chat-completions protocol, as far as Tome speaks
/// it: a request of messages, and a reply whole (`ChatCompletion`) or in
/// server-sent chunks (`ChatChunk`). Fields a server adds are ignored;
/// fields Tome needs are checked where they are read.
public enum ChatProtocol {
    public struct Message: Codable, Sendable, Equatable {
        public var role: String
        public var content: String

        public init(role: String, content: String) {
            self.role = role
            self.content = content
        }

        public static func system(_ text: String) -> Message { Message(role: "system", content: text) }
        public static func user(_ text: String) -> Message { Message(role: "user", content: text) }
    }

    /// `POST {base_url}/chat/completions`. Temperature 0 and a fixed seed:
    /// the same excerpts and question give the same reply where the server
    /// honours them (llama.cpp does).
    struct Request: Encodable {
        struct StreamOptions: Encodable {
            var includeUsage = true
            enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
        }

        var model: String
        var messages: [Message]
        var stream: Bool
        var maxTokens: Int
        var temperature = 0.0
        var seed = 0
        var streamOptions: StreamOptions?

        enum CodingKeys: String, CodingKey {
            case model, messages, stream, temperature, seed
            case maxTokens = "max_tokens", streamOptions = "stream_options"
        }
    }

    /// Tokens the server counted.
    public struct Usage: Codable, Sendable, Equatable {
        public var promptTokens: Int?
        public var completionTokens: Int?

        enum CodingKeys: String, CodingKey {
            case promptTokens = "prompt_tokens", completionTokens = "completion_tokens"
        }
    }

    /// A reply sent whole (`"stream": false`).
    struct Completion: Decodable {
        struct Choice: Decodable {
            var message: Message?
            var finishReason: String?
            enum CodingKeys: String, CodingKey { case message, finishReason = "finish_reason" }
        }

        var choices: [Choice]
        var usage: Usage?
    }

    /// One server-sent event of a streamed reply.
    struct Chunk: Decodable {
        struct Choice: Decodable {
            struct Delta: Decodable { var content: String? }
            var delta: Delta?
            var finishReason: String?
            enum CodingKeys: String, CodingKey { case delta, finishReason = "finish_reason" }
        }

        var choices: [Choice]?
        var usage: Usage?
        /// Some servers put an error in the stream after a 200.
        var error: ErrorBody?
    }

    /// `{"error": {"message": …}}`, OpenAI's error shape (others send a bare string or `{"detail": …}`).
    struct ErrorBody: Decodable {
        var message: String?
        var type: String?
    }

    /// The message of an error reply, whatever shape the server used (OpenAI's, FastAPI's `detail`, plain text), on one line.
    static func errorMessage(_ body: [UInt8]) -> String {
        struct Wrapped: Decodable { var error: ErrorBody? }
        struct Detail: Decodable { var detail: String? }
        let data = Data(body)
        let text: String
        if let wrapped = try? JSONDecoder().decode(Wrapped.self, from: data), let message = wrapped.error?.message {
            text = message
        } else if let detail = try? JSONDecoder().decode(Detail.self, from: data), let message = detail.detail {
            text = message
        } else {
            text = String(decoding: body, as: UTF8.self)
        }
        let line = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return line.count > 300 ? String(line.prefix(300)) + "…" : line
    }
}

/// Splits a `text/event-stream` body into its events' data, as bytes arrive
/// in chunks of any size: lines end with LF, CRLF or CR; `data:` lines of
/// one event are joined by LF; an empty line ends the event; comments
/// (`:`) and other fields are skipped. An event longer than `maxEventBytes`
/// is `ModelError.malformed`: a chat chunk is a few hundred bytes, and a
/// stream that never ends its line must not fill the daemon's memory.
struct ServerSentEvents {
    var maxEventBytes = 4 << 20
    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    private var lastWasCR = false

    /// The events completed by `bytes`, each event's data as text.
    mutating func feed(_ bytes: some Sequence<UInt8>) throws -> [String] {
        var events: [String] = []
        for byte in bytes {
            if byte == 0x0A, lastWasCR { lastWasCR = false; continue }  // the LF of a CRLF
            lastWasCR = byte == 0x0D
            if byte == 0x0A || byte == 0x0D {
                if let event = endLine() { events.append(event) }
            } else {
                line.append(byte)
                if line.count + data.count > maxEventBytes {
                    throw ModelError.malformed("an event of the stream is longer than \(maxEventBytes) bytes")
                }
            }
        }
        return events
    }

    /// The event left when the body ends without its closing blank line.
    mutating func finish() -> String? {
        if !line.isEmpty { _ = endLine() }
        return endLine()
    }

    private mutating func endLine() -> String? {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            guard hasData else { return nil }
            defer { data.removeAll(keepingCapacity: true); hasData = false }
            return String(decoding: data, as: UTF8.self)
        }
        guard line.first != 0x3A else { return nil }  // ":" a comment
        let colon = line.firstIndex(of: 0x3A) ?? line.endIndex
        guard line[..<colon].elementsEqual("data".utf8) else { return nil }
        var value = colon < line.endIndex ? line.index(after: colon) : colon
        if value < line.endIndex, line[value] == 0x20 { value += 1 }
        if hasData { data.append(0x0A) }
        data.append(contentsOf: line[value...])
        hasData = true
        return nil
    }
}
