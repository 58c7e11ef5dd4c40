import Synchronization
import TomeAPI

/// Counters and the processing-time histogram behind `GET /metrics`.
final class Metrics: Sendable {
    /// Upper bounds of the `tome_processing_seconds` buckets.
    static let bounds: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]

    private struct State {
        var buckets = [Int](repeating: 0, count: Metrics.bounds.count)
        var count = 0
        var sum = 0.0
        var tokens = 0
        var failures = 0
    }

    private let state = Mutex(State())

    func documentProcessed(seconds: Double, tokens: Int) {
        state.withLock { s in
            for (i, bound) in Self.bounds.enumerated() where seconds <= bound { s.buckets[i] += 1 }
            s.count += 1
            s.sum += seconds
            s.tokens += tokens
        }
    }

    func documentFailed() { state.withLock { $0.failures += 1 } }

    /// The Prometheus text exposition of these figures plus the gauges given.
    func render(documents: [String: Int], queueLength: Int, workersBusy: Int, workers: Int, uptime: Double, storage: StorageStatus) -> String {
        let s = state.withLock { $0 }
        var out = ""
        out += "# HELP tome_documents Documents in the store, by status.\n# TYPE tome_documents gauge\n"
        for status in documents.keys.sorted() { out += "tome_documents{status=\"\(status)\"} \(documents[status] ?? 0)\n" }
        out += "# HELP tome_queue_length Jobs waiting for a worker.\n# TYPE tome_queue_length gauge\ntome_queue_length \(queueLength)\n"
        out += "# HELP tome_workers_busy Workers processing a document now.\n# TYPE tome_workers_busy gauge\ntome_workers_busy \(workersBusy)\n"
        out += "# HELP tome_workers Workers configured.\n# TYPE tome_workers gauge\ntome_workers \(workers)\n"
        out += "# HELP tome_processing_seconds Time to extract and store one document, since start.\n# TYPE tome_processing_seconds histogram\n"
        for (i, bound) in Self.bounds.enumerated() { out += "tome_processing_seconds_bucket{le=\"\(bound)\"} \(s.buckets[i])\n" }
        out += "tome_processing_seconds_bucket{le=\"+Inf\"} \(s.count)\ntome_processing_seconds_sum \(s.sum)\ntome_processing_seconds_count \(s.count)\n"
        out += "# HELP tome_tokens_processed_total Tokens in documents processed since start.\n# TYPE tome_tokens_processed_total counter\ntome_tokens_processed_total \(s.tokens)\n"
        out += "# HELP tome_documents_failed_total Documents that failed since start.\n# TYPE tome_documents_failed_total counter\ntome_documents_failed_total \(s.failures)\n"
        out += "# HELP tome_uptime_seconds Seconds since the daemon started.\n# TYPE tome_uptime_seconds gauge\ntome_uptime_seconds \(uptime)\n"
        out += "# HELP tome_disk_full 1 while intake and processing are paused for want of space.\n# TYPE tome_disk_full gauge\ntome_disk_full \(storage.writable ? 0 : 1)\n"
        out += "# HELP tome_state_free_bytes Free bytes on the state dir's file system.\n# TYPE tome_state_free_bytes gauge\ntome_state_free_bytes \(storage.freeBytes)\n"
        return out
    }
}
