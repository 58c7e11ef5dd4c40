/// Decides when a file in the spool is ready to take: a pure state machine,
/// fed observations and a clock, returning the paths to take.
///
/// A file is ready when no writer is known to hold it open and its size and
/// mtime have not changed for `settle` seconds. A file renamed into the spool
/// (`IN_MOVED_TO`) was complete before the rename, so it is ready at once.
/// Files found by a scan have no open/close history: only stability counts.
struct SettleTracker {
    /// What is known of one candidate file.
    struct Candidate: Equatable {
        var size: Int64
        var mtime: Double
        /// When size or mtime last changed (or the file was first seen).
        var changedAt: Double
        /// A write was seen and its close was not.
        var openForWrite: Bool
    }

    let settle: Double
    private(set) var candidates: [String: Candidate] = [:]

    init(settle: Double) {
        self.settle = settle
    }

    /// The file was (re)stat'ed at `now`.
    mutating func observe(_ path: String, size: Int64, mtime: Double, now: Double) {
        if var known = candidates[path] {
            if known.size != size || known.mtime != mtime {
                known.size = size
                known.mtime = mtime
                known.changedAt = now
            }
            candidates[path] = known
        } else {
            candidates[path] = Candidate(size: size, mtime: mtime, changedAt: now, openForWrite: false)
        }
    }

    /// inotify saw a write (`IN_MODIFY`): the file is open for writing.
    mutating func written(_ path: String, size: Int64, mtime: Double, now: Double) {
        observe(path, size: size, mtime: mtime, now: now)
        candidates[path]?.openForWrite = true
        candidates[path]?.changedAt = now
    }

    /// inotify saw the writer close the file (`IN_CLOSE_WRITE`).
    mutating func closed(_ path: String, size: Int64, mtime: Double, now: Double) {
        observe(path, size: size, mtime: mtime, now: now)
        candidates[path]?.openForWrite = false
    }

    /// The file is gone (deleted, renamed away) or has been taken.
    mutating func forget(_ path: String) {
        candidates[path] = nil
    }

    /// The paths ready at `now`, removed from the tracker.
    mutating func ready(now: Double) -> [String] {
        let paths = candidates.filter { !$0.value.openForWrite && now - $0.value.changedAt >= settle }.map(\.key).sorted()
        for path in paths { candidates[path] = nil }
        return paths
    }

    /// When the next candidate could become ready; nil when none is waiting.
    func nextDeadline() -> Double? {
        candidates.values.filter { !$0.openForWrite }.map { $0.changedAt + settle }.min()
    }
}
