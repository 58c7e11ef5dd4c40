import Foundation
import Synchronization
import TomeAPI

/// Fans out document events to every `GET /v1/events` client, and keeps the
/// live figures the API shows: progress of documents in work, busy workers.
final class EventHub: Sendable {
    private struct State {
        var subscribers: [UUID: AsyncStream<Event>.Continuation] = [:]
        var progress: [Int64: DocumentProgress] = [:]
        var busyWorkers = 0
    }

    private let state = Mutex(State())

    /// A stream of the events published from now on; it ends when the client goes.
    func subscribe() -> AsyncStream<Event> {
        let id = UUID()
        let (stream, continuation) = AsyncStream<Event>.makeStream(bufferingPolicy: .bufferingNewest(1024))
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        state.withLock { $0.subscribers[id] = continuation }
        return stream
    }

    func publish(_ event: Event) {
        let targets = state.withLock { state -> [AsyncStream<Event>.Continuation] in
            if event.event == "progress" {
                state.progress[event.id] = event.progress
            } else if ["done", "failed", "deleted", "queued"].contains(event.event) {
                state.progress[event.id] = nil
            }
            return Array(state.subscribers.values)
        }
        for target in targets { target.yield(event) }
    }

    /// Ends every stream (the daemon is stopping).
    func finishAll() {
        let targets = state.withLock { state in
            defer { state.subscribers.removeAll() }
            return Array(state.subscribers.values)
        }
        for target in targets { target.finish() }
    }

    func progress(of id: Int64) -> DocumentProgress? { state.withLock { $0.progress[id] } }

    var busyWorkers: Int { state.withLock { $0.busyWorkers } }

    func workerStarted() { state.withLock { $0.busyWorkers += 1 } }
    func workerFinished() { state.withLock { $0.busyWorkers -= 1 } }
}

/// ISO 8601 UTC with milliseconds, the form every time in the API takes.
func iso8601(_ date: Date) -> String {
    date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
}
