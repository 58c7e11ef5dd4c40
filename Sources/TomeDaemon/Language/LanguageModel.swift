import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TomeAPI
import TomeLLM

/// The configured language model (`[llm]`), shared by every request that
/// asks it to write: at most `concurrency` calls at once, at most
/// `queue_limit` more admitted to wait (past that, `ModelError.busy` at
/// once: back-pressure, never an unbounded queue), its health (a probe of
/// `GET /models` every minute, and the outcome of every call) and the
/// figures `/metrics` shows. As a service it probes until the daemon
/// stops, then closes its connections.
final class LanguageModel: Service, Sendable {
    let config: DaemonConfig.LLMConfig
    /// nil when no model is configured, or its key file cannot be read (`problem` says so).
    let client: ChatClient?
    let problem: String?
    private let logger: Logger

    private struct State {
        /// Call slots in use (the probe's included, `probing`), and calls admitted (running or waiting), in all and per peer.
        var running = 0
        var probing = false
        var admitted = 0
        var perOwner: [UInt32: Int] = [:]
        /// Calls waiting for a slot, first come first served; each with its number, so a cancelled one can leave.
        var waiters: [(id: Int, continuation: CheckedContinuation<Void, Error>)] = []
        var nextWaiter = 0
        var answering: Bool?
        var reason: String?
        var checkedAt: Date?
        var outcomes: [String: Int] = [:]
        var promptTokens = 0
        var completionTokens = 0
        var seconds = 0.0
        var firstTokenSeconds = 0.0
        var firstTokenCount = 0

        /// Calls running (the probe's slot is not one).
        var calls: Int { running - (probing ? 1 : 0) }

        /// A call's place, freed.
        mutating func giveBack(_ owner: UInt32?) {
            admitted -= 1
            guard let owner, let held = perOwner[owner] else { return }
            perOwner[owner] = held > 1 ? held - 1 : nil
        }
    }

    private let state = Mutex(State())

    init(config: DaemonConfig.LLMConfig, environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger) {
        self.config = config
        self.logger = logger
        guard config.isConfigured else {
            client = nil
            problem = nil
            return
        }
        do {
            let key = try Self.apiKey(config, environment: environment)
            client = ChatClient(endpoint: ModelEndpoint(
                baseURL: config.baseURL, model: config.model, apiKey: key, connectTimeout: config.connectTimeoutSeconds,
                idleTimeout: config.idleTimeoutSeconds, timeout: config.timeoutSeconds, maxReplyTokens: config.maxReplyTokens))
            problem = nil
        } catch {
            client = nil
            problem = "\(error)"
        }
    }

    /// The key a file of its own holds (first line), else the environment variable named; neither: none (a local server).
    static func apiKey(_ config: DaemonConfig.LLMConfig, environment: [String: String]) throws -> APIKey? {
        if !config.apiKeyFile.isEmpty {
            guard let data = FileManager.default.contents(atPath: config.apiKeyFile) else {
                throw ConfigError(file: config.apiKeyFile, location: "llm.api_key_file", message: "cannot read the API key file")
            }
            let key = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init)?
                .trimmingCharacters(in: .whitespaces) ?? ""
            guard !key.isEmpty else { throw ConfigError(file: config.apiKeyFile, location: "llm.api_key_file", message: "the API key file is empty") }
            return APIKey(key)
        }
        if !config.apiKeyEnv.isEmpty, let key = environment[config.apiKeyEnv], !key.isEmpty { return APIKey(key) }
        return nil
    }

    /// What `/v1/status` says of it.
    var status: LLMStatus {
        guard config.isConfigured else { return LLMStatus(configured: false) }
        return state.withLock { s in
            LLMStatus(configured: true, model: config.model, baseURL: config.baseURL, answering: problem == nil ? s.answering : false,
                      reason: problem ?? s.reason, checkedAt: s.checkedAt.map(iso8601), running: s.calls, waiting: s.admitted - s.calls)
        }
    }

    /// A place among the calls running or waiting, taken before the client
    /// is answered (so that a full queue is a 429, not a stream that fails);
    /// `call` uses it, and gives it back.
    final class Admission: Sendable {
        fileprivate let model: LanguageModel
        /// The peer user it was admitted for (nil: the daemon's own work, the written stage).
        let owner: UInt32?
        /// Taken by `call`; an admission never used (the ask failed first) gives its place back when dropped.
        fileprivate let used = Atomic(false)
        fileprivate init(model: LanguageModel, owner: UInt32?) { (self.model, self.owner) = (model, owner) }
        deinit { if !used.load(ordering: .acquiring) { model.state.withLock { $0.giveBack(owner) } } }
    }

    /// One peer's share of the places: half of them (at least one), so that
    /// one user's written answers never fill the line for the others.
    var ownerShare: Int { max(1, (config.concurrency + config.queueLimit) / 2) }

    /// One peer already holds `ownerShare` places.
    struct OwnerShareFull: Error {
        var share: Int
    }

    /// A place for `owner`'s call (a peer's uid; nil for the daemon's own
    /// work): `ModelError.busy` when every place is taken, `OwnerShareFull`
    /// when the peer holds its share.
    func admit(owner: UInt32? = nil) throws -> Admission {
        guard client != nil else { throw problem.map { ModelError.unreachable($0) } ?? ModelError.notConfigured }
        let share = ownerShare
        let refusal = state.withLock { s -> Error? in
            guard s.admitted < config.concurrency + config.queueLimit else { return ModelError.busy(waiting: config.queueLimit) }
            if let owner, s.perOwner[owner, default: 0] >= share { return OwnerShareFull(share: share) }
            s.admitted += 1
            if let owner { s.perOwner[owner, default: 0] += 1 }
            return nil
        }
        if let refusal { throw refusal }
        return Admission(model: self, owner: owner)
    }

    /// Runs `messages` once a call slot is free; the outcome is counted and
    /// tells the status whether the model answers.
    func call(_ messages: [ChatProtocol.Message], admission: Admission, estimatedPromptTokens: Int,
              onText: @Sendable (String) async throws -> Void) async throws -> ChatClient.Reply {
        guard admission.used.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            throw ModelError.busy(waiting: 0)  // an admission is good for one call
        }
        guard let client else { state.withLock { $0.giveBack(admission.owner) }; throw ModelError.notConfigured }
        do {
            try await acquire()
        } catch {
            state.withLock { $0.giveBack(admission.owner) }  // cancelled while waiting: its place goes to the next
            throw error
        }
        defer { release(admission) }
        do {
            try Task.checkCancellation()
            let reply = try await client.complete(messages, onText: onText)
            state.withLock { s in
                s.outcomes["ok", default: 0] += 1
                s.promptTokens += reply.usage?.promptTokens ?? estimatedPromptTokens
                s.completionTokens += reply.usage?.completionTokens ?? 0
                s.seconds += reply.seconds
                if let first = reply.firstTextSeconds { s.firstTokenSeconds += first; s.firstTokenCount += 1 }
                (s.answering, s.reason, s.checkedAt) = (true, nil, Date())
            }
            return reply
        } catch let error as ModelError {
            state.withLock { s in
                s.outcomes[error.code, default: 0] += 1
                // A refusal or a rate limit is an answer; a server away or failing is not.
                switch error {
                case .refused, .rateLimited, .busy: (s.answering, s.reason, s.checkedAt) = (true, nil, Date())
                default: (s.answering, s.reason, s.checkedAt) = (false, error.description, Date())
                }
            }
            logger.warning("language model call failed", metadata: ["code": "\(error.code)", "error": "\(error)"])
            throw error
        }
    }

    /// A call slot, now or when one frees; a task cancelled while it waits
    /// (its client left, the daemon stops) leaves the line with `CancellationError`.
    private func acquire() async throws {
        let id = state.withLock { s -> Int in
            s.nextWaiter += 1
            return s.nextWaiter
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                // Cancelled before the handler could find it in the line: it never joins.
                enum Outcome { case now, waiting, cancelled }
                let outcome = state.withLock { s -> Outcome in
                    if Task.isCancelled { return .cancelled }
                    if s.running < config.concurrency {
                        s.running += 1
                        return .now
                    }
                    s.waiters.append((id, continuation))
                    return .waiting
                }
                switch outcome {
                case .now: continuation.resume()
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .waiting: break
                }
            }
        } onCancel: {
            let waiting = state.withLock { s -> CheckedContinuation<Void, Error>? in
                guard let at = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return s.waiters.remove(at: at).continuation
            }
            waiting?.resume(throwing: CancellationError())
        }
    }

    /// The probe's slot, when one is free and no call waits (the probe never makes a call wait long).
    private func acquireForProbe() -> Bool {
        state.withLock { s in
            guard s.running < config.concurrency, s.waiters.isEmpty, !s.probing else { return false }
            s.running += 1
            s.probing = true
            return true
        }
    }

    /// Hands the slot to the first waiter, or frees it; a call's (`admission`) place is given back with it.
    private func release(_ admission: Admission?) {
        let next = state.withLock { s -> CheckedContinuation<Void, Error>? in
            if let admission { s.giveBack(admission.owner) } else { s.probing = false }
            guard !s.waiters.isEmpty else { s.running -= 1; return nil }
            return s.waiters.removeFirst().continuation
        }
        next?.resume()
    }

    /// Asks the server whether it answers (`GET /models`). A server without that endpoint (404) still answers.
    func probe() async {
        guard let client else { return }
        // Not while a call runs: its outcome says whether the model answers, and some servers
        // (llama-cpp-python's, by default) end a running stream when another request arrives.
        // The probe holds a slot of its own, so no call starts under it (with concurrency = 1).
        guard state.withLock({ $0.running == 0 }), acquireForProbe() else { return }
        defer { release(nil) }
        let outcome: (Bool, String?)
        do {
            _ = try await client.models()
            outcome = (true, nil)
        } catch ModelError.failed(let status, _) where status == 404 || status == 405 {
            outcome = (true, nil)
        } catch let error as ModelError {
            outcome = (false, error.description)
        } catch {
            outcome = (false, "\(error)")
        }
        let changed = state.withLock { s -> Bool in
            let changed = s.answering != outcome.0
            (s.answering, s.reason, s.checkedAt) = (outcome.0, outcome.1, Date())
            return changed
        }
        if changed {
            if outcome.0 {
                logger.notice("language model answers", metadata: ["model": "\(config.model)", "base_url": "\(config.baseURL)"])
            } else {
                logger.warning("language model does not answer", metadata: ["base_url": "\(config.baseURL)", "reason": "\(outcome.1 ?? "")"])
            }
        }
    }

    /// Probes at start and every minute until the daemon stops, then closes the connections.
    func run() async throws {
        if let problem { logger.error("language model off", metadata: ["problem": "\(problem)"]) }
        // A service may not end before the daemon does: without a model it just waits.
        guard let client else { try? await gracefulShutdown(); return }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.probe()
                try? await Task.sleep(for: .seconds(60))
            }
        }
        await client.shutdown()
    }

    /// The Prometheus lines of the model's calls.
    func metricsText() -> String {
        guard config.isConfigured else { return "" }
        let s = state.withLock { $0 }
        var out = "# HELP tome_llm_calls_total Language model calls since start, by outcome (ok or the error code).\n# TYPE tome_llm_calls_total counter\n"
        for outcome in (["ok"] + s.outcomes.keys.filter { $0 != "ok" }.sorted()) {
            out += "tome_llm_calls_total{outcome=\"\(outcome)\"} \(s.outcomes[outcome] ?? 0)\n"
        }
        out += "# HELP tome_llm_prompt_tokens_total Prompt tokens sent (as the server counted, else estimated).\n# TYPE tome_llm_prompt_tokens_total counter\ntome_llm_prompt_tokens_total \(s.promptTokens)\n"
        out += "# HELP tome_llm_completion_tokens_total Reply tokens the server counted.\n# TYPE tome_llm_completion_tokens_total counter\ntome_llm_completion_tokens_total \(s.completionTokens)\n"
        let ok = s.outcomes["ok"] ?? 0
        out += "# HELP tome_llm_call_seconds Time of successful calls.\n# TYPE tome_llm_call_seconds summary\ntome_llm_call_seconds_sum \(s.seconds)\ntome_llm_call_seconds_count \(ok)\n"
        out += "# HELP tome_llm_first_token_seconds Time to the first words of a reply.\n# TYPE tome_llm_first_token_seconds summary\ntome_llm_first_token_seconds_sum \(s.firstTokenSeconds)\ntome_llm_first_token_seconds_count \(s.firstTokenCount)\n"
        out += "# HELP tome_llm_running Calls running now.\n# TYPE tome_llm_running gauge\ntome_llm_running \(s.calls)\n"
        out += "# HELP tome_llm_waiting Calls admitted and waiting for a slot.\n# TYPE tome_llm_waiting gauge\ntome_llm_waiting \(s.admitted - s.calls)\n"
        out += "# HELP tome_llm_up 1 when the model answered the last probe or call.\n# TYPE tome_llm_up gauge\ntome_llm_up \(s.answering == true ? 1 : 0)\n"
        return out
    }
}

extension DaemonConfig.LLMConfig {
    /// `tomed check-config`: the key file, when one is named, can be read and holds a key.
    public func checkKey() throws {
        _ = try LanguageModel.apiKey(self, environment: [:])
    }
}
