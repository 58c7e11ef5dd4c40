import Foundation
import Hummingbird
import NIOCore
import TomeAPI
import TomeEngine
import TomeStore

/// `/v1/health`, `/v1/status`, `/metrics`: whether the daemon answers, and how it is.
/// None of them waits on a lane: they answer in milliseconds whatever the asks.
struct StatusAPI: Sendable {
    let store: Store
    let memory: CorpusMemory
    let events: EventHub
    let metrics: Metrics
    let settings: SettingsBox
    let storage: StorageMonitor
    let workers: Int
    let startedAt: Double
    /// The semantic head, as found at start.
    var meaning: MeaningStatus = .off("not configured")
    /// The language model, when one is configured.
    var model: LanguageModel? = nil
    static let version = "0.1.0"

    var endpoints: [Endpoint] {
        [
            Endpoint(.get, "/v1/health", access: .read) { _, _ in try health() },
            Endpoint(.get, "/v1/status", access: .read) { _, _ in try JSONBody.response(try status()) },
            Endpoint(.get, "/metrics", access: .read) { _, _ in try metricsText() },
        ]
    }

    /// `ok`, or `degraded` (503) with the problems (a full disk) while the daemon cannot write.
    func health() throws -> Response {
        let snapshot = storage.snapshot
        guard let problem = snapshot.problem else { return try JSONBody.response(["status": "ok"]) }
        return try JSONBody.response(HealthReport(status: "degraded", problems: [problem]), status: .serviceUnavailable)
    }

    func status() throws -> DaemonStatus {
        let counts = try store.countsByStatus()
        return DaemonStatus(
            documents: Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) }),
            queueLength: try store.queueLength(), workersBusy: events.busyWorkers, workers: workers,
            uptimeSeconds: (monotonicNow() - startedAt).rounded(toPlaces: 3), version: Self.version,
            storage: StorageStatus(writable: storage.snapshot.writable, freeBytes: storage.snapshot.freeBytes, problem: storage.snapshot.problem),
            memory: memory.status, pipelines: settings.pipelines.keys.sorted(), meaning: meaning,
            llm: { var llm = model?.status ?? LLMStatus(configured: false); llm.writtenPending = (try? store.pendingWrittenCount()) ?? 0; return llm }()
        )
    }

    func metricsText() throws -> Response {
        let s = try status()
        let text = metrics.render(documents: s.documents, queueLength: s.queueLength, workersBusy: s.workersBusy, workers: s.workers, uptime: s.uptimeSeconds,
                                  storage: s.storage) + (model?.metricsText() ?? "")
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
