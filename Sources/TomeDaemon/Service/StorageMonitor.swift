import Foundation
import Glibc
import Logging
import ServiceLifecycle
import Synchronization
import TomeStore

/// Whether the daemon can write: the state dir's file system (database,
/// corpus memory, archive) has at least `min_free_mb` free, and no write has
/// just failed for want of space.
///
/// While it cannot, workers claim no job, the watcher takes no file, uploads
/// get 507, health says `degraded` (503), status and metrics show it — each
/// said once in the log, not once per attempt. Every few seconds it looks
/// again; when space is back it puts the jobs no worker holds back in the
/// queue (a commit that failed could not record that itself) and finishes
/// the moves of finished files that failed, then work resumes by itself.
final class StorageMonitor: Service, Sendable {
    struct Snapshot: Sendable, Equatable {
        var writable: Bool
        var freeBytes: Int64
        /// Why writing is paused, for health and status; nil when it is not.
        var problem: String?
    }

    private let settings: SettingsBox
    private let store: Store
    private let events: EventHub
    private let onResume = Mutex<[@Sendable () -> Void]>([])
    private let logger: Logger
    private let state: Mutex<Snapshot>
    private let interval: Duration

    init(settings: SettingsBox, store: Store, events: EventHub, logger: Logger, interval: Duration = .seconds(2)) {
        self.settings = settings
        self.store = store
        self.events = events
        self.logger = logger
        self.interval = interval
        state = Mutex(Snapshot(writable: true, freeBytes: Self.freeBytes(settings.current.stateDir), problem: nil))
    }

    var snapshot: Snapshot { state.withLock { $0 } }

    /// Runs `body` each time space returns (the disposer finishes its moves).
    func whenSpaceReturns(_ body: @escaping @Sendable () -> Void) {
        onResume.withLock { $0.append(body) }
    }
    var isWritable: Bool { state.withLock { $0.writable } }

    /// A write failed: if for want of space (ENOSPC, EDQUOT, SQLite's
    /// "database or disk is full"), writing pauses now rather than at the next look.
    func noteFailure(_ error: any Error) {
        guard Self.isOutOfSpace(error) else { return }
        pause("a write failed: \(error)")
    }

    static func isOutOfSpace(_ error: any Error) -> Bool {
        if let system = error as? SystemError { return system.code == ENOSPC || system.code == EDQUOT }
        let text = "\(error)"
        return text.contains("SQLITE_FULL") || text.contains("database or disk is full") || text.contains("No space left")
            || (error as NSError).code == NSFileWriteOutOfSpaceError
    }

    func run() async throws {
        while !Task.isCancelledOrShuttingDown {
            check()
            let interval = self.interval
            await cancelWhenGracefulShutdown { try? await Task.sleep(for: interval) }
        }
    }

    /// Looks at the free space; resumes or pauses on a change.
    func check() {
        let config = settings.current
        let free = Self.freeBytes(config.stateDir)
        let minimum = Int64(config.minFreeMB) << 20
        let wasWritable = isWritable
        if free < minimum {
            pause("\(free >> 20) MiB free on the state dir's file system, under min_free_mb = \(config.minFreeMB)")
        } else if !wasWritable, free >= max(minimum, Self.resumeFloor) {
            resume(free: free)
        } else {
            state.withLock { $0.freeBytes = free }
        }
    }

    private func pause(_ reason: String) {
        let free = Self.freeBytes(settings.current.stateDir)
        let changed = state.withLock { s -> Bool in
            defer { s = Snapshot(writable: false, freeBytes: free, problem: "disk full: \(reason)") }
            return s.writable
        }
        if changed { logger.error("disk full: intake and processing paused until space returns", metadata: ["reason": "\(reason)"]) }
    }

    private func resume(free: Int64) {
        // Jobs left in processing by a commit that could not record its failure, and moves that failed.
        let released = (try? store.releaseOrphans(except: events.activeJobs, lifecycle: settings.current.jobLifecycle)) ?? 0
        state.withLock { $0 = Snapshot(writable: true, freeBytes: free, problem: nil) }
        for action in onResume.withLock({ $0 }) { action() }
        logger.notice("space is back: intake and processing resumed", metadata: ["free_mib": "\(free >> 20)", "jobs_requeued": "\(released)"])
    }

    /// Paused by a failed write, writing resumes only with this much free
    /// too (with `min_free_mb = 0` it would otherwise resume, fail and pause
    /// every few seconds on a disk that is still full).
    static let resumeFloor: Int64 = 8 << 20

    static func freeBytes(_ path: String) -> Int64 {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return Int64.max }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }
}
