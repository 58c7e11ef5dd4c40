import Foundation
import Testing
import TomeAPI
import TomeStore

/// `JobLifecycle` alone, with a clock that is a number: every path a job
/// can take, without a database or a daemon.
@Suite struct JobLifecycleTests {
    let lifecycle = JobLifecycle(retries: 2, backoffSeconds: 5)
    let t0 = Date(timeIntervalSince1970: 1_000)

    func queued(at time: Date? = nil) -> JobLifecycle.State {
        JobLifecycle.State(status: .queued, nextAttemptAt: time ?? t0)
    }

    @Test func aClaimTakesADueJobAndCountsTheAttempt() throws {
        #expect(throws: JobLifecycle.Refused.self) { try lifecycle.apply(.claim(at: t0 - 1), to: queued()) }
        let claimed = try lifecycle.apply(.claim(at: t0), to: queued())
        #expect(claimed.status == .processing)
        #expect(claimed.attempts == 1)
        #expect(claimed.startedAt == t0)
        // Claimed twice is a mistake of the caller's, refused.
        #expect(throws: JobLifecycle.Refused.self) { try lifecycle.apply(.claim(at: t0), to: claimed) }
    }

    @Test func transientFailuresAreRetriedWithDoublingBackoffThenFail() throws {
        var job = queued()
        var now = t0
        var waits: [Double] = []
        while true {
            job = try lifecycle.apply(.claim(at: now), to: job)
            job = try lifecycle.apply(.fail(code: .timeout, message: "timeout after 120 s", transient: true, at: now), to: job)
            guard job.status == .queued else { break }
            waits.append(job.nextAttemptAt.timeIntervalSince(now))
            #expect(job.errorCode == "timeout")
            now = job.nextAttemptAt
        }
        #expect(waits == [5, 10])  // retries = 2: three attempts in all
        #expect(job.status == .failed)
        #expect(job.attempts == 3)
        #expect(job.finishedAt == now)
        #expect(job.errorMessage == "timeout after 120 s")
    }

    @Test func aTypedFailureFailsAtOnce() throws {
        let claimed = try lifecycle.apply(.claim(at: t0), to: queued())
        let failed = try lifecycle.apply(.fail(code: .encrypted, message: "needs a password", transient: false, at: t0 + 2), to: claimed)
        #expect(failed.status == .failed)
        #expect(failed.errorCode == FailureCode.encrypted.rawValue)
        #expect(failed.finishedAt == t0 + 2)
    }

    @Test func completionClearsThePreviousAttemptsError() throws {
        var job = try lifecycle.apply(.claim(at: t0), to: queued())
        job = try lifecycle.apply(.fail(code: .crashed, message: "signal 11", transient: true, at: t0), to: job)
        job = try lifecycle.apply(.claim(at: job.nextAttemptAt), to: job)
        job = try lifecycle.apply(.storing, to: job)
        job = try lifecycle.apply(.complete(at: t0 + 60), to: job)
        #expect(job.status == .done)
        #expect(job.errorCode == nil && job.errorMessage == nil)
        #expect(!job.storing)
        #expect(job.attempts == 2)
        #expect(throws: JobLifecycle.Refused.self) { try lifecycle.apply(.complete(at: t0), to: queued()) }
    }

    /// A graceful stop, or a kill while the child worked, any number of times: never the document's fault.
    @Test func releasesAndKillsWhileTheChildWorksGiveTheAttemptBack() throws {
        var job = queued()
        for round in 0..<10 {
            job = try lifecycle.apply(.claim(at: t0), to: job)
            job = try lifecycle.apply(round % 2 == 0 ? .release : .recover(at: t0), to: job)
            #expect(job.status == .queued)
            #expect(job.attempts == 0)
        }
        #expect(job.crashes == 0)
    }

    /// A start that finds the daemon was storing the job counts a crash; after `retries + 1`
    /// crashes the job fails as `interrupted`, so a document that kills the daemon cannot keep it in a crash loop.
    @Test func crashesWhileStoringFailTheJobAfterItsRetries() throws {
        var job = queued()
        for crash in 1...3 {
            job = try lifecycle.apply(.claim(at: t0), to: job)
            job = try lifecycle.apply(.storing, to: job)
            job = try lifecycle.apply(.recover(at: t0 + Double(crash)), to: job)
            #expect(job.crashes == crash)
            if crash <= lifecycle.retries {
                #expect(job.status == .queued)
                #expect(!job.storing)
            }
        }
        #expect(job.status == .failed)
        #expect(job.errorCode == FailureCode.interrupted.rawValue)
        #expect(job.finishedAt == t0 + 3)
    }

    @Test func eventsThatDoNotApplyAreRefused() {
        let done = JobLifecycle.State(status: .done, attempts: 1, nextAttemptAt: t0)
        for event: JobLifecycle.Event in [.claim(at: t0), .storing, .release, .recover(at: t0),
                                          .fail(code: .crashed, message: "", transient: true, at: t0)] {
            #expect(throws: JobLifecycle.Refused.self, "\(event)") { try lifecycle.apply(event, to: done) }
        }
    }
}
