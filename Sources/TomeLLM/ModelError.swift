/// Why a language model gave no (whole) reply: one case for each way an
/// OpenAI-compatible server can fail, each with the wire code the control
/// API sends and whether trying again later may work.
public enum ModelError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No `[llm]` is configured.
    case notConfigured
    /// The server could not be reached (refused, no route, no such host, connect timeout).
    case unreachable(String)
    /// 401 or 403: the API key is missing or wrong.
    case unauthorized(status: Int, message: String)
    /// 429: the server asks to slow down, in `retryAfter` seconds when it says.
    case rateLimited(retryAfter: Double?, message: String)
    /// Any other error status (5xx, or a 4xx such as a prompt over the model's window).
    case failed(status: Int, message: String)
    /// No whole reply within the time allowed (`[llm] timeout_s`), or the stream went silent (`idle_timeout_s`).
    case timedOut(seconds: Double)
    /// The stream ended before the server said the reply was complete.
    case cut(afterCharacters: Int)
    /// The server's answer is not the protocol's JSON.
    case malformed(String)
    /// The server declined to answer (a content filter), or answered nothing.
    case refused(String)
    /// More model calls are waiting than `[llm] queue_limit` admits.
    case busy(waiting: Int)

    /// The control API's error code for it.
    public var code: String {
        switch self {
        case .notConfigured: "model_not_configured"
        case .unreachable: "model_unreachable"
        case .unauthorized: "model_unauthorized"
        case .rateLimited: "model_rate_limited"
        case .failed: "model_failed"
        case .timedOut: "model_timeout"
        case .cut: "model_stream_cut"
        case .malformed: "model_malformed"
        case .refused: "model_refused"
        case .busy: "model_busy"
        }
    }

    /// Trying again later may work (the server was away, busy or slow).
    public var retryable: Bool {
        switch self {
        case .notConfigured, .unauthorized, .refused, .malformed: false
        case .failed(let status, _): status >= 500
        case .unreachable, .rateLimited, .timedOut, .cut, .busy: true
        }
    }

    /// Seconds the server asked to wait, when it said.
    public var retryAfter: Double? {
        if case .rateLimited(let after, _) = self { return after }
        return nil
    }

    public var description: String {
        switch self {
        case .notConfigured: "no language model is configured ([llm] in tomed.toml)"
        case .unreachable(let why): "the language model's server cannot be reached: \(why)"
        case .unauthorized(let status, let message): "the language model's server refused the API key (\(status))\(Self.said(message))"
        case .rateLimited(let after, let message):
            "the language model's server is rate-limiting (429)\(after.map { ", retry after \(Self.seconds($0))" } ?? "")\(Self.said(message))"
        case .failed(let status, let message): "the language model's server failed (\(status))\(Self.said(message))"
        case .timedOut(let seconds): "the language model did not finish within \(Self.seconds(seconds))"
        case .cut(let characters): "the language model's reply stopped after \(characters) characters, before it was complete"
        case .malformed(let what): "the language model's server answered something that is not the chat protocol: \(what)"
        case .refused(let why): "the language model gave no answer: \(why)"
        case .busy(let waiting): "\(waiting) model calls are waiting already; try again later"
        }
    }

    private static func said(_ message: String) -> String { message.isEmpty ? "" : ": \(message)" }
    private static func seconds(_ s: Double) -> String { s == s.rounded() ? "\(Int(s)) s" : "\(s) s" }
}
