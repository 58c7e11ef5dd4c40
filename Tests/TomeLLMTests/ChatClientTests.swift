import Foundation
import Testing
import TomeTestSupport

@testable import TomeLLM

/// The chat client against a real HTTP server on this machine (the scripted
/// one, a child process): every way the protocol can fail is a typed
/// `ModelError`, and nothing waits past its timeout.
/// (No wall-clock bounds: beside the suite's blocking tests a resumed task may wait for a thread.
/// Which error comes back says which limit acted: the silent server would end in a cut after 30 s.)
@Suite(.timeLimit(.minutes(10))) struct ChatClientTests {
    static let messages: [ChatProtocol.Message] = [
        .system("Answer from the excerpts."),
        .user("<excerpt n=\"1\" document=\"a.txt\" pages=\"1\">\nThe invoice total is 1,440 pounds.\n</excerpt>\nQuestion: What is the total?"),
    ]

    /// Runs `body` with a client of `script`, shutting it down after. The limits are far
    /// beyond what the server takes: a consumer starved of threads under a loaded suite
    /// stops NIO reading, and a 30 s idle limit then fired on a reply already sent.
    func with<R>(_ server: ScriptedChatServer, _ script: String, idle: Double = 300, timeout: Double = 300,
                 _ body: (ChatClient) async throws -> R) async throws -> R {
        let c = ChatClient(endpoint: ModelEndpoint(baseURL: server.baseURL(script), model: "scripted-model", apiKey: APIKey("sk-test-123"),
                                                   connectTimeout: 30, idleTimeout: idle, timeout: timeout))
        do {
            let result = try await body(c)
            await c.shutdown()
            return result
        } catch {
            await c.shutdown()
            throw error
        }
    }

    func expect(_ server: ScriptedChatServer, _ script: String, _ expected: ModelError, idle: Double = 300) async throws {
        do {
            let reply = try await with(server, script, idle: idle) { try await $0.complete(Self.messages) }
            Issue.record("\(script): expected \(expected), got the reply \(reply.text)")
        } catch let error as ModelError {
            #expect(error == expected, "\(script)")
        }
    }

    @Test func aStreamedReplyArrivesInPiecesWithItsUsageAndTheKeySent() async throws {
        let server = try ScriptedChatServer()
        final class Pieces: @unchecked Sendable { var list: [String] = [] }  // appended by one task, read after
        let pieces = Pieces()
        let reply = try await with(server, "ok") { try await $0.complete(Self.messages) { pieces.list.append($0) } }
        #expect(reply.text == "According to the document, The invoice total is 1,440 pounds. [1]")
        #expect(pieces.list.count > 3, "a stream comes in pieces")
        #expect(pieces.list.joined() == reply.text)
        #expect(reply.finishReason == "stop")
        #expect(reply.usage?.promptTokens == 100)
        #expect(reply.firstTextSeconds != nil)
        let last = try server.lastRequest()
        #expect(last["authorization"] as? String == "Bearer sk-test-123")
        let body = try #require(last["body"] as? [String: Any])
        #expect(body["model"] as? String == "scripted-model")
        #expect(body["stream"] as? Bool == true)
        #expect(body["temperature"] as? Double == 0)
        #expect((body["messages"] as? [[String: Any]])?.count == 2)
    }

    @Test func wholeRepliesAreReadWhetherAskedForOrNot() async throws {
        let server = try ScriptedChatServer()
        let asked = try await with(server, "ok") { try await $0.complete(Self.messages, stream: false) }
        #expect(asked.text == "According to the document, The invoice total is 1,440 pounds. [1]")
        // A server that answers whole to a stream request.
        let unasked = try await with(server, "whole") { try await $0.complete(Self.messages) }
        #expect(unasked.text == asked.text)
        #expect(unasked.usage?.completionTokens == 12)
    }

    @Test func eachProtocolFaultIsItsOwnTypedError() async throws {
        let server = try ScriptedChatServer()
        try await expect(server, "unauthorized", .unauthorized(status: 401, message: "Incorrect API key provided"))
        try await expect(server, "ratelimit", .rateLimited(retryAfter: 7, message: "Rate limit reached"))
        try await expect(server, "error500", .failed(status: 500, message: "the model crashed"))
        // Cut after its two pieces: how many of them the client had read when the close arrived depends on timing.
        do {
            _ = try await with(server, "cut") { try await $0.complete(Self.messages) }
            Issue.record("a stream closed before its end is an error")
        } catch let error as ModelError {
            guard case .cut(let characters) = error else { Issue.record("\(error)"); return }
            #expect(characters <= "According to ".count && error.retryable, "\(error)")
        }
        try await expect(server, "empty", .refused("the reply was empty"))
        do {
            _ = try await with(server, "malformed") { try await $0.complete(Self.messages) }
            Issue.record("a stream of non-JSON events is an error")
        } catch let error as ModelError {
            guard case .malformed = error else { Issue.record("\(error)"); return }
            #expect(!error.retryable)
        }
        #expect(ModelError.rateLimited(retryAfter: 7, message: "").retryable)
        #expect(ModelError.rateLimited(retryAfter: 7, message: "").retryAfter == 7)
        #expect(!ModelError.unauthorized(status: 401, message: "").retryable)
        #expect(ModelError.failed(status: 503, message: "").retryable)
        #expect(!ModelError.failed(status: 400, message: "").retryable)
    }

    @Test func aSilentStreamEndsAtTheIdleTimeoutNotLater() async throws {
        // The silent server sleeps 30 s after its first piece, then closes (a cut): a timeout is the idle limit acting.
        let server = try ScriptedChatServer()
        try await expect(server, "silent", .timedOut(seconds: 1), idle: 1)
    }

    @Test func nobodyListeningIsUnreachable() async throws {
        // A port that was free a moment ago: bound, then released.
        let port: Int = try { try ScriptedChatServer().port }()
        try await Task.sleep(for: .milliseconds(200))
        let c = ChatClient(endpoint: ModelEndpoint(baseURL: "http://127.0.0.1:\(port)/v1", model: "m", connectTimeout: 2, timeout: 5))
        do {
            _ = try await c.complete(Self.messages)
            Issue.record("nothing listens there")
        } catch let error as ModelError {
            if case .unreachable(let why) = error {
                #expect(why.contains("refused"), "\(why)")
            } else {
                Issue.record("\(error)")
            }
            #expect(error.retryable)
        }
        await c.shutdown()
    }

    @Test func modelsListsWhatTheServerServes() async throws {
        let server = try ScriptedChatServer()
        let models = try await with(server, "models") { try await $0.models() }
        #expect(models == ["scripted-model"])
        do {
            _ = try await with(server, "unauthorized") { try await $0.models() }
            Issue.record("a wrong key is said")
        } catch let error as ModelError {
            #expect(error.code == "model_unauthorized")
        }
    }

    @Test func theKeyIsNeverPrinted() {
        let endpoint = ModelEndpoint(baseURL: "http://x/v1", model: "m", apiKey: APIKey("sk-secret-value"))
        #expect(!"\(endpoint)".contains("sk-secret-value"))
        #expect(!String(reflecting: endpoint).contains("sk-secret-value"))
        var dumped = ""
        dump(endpoint, to: &dumped)
        #expect(!dumped.contains("sk-secret-value"))
    }
}
