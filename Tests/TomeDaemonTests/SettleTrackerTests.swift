import Testing

@testable import TomeDaemon

/// The settle rule with a fake clock: stable size and mtime for `settle`
/// seconds, and no writer holding the file open.
@Suite struct SettleTrackerTests {
    @Test func scannedFileIsReadyAfterTheSettleTime() {
        var tracker = SettleTracker(settle: 1)
        tracker.observe("/s/a.pdf", size: 10, mtime: 100, now: 0)
        #expect(tracker.ready(now: 0.5).isEmpty)
        tracker.observe("/s/a.pdf", size: 10, mtime: 100, now: 0.9)
        #expect(tracker.nextDeadline() == 1)
        #expect(tracker.ready(now: 1.0) == ["/s/a.pdf"])
        #expect(tracker.candidates.isEmpty)
    }

    @Test func aChangeRestartsTheClock() {
        var tracker = SettleTracker(settle: 1)
        tracker.observe("/s/a.pdf", size: 10, mtime: 100, now: 0)
        tracker.observe("/s/a.pdf", size: 20, mtime: 100.5, now: 0.8)
        #expect(tracker.ready(now: 1.5).isEmpty)
        #expect(tracker.ready(now: 1.8) == ["/s/a.pdf"])
    }

    @Test func aFileOpenForWritingWaitsForItsClose() {
        var tracker = SettleTracker(settle: 1)
        tracker.written("/s/slow.txt", size: 5, mtime: 1, now: 0)
        // A slow writer pauses longer than the settle time: still not ready.
        #expect(tracker.ready(now: 5).isEmpty)
        #expect(tracker.nextDeadline() == nil)
        tracker.closed("/s/slow.txt", size: 9, mtime: 6, now: 6)
        #expect(tracker.ready(now: 6.5).isEmpty)
        #expect(tracker.ready(now: 7) == ["/s/slow.txt"])
    }

    @Test func forgottenFilesAreNeverReady() {
        var tracker = SettleTracker(settle: 0)
        tracker.observe("/s/gone.txt", size: 1, mtime: 1, now: 0)
        tracker.forget("/s/gone.txt")
        #expect(tracker.ready(now: 10).isEmpty)
    }

    @Test func ignoredNames() {
        for name in [".hidden", "upload.part", "x.tmp", "notes.txt~"] { #expect(SpoolWatcher.isIgnored(name: name)) }
        for name in ["report.pdf", "a.part.pdf", "README"] { #expect(!SpoolWatcher.isIgnored(name: name)) }
    }
}
