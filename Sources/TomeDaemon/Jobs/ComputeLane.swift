import CTomeSystem
import Dispatch
import Foundation
import Synchronization

/// Runs CPU- or disk-heavy work (asks, the store's commits, the corpus
/// memory's updates) on threads of its own, so that the threads serving
/// requests — Swift's global executor, which on Linux is libdispatch's pool
/// of about one thread per core — are never taken by it: `/v1/health`
/// answers in milliseconds whatever the other clients ask.
///
/// The lane owns `threads` threads, started once; work waiting for them is
/// a closure in a queue, not a blocked thread (an earlier lane blocked a
/// dispatch worker per waiting job, and with the pool's threads all waiting
/// on dense asks, health waited behind them). Past `queueLimit` jobs waiting
/// or running, or past `perOwner` of one owner (a peer user), `run` refuses
/// at once with `Busy`, which says when a retry is likely to be admitted.
/// A lane may run at a lower priority (`nice`): the kernel then serves the
/// request threads first when both want a core.
final class ComputeLane: Sendable {
    /// The lane is full, or full for this owner: try again in `retryAfter` seconds.
    struct Busy: Error {
        /// What the lane runs, for the message ("dense asks").
        var work: String
        var retryAfter: Int
        /// The owner's share was full (the lane itself had room).
        var ownerShare: Bool
    }

    private struct State {
        var queue: [@Sendable () -> Void] = []
        var head = 0
        /// Jobs admitted (waiting or running), in all and per owner.
        var admitted = 0
        var perOwner: [UInt32: Int] = [:]
        /// Mean run time in seconds, exponentially weighted (the retry estimate).
        var meanSeconds = 0.0

        mutating func pop() -> (@Sendable () -> Void)? {
            guard head < queue.count else { return nil }
            let job = queue[head]
            head += 1
            if head > 64, head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
            return job
        }
    }

    let name: String
    /// What it runs, in words.
    let work: String
    private let threads: Int
    private let queueLimit: Int
    private let perOwner: Int
    private let state = Mutex(State())
    /// Counts queued jobs; the lane's threads wait on it (they are its own: blocking them costs nobody).
    private let available = DispatchSemaphore(value: 0)

    /// `perOwner` 0 means no share per owner.
    init(name: String, work: String, threads: Int, queueLimit: Int = .max, perOwner: Int = 0, nice: Int32 = 0) {
        self.name = name
        self.work = work
        self.threads = max(1, threads)
        self.queueLimit = queueLimit
        self.perOwner = perOwner
        for index in 0..<self.threads {
            let thread = Thread { [self] in
                if nice != 0 { _ = tome_set_thread_nice(nice) }
                self.serve()
            }
            thread.name = "tome-\(name)-\(index)"
            thread.start()
        }
    }

    /// Work waiting or running.
    var load: Int { state.withLock { $0.admitted } }

    /// Runs `work` on one of the lane's threads; `owner` (a peer's uid) is
    /// held to the lane's share per owner.
    func run<T: Sendable>(owner: UInt32? = nil, _ work: @escaping @Sendable () throws -> T) async throws -> T {
        try admit(owner)
        return try await withCheckedThrowingContinuation { continuation in
            let job: @Sendable () -> Void = { [self] in
                let started = monotonicNow()
                let result = Result { try work() }
                let seconds = monotonicNow() - started
                state.withLock { s in
                    s.admitted -= 1
                    if let owner { s.perOwner[owner, default: 1] -= 1; if s.perOwner[owner] == 0 { s.perOwner[owner] = nil } }
                    s.meanSeconds = s.meanSeconds == 0 ? seconds : 0.8 * s.meanSeconds + 0.2 * seconds
                }
                continuation.resume(with: result)
            }
            state.withLock { $0.queue.append(job) }
            available.signal()
        }
    }

    private func admit(_ owner: UInt32?) throws {
        try state.withLock { s in
            let full = s.admitted >= queueLimit
            let ownerFull = perOwner > 0 && owner.map { s.perOwner[$0, default: 0] >= perOwner } == true
            guard !full && !ownerFull else {
                // Roughly when one of the jobs ahead will have left: the queue's work shared by the threads.
                let wait = s.meanSeconds * Double(s.admitted) / Double(threads)
                throw Busy(work: work, retryAfter: max(1, min(60, Int(wait.rounded(.up)))), ownerShare: !full)
            }
            s.admitted += 1
            if let owner { s.perOwner[owner, default: 0] += 1 }
        }
    }

    private func serve() {
        while true {
            available.wait()
            if let job = state.withLock({ $0.pop() }) { job() }
        }
    }
}

/// The daemon's lanes: asks, dense and deep asks (one at a time: each reads every
/// block; at most four admitted, two per peer user; at a lower priority than
/// the threads serving requests), and the store's commits with the corpus
/// memory's updates (one at a time: they are ordered by the memory's
/// generation anyway).
struct Lanes: Sendable {
    let asks: ComputeLane
    let dense: ComputeLane
    let commits: ComputeLane

    init(cores: Int = ProcessInfo.processInfo.activeProcessorCount) {
        asks = ComputeLane(name: "sparse", work: "asks and searches", threads: max(1, cores), queueLimit: 64)
        dense = ComputeLane(name: "dense", work: "dense and deep asks", threads: 1, queueLimit: 4, perOwner: 2, nice: 10)
        commits = ComputeLane(name: "commit", work: "commits", threads: 1)
    }
}
