import Foundation
import Testing
@testable import TomeDaemon

/// The doorbell the workers and the watcher sleep on instead of polling.
/// (Bounds are loose: these run beside tests that keep the cores busy.)
@Suite(.timeLimit(.minutes(1))) struct DoorbellTests {
    @Test func aRingWithNobodyWaitingIsKeptForTheNextWait() async {
        let bell = Doorbell()
        bell.ring()
        let started = ContinuousClock.now
        await bell.wait(until: .now + .seconds(120))
        #expect(ContinuousClock.now - started < .seconds(60))
        // Kept once, not forever: the next wait sleeps to its deadline.
        let again = ContinuousClock.now
        await bell.wait(until: .now + .milliseconds(200))
        #expect(ContinuousClock.now - again >= .milliseconds(200))
    }

    @Test func aRingWakesEveryWaiter() async {
        let bell = Doorbell()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { await bell.wait(until: nil) } }
            while bell.waiting < 4 { try? await Task.sleep(for: .milliseconds(10)) }
            bell.ring()
        }
    }

    @Test func aCancelledWaiterReturns() async {
        let bell = Doorbell()
        let waiter = Task { await bell.wait(until: nil) }
        try? await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        await waiter.value
    }
}
