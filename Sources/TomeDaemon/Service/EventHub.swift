import Foundation
import Synchronization
import TomeAPI

/// Fans out document events to every `GET /v1/events` client, and keeps the
/// live figures the API shows: progress of documents in work, busy workers.
final class EventHub: Sendable {
    private struct State {
        var subscribers: [UUID: (peer: UInt32, continuation: AsyncStream<Event>.Continuation)] = [:]
        var progress: [Int64: DocumentProgress] = [:]
        var activeJobs: Set<Int64> = []
    }

    private let state = Mutex(State())

    /// A stream of the events published from now on, ending when the client
    /// goes; nil when `limit` streams are open in all or `perPeer` for `peer`.
    func subscribe(peer: UInt32, limit: Int, perPeer: Int) -> AsyncStream<Event>? {
        let id = UUID()
        let (stream, continuation) = AsyncStream<Event>.makeStream(bufferingPolicy: .bufferingNewest(1024))
        let admitted = state.withLock { state -> Bool in
            guard state.subscribers.count < limit, state.subscribers.values.filter({ $0.peer == peer }).count < perPeer else { return false }
            state.subscribers[id] = (peer, continuation)
            return true
        }
        guard admitted else { return nil }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Streams open now.
    var streams: Int { state.withLock { $0.subscribers.count } }

    /// A heartbeat line to every stream: a client that vanished is noticed at
    /// the write, and one that listens knows the daemon is there.
    func heartbeat() {
        let targets = state.withLock { $0.subscribers.values.map(\.continuation) }
        let event = Event(event: .heartbeat, id: 0, name: "", time: iso8601(Date()))
        for target in targets { target.yield(event) }
    }

    func publish(_ event: Event) {
        let targets = state.withLock { state -> [AsyncStream<Event>.Continuation] in
            if event.event == .progress {
                state.progress[event.id] = event.progress
            } else if [.done, .failed, .deleted, .queued].contains(event.event) {
                state.progress[event.id] = nil
            }
            return state.subscribers.values.map(\.continuation)
        }
        for target in targets { target.yield(event) }
    }

    /// Ends every stream (the daemon is stopping).
    func finishAll() {
        let targets = state.withLock { state in
            defer { state.subscribers.removeAll() }
            return state.subscribers.values.map(\.continuation)
        }
        for target in targets { target.finish() }
    }

    func progress(of id: Int64) -> DocumentProgress? { state.withLock { $0.progress[id] } }

    var busyWorkers: Int { state.withLock { $0.activeJobs.count } }
    /// The jobs workers hold now.
    var activeJobs: Set<Int64> { state.withLock { $0.activeJobs } }

    func workerStarted(job: Int64) { state.withLock { _ = $0.activeJobs.insert(job) } }
    func workerFinished(job: Int64) { state.withLock { _ = $0.activeJobs.remove(job) } }
}

/// ISO 8601 UTC with milliseconds, the form every time in the API takes.
func iso8601(_ date: Date) -> String {
    date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
}
