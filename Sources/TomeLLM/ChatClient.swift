import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Where a language model answers and how long it may take: `[llm]` of
/// `tomed.toml`, with the API key already read (from its file or the
/// environment). The key never appears in a description or a log.
public struct ModelEndpoint: Sendable, Equatable {
    /// The server's OpenAI-compatible base, up to and including `/v1`
    /// (`https://api.deepseek.com/v1`, `http://127.0.0.1:8080/v1`).
    public var baseURL: String
    /// The model's name as the server knows it.
    public var model: String
    public var apiKey: APIKey?
    /// Time to connect, the most the stream may stay silent, and the most a whole reply may take.
    public var connectTimeout: Double
    public var idleTimeout: Double
    public var timeout: Double
    /// The longest reply asked for (`max_tokens`).
    public var maxReplyTokens: Int

    public init(baseURL: String, model: String, apiKey: APIKey? = nil, connectTimeout: Double = 5, idleTimeout: Double = 30,
                timeout: Double = 120, maxReplyTokens: Int = 512) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.model = model
        self.apiKey = apiKey
        self.connectTimeout = connectTimeout
        self.idleTimeout = idleTimeout
        self.timeout = timeout
        self.maxReplyTokens = maxReplyTokens
    }
}

/// A bearer token, kept out of every description, dump and log line.
public struct APIKey: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    let value: String
    public init(_ value: String) { self.value = value }
    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: []) }
}

/// A client of one OpenAI-compatible chat server: `POST
/// {base_url}/chat/completions`, streamed (server-sent events, each piece
/// of text handed on as it comes) or whole, and `GET {base_url}/models` to
/// see whether the server answers. Every failure is a `ModelError`; no call
/// outlives `timeout`. Owns its HTTP connections: `shutdown()` it at the end.
public final class ChatClient: Sendable {
    public let endpoint: ModelEndpoint
    private let http: HTTPClient

    public init(endpoint: ModelEndpoint) {
        self.endpoint = endpoint
        var configuration = HTTPClient.Configuration(
            timeout: .init(connect: .milliseconds(Int64(endpoint.connectTimeout * 1000)), read: .milliseconds(Int64(endpoint.idleTimeout * 1000))))
        configuration.httpVersion = .http1Only
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    public func shutdown() async {
        try? await http.shutdown()
    }

    /// A reply, and what it cost.
    public struct Reply: Sendable, Equatable {
        public var text: String
        /// `stop`, `length` (cut at `max_tokens`), … as the server said.
        public var finishReason: String?
        public var usage: ChatProtocol.Usage?
        /// Seconds to the first piece of text, and to the end.
        public var firstTextSeconds: Double?
        public var seconds: Double
    }

    /// Sends `messages`; with `stream`, hands each piece of text to `onText`
    /// as it arrives (a server that answers whole anyway is read whole and
    /// handed on once). Throws `ModelError`, or what `onText` throws.
    public func complete(_ messages: [ChatProtocol.Message], stream: Bool = true,
                         onText: @Sendable (String) async throws -> Void = { _ in }) async throws -> Reply {
        let started = ContinuousClock.now
        let elapsed = { () -> Double in
            let d = ContinuousClock.now - started
            return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        }
        let body = ChatProtocol.Request(model: endpoint.model, messages: messages, stream: stream, maxTokens: endpoint.maxReplyTokens,
                                        streamOptions: stream ? .init() : nil)
        var request = HTTPClientRequest(url: endpoint.baseURL + "/chat/completions")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: stream ? "text/event-stream" : "application/json")
        if let key = endpoint.apiKey { request.headers.add(name: "Authorization", value: "Bearer \(key.value)") }
        do {
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        } catch {
            throw ModelError.malformed("the request could not be written: \(error)")
        }
        let deadline = NIODeadline.now() + .milliseconds(Int64(endpoint.timeout * 1000))
        let response = try await send(request, deadline: deadline, seconds: endpoint.timeout)
        try await Self.check(response)

        var text = "", finishReason: String? = nil, usage: ChatProtocol.Usage? = nil, firstText: Double? = nil
        let contentType = response.headers.first(name: "Content-Type")?.lowercased() ?? ""
        if stream, !contentType.contains("application/json") {
            var events = ServerSentEvents(), done = false
            /// Set while `onText` runs: what it throws is the caller's, passed on as it is.
            var handingOn = false
            do {
                for try await buffer in response.body {
                    for event in try events.feed(buffer.readableBytesView) {
                        if event.trimmingCharacters(in: .whitespaces) == "[DONE]" { done = true; continue }
                        let chunk: ChatProtocol.Chunk
                        do {
                            chunk = try JSONDecoder().decode(ChatProtocol.Chunk.self, from: Data(event.utf8))
                        } catch {
                            throw ModelError.malformed("an event of the stream is not a chat chunk: \(event.prefix(120))")
                        }
                        if let error = chunk.error { throw ModelError.failed(status: 200, message: error.message ?? "an error in the stream") }
                        if let u = chunk.usage { usage = u }
                        for choice in chunk.choices ?? [] {
                            if let piece = choice.delta?.content, !piece.isEmpty {
                                if firstText == nil { firstText = elapsed() }
                                text += piece
                                handingOn = true
                                try await onText(piece)
                                handingOn = false
                            }
                            if let reason = choice.finishReason { finishReason = reason }
                        }
                    }
                }
            } catch let error as ModelError {
                throw error
            } catch let error as HTTPClientError where error == .deadlineExceeded {
                throw ModelError.timedOut(seconds: endpoint.timeout)
            } catch let error as HTTPClientError where error == .readTimeout {
                throw ModelError.timedOut(seconds: endpoint.idleTimeout)
            } catch let error as HTTPClientError where error == .cancelled {
                throw CancellationError()
            } catch {
                // The caller's own error, or a cancelled request (the client went away): as they are.
                if handingOn || error is CancellationError { throw error }
                // The connection closed or the HTTP framing broke before the end.
                throw ModelError.cut(afterCharacters: text.count)
            }
            if let last = events.finish(), last.trimmingCharacters(in: .whitespaces) == "[DONE]" { done = true }
            // The stream must say it is complete: [DONE], or a finish reason.
            guard done || finishReason != nil else { throw ModelError.cut(afterCharacters: text.count) }
        } else {
            let bytes = try await collect(response, what: "the reply", seconds: endpoint.timeout)
            let completion: ChatProtocol.Completion
            do {
                completion = try JSONDecoder().decode(ChatProtocol.Completion.self, from: Data(bytes))
            } catch {
                throw ModelError.malformed("the reply is not a chat completion: \(String(decoding: bytes.prefix(120), as: UTF8.self))")
            }
            guard let choice = completion.choices.first else { throw ModelError.malformed("the reply has no choices") }
            text = choice.message?.content ?? ""
            finishReason = choice.finishReason
            usage = completion.usage
            firstText = elapsed()
            if !text.isEmpty { try await onText(text) }
        }
        if finishReason == "content_filter" { throw ModelError.refused("the server's content filter stopped the reply") }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw ModelError.refused("the reply was empty") }
        return Reply(text: text, finishReason: finishReason, usage: usage, firstTextSeconds: firstText, seconds: elapsed())
    }

    /// The models the server lists (`GET {base_url}/models`): whether it answers, and whether it has the configured model.
    public func models(timeout: Double = 3) async throws -> [String] {
        struct List: Decodable {
            struct Model: Decodable { var id: String }
            var data: [Model]
        }
        var request = HTTPClientRequest(url: endpoint.baseURL + "/models")
        if let key = endpoint.apiKey { request.headers.add(name: "Authorization", value: "Bearer \(key.value)") }
        let response = try await send(request, deadline: .now() + .milliseconds(Int64(timeout * 1000)), seconds: timeout)
        try await Self.check(response)
        let bytes = try await collect(response, what: "the model list", seconds: timeout)
        guard let list = try? JSONDecoder().decode(List.self, from: Data(bytes)) else {
            throw ModelError.malformed("GET /models did not answer a model list")
        }
        return list.data.map(\.id)
    }

    /// `seconds`: the time `deadline` allowed, as a timeout names it.
    private func send(_ request: HTTPClientRequest, deadline: NIODeadline, seconds: Double) async throws -> HTTPClientResponse {
        do {
            return try await http.execute(request, deadline: deadline)
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            throw ModelError.timedOut(seconds: seconds)
        } catch let error as HTTPClientError where error == .connectTimeout {
            throw ModelError.unreachable("no connection within \(endpoint.connectTimeout) s")
        } catch let error as HTTPClientError where error == .readTimeout {
            throw ModelError.timedOut(seconds: endpoint.idleTimeout)
        } catch let error as HTTPClientError where error == .cancelled {
            throw CancellationError()
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw ModelError.unreachable(Self.reason(error))
        }
    }

    private func collect(_ response: HTTPClientResponse, what: String, seconds: Double) async throws -> [UInt8] {
        do {
            return Array(try await response.body.collect(upTo: 16 << 20).readableBytesView)
        } catch let error as HTTPClientError where error == .readTimeout || error == .deadlineExceeded {
            throw ModelError.timedOut(seconds: error == .readTimeout ? endpoint.idleTimeout : seconds)
        } catch let error as NIOTooManyBytesError {
            throw ModelError.malformed("\(what) is longer than \(error.maxBytes ?? 16 << 20) bytes")
        } catch {
            throw ModelError.cut(afterCharacters: 0)
        }
    }

    /// An error status as its `ModelError` (the body's message with it).
    private static func check(_ response: HTTPClientResponse) async throws {
        let status = Int(response.status.code)
        guard status >= 300 else { return }
        let body = (try? await response.body.collect(upTo: 1 << 20)).map { Array($0.readableBytesView) } ?? []
        let message = ChatProtocol.errorMessage(body)
        switch status {
        case 401, 403: throw ModelError.unauthorized(status: status, message: message)
        case 429:
            let after = response.headers.first(name: "Retry-After").flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            throw ModelError.rateLimited(retryAfter: after, message: message)
        default: throw ModelError.failed(status: status, message: message)
        }
    }

    /// A connection failure in words (refused, no such host), not NIO's type names.
    static func reason(_ error: Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)).lowercased() }
        let text = "\(error)"
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        if text.contains("NXDOMAIN") || text.contains("unknownHost") || text.contains("Name or service not known") { return "no such host" }
        return text
    }
}
