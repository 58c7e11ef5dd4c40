import Foundation
import TomeAPI

/// A job's life as values: what each event makes of a job, and nothing
/// else — no clock, no database. The store applies it inside its
/// transactions (`Store.apply`), and its tests drive it with a fake clock.
///
///     queued --claim--> processing --storing--> processing (storing)
///       ^                 |   |                    |
///       |  release        |   | fail(transient,    | complete -> done
///       +-----------------+   |   attempts left)   | fail -> queued after backoff | failed
///       +---------------------+ -> queued at now + backoff · 2^(attempts-1)
///
/// `release` gives the attempt back: a graceful stop, a kill while the
/// child worked, a commit that had to wait for space say nothing about the
/// document. `recover` is what a start makes of a job it finds in
/// processing: released — unless the daemon itself was storing it, which
/// counts a crash, and after `retries + 1` crashes the job fails as
/// `interrupted` (a document that kills the daemon cannot keep it in a
/// crash loop).
public struct JobLifecycle: Sendable, Equatable {
    /// Attempts after the first for transient failures (`[jobs] retries`).
    public var retries: Int
    /// Wait before the first retry, doubled for each later one (`[jobs] retry_backoff_s`).
    public var backoffSeconds: Double

    public init(retries: Int, backoffSeconds: Double) {
        self.retries = retries
        self.backoffSeconds = backoffSeconds
    }

    /// What the lifecycle knows of a job.
    public struct State: Sendable, Equatable {
        public var status: JobStatus
        /// Attempts started (a released one is given back).
        public var attempts: Int
        /// Stops that found the daemon storing this job's result.
        public var crashes: Int
        /// The child is done and the daemon works on the result.
        public var storing: Bool
        /// When a queued job may be claimed.
        public var nextAttemptAt: Date
        public var errorCode: String?
        public var errorMessage: String?
        public var startedAt: Date?
        public var finishedAt: Date?

        public init(status: JobStatus, attempts: Int = 0, crashes: Int = 0, storing: Bool = false, nextAttemptAt: Date,
                    errorCode: String? = nil, errorMessage: String? = nil, startedAt: Date? = nil, finishedAt: Date? = nil) {
            self.status = status
            self.attempts = attempts
            self.crashes = crashes
            self.storing = storing
            self.nextAttemptAt = nextAttemptAt
            self.errorCode = errorCode
            self.errorMessage = errorMessage
            self.startedAt = startedAt
            self.finishedAt = finishedAt
        }
    }

    public enum Event: Sendable, Equatable {
        /// A worker takes the job (queued and due).
        case claim(at: Date)
        /// The child is done: the daemon itself now works on the result.
        case storing
        /// The result is stored.
        case complete(at: Date)
        /// The attempt failed; a `transient` failure is retried while attempts remain.
        case fail(code: FailureCode, message: String, transient: Bool, at: Date)
        /// Given back unfinished, the attempt not counted.
        case release
        /// A start found the job in processing.
        case recover(at: Date)
    }

    /// An event that does not apply to the job's state (a claim of a job in
    /// work, a completion of a queued one): the caller's mistake, refused.
    public struct Refused: Error, Equatable {
        public var event: Event
        public var status: JobStatus
    }

    /// The job after `event`.
    public func apply(_ event: Event, to job: State) throws(Refused) -> State {
        var next = job
        switch (event, job.status) {
        case let (.claim(now), .queued) where job.nextAttemptAt <= now:
            next.status = .processing
            next.attempts += 1
            next.startedAt = now
        case (.storing, .processing):
            next.storing = true
        case let (.complete(now), .processing):
            next = State(status: .done, attempts: job.attempts, crashes: job.crashes, nextAttemptAt: job.nextAttemptAt,
                         startedAt: job.startedAt, finishedAt: now)
        case let (.fail(code, message, transient, now), .processing):
            next.storing = false
            next.errorCode = code.rawValue
            next.errorMessage = message
            if transient && job.attempts <= retries {
                next.status = .queued
                next.startedAt = nil
                next.nextAttemptAt = now + backoff(afterAttempt: job.attempts)
            } else {
                next.status = .failed
                next.finishedAt = now
            }
        case (.release, .processing):
            next = released(job)
        case let (.recover(now), .processing):
            guard job.storing else { return released(job) }
            next.crashes += 1
            if next.crashes > retries {
                next.storing = false
                next.status = .failed
                next.errorCode = FailureCode.interrupted.rawValue
                next.errorMessage = "tomed stopped while storing this document \(retries + 1) times (a crash or a kill); it is not tried again"
                next.finishedAt = now
            } else {
                next = released(next)
            }
        default:
            throw Refused(event: event, status: job.status)
        }
        return next
    }

    /// Seconds to wait after failed attempt `attempt` (from 1).
    public func backoff(afterAttempt attempt: Int) -> Double {
        backoffSeconds * pow(2, Double(max(0, attempt - 1)))
    }

    private func released(_ job: State) -> State {
        var next = job
        next.status = .queued
        next.storing = false
        next.attempts = max(0, job.attempts - 1)
        next.startedAt = nil
        return next
    }
}
