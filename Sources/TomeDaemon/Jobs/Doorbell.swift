import Synchronization

/// Wakes the loops that would otherwise poll: a worker sleeps until the
/// next job is due or a bell rings (a file was queued, space returned, a
/// job was handed back), the spool watcher until its next deadline or an
/// inotify event.
///
/// `ring()` wakes every waiter; a ring with nobody waiting is kept, so the
/// next `wait` returns at once (a ring between a loop's check and its wait
/// is never lost). A waiter also wakes at its deadline, and when its task
/// is cancelled.
final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var next = 0
    }

    private let state = Mutex(State())

    /// Tasks waiting now.
    var waiting: Int { state.withLock { $0.waiters.count } }

    func ring() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            guard !s.waiters.isEmpty else {
                s.rung = true
                return []
            }
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns at the first ring (or one kept from before), at `deadline`
    /// (nil: no deadline), or when the task is cancelled.
    func wait(until deadline: ContinuousClock.Instant?) async {
        if state.withLock({ s in defer { s.rung = false }; return s.rung }) { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForRing() }
            if let deadline {
                group.addTask { try? await Task.sleep(until: deadline, clock: .continuous) }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Suspends until a ring; resumes at once when the task is cancelled.
    private func waitForRing() async {
        let id = state.withLock { s in defer { s.next += 1 }; return s.next }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.rung || Task.isCancelled {
                        s.rung = false
                        return true
                    }
                    s.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}
