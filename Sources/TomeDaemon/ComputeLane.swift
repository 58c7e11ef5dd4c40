import Dispatch
import Foundation
import Synchronization

/// Runs CPU- or disk-heavy work (asks, the store's commits, the corpus
/// memory's updates) on threads of its own rather than on the cooperative
/// pool that serves requests, so `/v1/health` answers in milliseconds
/// whatever the other clients ask. At most `threads` run at once; past
/// `queueLimit` waiting, `run` refuses at once (the API says 503, retryable).
final class ComputeLane: Sendable {
    /// The lane is full: try again later.
    struct Busy: Error {
        var lane: String
    }

    let name: String
    private let queue: DispatchQueue
    private let slots: DispatchSemaphore
    private let queueLimit: Int
    private let pending = Atomic<Int>(0)

    init(name: String, threads: Int, queueLimit: Int = .max) {
        self.name = name
        queue = DispatchQueue(label: "tome.\(name)", attributes: .concurrent)
        slots = DispatchSemaphore(value: max(1, threads))
        self.queueLimit = queueLimit
    }

    /// Work waiting or running.
    var load: Int { pending.load(ordering: .relaxed) }

    func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        guard pending.add(1, ordering: .relaxed).newValue <= queueLimit else {
            pending.subtract(1, ordering: .relaxed)
            throw Busy(lane: name)
        }
        return try await withCheckedThrowingContinuation { continuation in
            queue.async { [self] in
                slots.wait()
                defer {
                    slots.signal()
                    pending.subtract(1, ordering: .relaxed)
                }
                continuation.resume(with: Result { try work() })
            }
        }
    }
}

/// The daemon's lanes: asks, dense asks (one at a time: each reads every
/// block), and the store's commits with the corpus memory's updates (one at
/// a time: they are ordered by the memory's generation anyway).
struct Lanes: Sendable {
    let asks: ComputeLane
    let dense: ComputeLane
    let commits: ComputeLane

    init(cores: Int = ProcessInfo.processInfo.activeProcessorCount) {
        asks = ComputeLane(name: "sparse", threads: max(1, cores), queueLimit: 64)
        dense = ComputeLane(name: "dense", threads: 1, queueLimit: 4)
        commits = ComputeLane(name: "commit", threads: 1)
    }
}
