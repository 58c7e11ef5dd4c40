import Foundation
import Glibc
import Logging
import ServiceLifecycle

/// Watches the spool folder and hands each settled file to the `Intake`.
///
/// inotify gives prompt notice; a full scan at start and every
/// `scan_interval_s` finds what inotify cannot see (files already there,
/// network file systems, overflowed event queues). Dot-files, `*.part`,
/// `*.tmp` and `*~` are never taken; nor is anything under the archive,
/// failed or claim folders, should they be configured inside the spool.
/// Between events the loop sleeps until its next deadline — the next scan,
/// or the moment a waiting file will have settled — or until inotify has
/// something to say (`ReadableAlarm`) or space returns (`bell`).
final class SpoolWatcher: Service {
    private let settings: SettingsBox
    private let intake: Intake
    private let storage: StorageMonitor
    private let claims: ClaimFolder
    /// Rung by inotify's alarm and when space returns.
    private let bell: Doorbell
    private let logger: Logger

    init(settings: SettingsBox, intake: Intake, storage: StorageMonitor, claims: ClaimFolder, bell: Doorbell, logger: Logger) {
        self.storage = storage
        self.claims = claims
        self.bell = bell
        self.settings = settings
        self.intake = intake
        self.logger = logger
    }

    static func isIgnored(name: String) -> Bool {
        name.hasPrefix(".") || name.hasSuffix(".part") || name.hasSuffix(".tmp") || name.hasSuffix("~")
    }

    func run() async throws {
        let config = settings.current
        let root = config.spoolDir
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let inotify = try Inotify()
        let alarm = try inotify.alarm(ringing: bell)
        defer { alarm.stop() }
        var tracker = SettleTracker(settle: Double(config.settleMilliseconds) / 1000)
        var lastScan = -Double.infinity
        var watched: Set<String> = []
        /// Symbolic links, FIFOs, sockets, devices and names that are not UTF-8 already named in the log.
        var leftAlone: Set<String> = []

        func excluded(_ path: String) -> Bool {
            let current = settings.current
            return [current.resolvedArchiveDir, current.resolvedFailedDir, claims.root].contains { path == $0 || Disposer.isInside(path, $0) }
        }
        /// Adds watches below `directory` and returns the regular files found there.
        func scan(_ directory: String) -> [String] {
            var files: [String] = []
            var stack = [directory]
            while let dir = stack.popLast() {
                if !watched.contains(dir) { inotify.watch(dir); watched.insert(dir) }
                guard let entries = try? FileManager.default.contentsOfDirectory(atPath: dir) else { continue }
                for name in entries.sorted() where !Self.isIgnored(name: name) {
                    let path = dir + "/" + name
                    guard !excluded(path) else { continue }
                    guard let info = FileStat(path) else {
                        // A name that is not UTF-8 comes back with U+FFFD in it and cannot be opened by that name.
                        if name.unicodeScalars.contains("\u{FFFD}"), leftAlone.insert(path).inserted {
                            logger.warning("left alone: the file name is not valid UTF-8; rename it", metadata: ["path": "\(path)"])
                        }
                        continue
                    }
                    if info.isDirectory {
                        stack.append(path)
                    } else if info.isRegular {
                        files.append(path)
                    } else if leftAlone.insert(path).inserted {
                        logger.warning("left alone: not a regular file or folder", metadata: ["path": "\(path)", "type": "\(info.kind)"])
                    }
                }
            }
            return files
        }

        var wasWritable = true
        // A stop rings the bell, so the loop need not wait for its next deadline to see it.
        await withGracefulShutdownHandler {
            while !Task.isCancelledOrShuttingDown {
                let now = monotonicNow()
                var takeNow: [String] = []
                let current = settings.current
                // Space is back: look at the whole spool again for the files left while it was not.
                let writable = storage.isWritable
                if writable && !wasWritable { lastScan = -.infinity }
                wasWritable = writable
                if now - lastScan >= current.scanIntervalSeconds {
                    lastScan = now
                    for path in scan(root) where !intake.isKnown(path) {
                        if let info = FileStat(path) { tracker.observe(path, size: info.size, mtime: info.mtime, now: now) }
                    }
                }
                let events = inotify.drain()
                alarm.rearm()
                for event in events {
                    if event.path.isEmpty { lastScan = -.infinity; continue }  // overflow: rescan
                    let name = (event.path as NSString).lastPathComponent
                    if Self.isIgnored(name: name) || excluded(event.path) { continue }
                    if event.mask & UInt32(IN_DELETE | IN_MOVED_FROM | IN_DELETE_SELF) != 0 {
                        tracker.forget(event.path)
                        if event.isDirectory || event.mask & UInt32(IN_DELETE_SELF) != 0 { watched.remove(event.path) }
                        continue
                    }
                    if event.isDirectory {
                        // A new folder: watch it and take what was written before the watch existed.
                        for path in scan(event.path) {
                            if let info = FileStat(path) { tracker.observe(path, size: info.size, mtime: info.mtime, now: now) }
                        }
                        continue
                    }
                    guard let info = FileStat(event.path), info.isRegular else { continue }
                    if event.mask & UInt32(IN_MOVED_TO) != 0 {
                        tracker.forget(event.path)
                        takeNow.append(event.path)
                    } else if event.mask & UInt32(IN_CLOSE_WRITE) != 0 {
                        tracker.closed(event.path, size: info.size, mtime: info.mtime, now: now)
                    } else if event.mask & UInt32(IN_MODIFY) != 0 || (event.mask & UInt32(IN_CREATE) != 0 && info.links == 1) {
                        tracker.written(event.path, size: info.size, mtime: info.mtime, now: now)
                    } else if event.mask & UInt32(IN_CREATE) != 0 {
                        // A new name for a file that exists (a hard link): nothing writes it through this name.
                        tracker.observe(event.path, size: info.size, mtime: info.mtime, now: now)
                    }
                }
                // Re-stat waiting files so that scan-found ones settle on their own.
                for path in tracker.candidates.keys {
                    if let info = FileStat(path) { tracker.observe(path, size: info.size, mtime: info.mtime, now: now) } else { tracker.forget(path) }
                }
                takeNow += tracker.ready(now: now)
                for path in takeNow {
                    if await !intake.hasRoom() || !storage.isWritable {
                        // The queue or the disk is full: leave the file; the next scan offers it again.
                        continue
                    }
                    await intake.take(path: path)
                }
                // Asleep until the next scan, the next file that will have settled, an inotify event or space back.
                let next = min(lastScan + current.scanIntervalSeconds, tracker.nextDeadline() ?? .infinity)
                await bell.wait(until: .now + .milliseconds(Int64(max(0, next - monotonicNow()) * 1000 + 1)))
            }
        } onGracefulShutdown: { [bell] in bell.ring() }
    }
}

/// The few fields of `lstat` the spool needs. A symbolic link is reported
/// as itself, never followed: the spool is shared, and a link in it must not
/// lead the daemon to files elsewhere.
struct FileStat {
    var size: Int64
    var mtime: Double
    var isRegular: Bool
    var isDirectory: Bool
    var mode: mode_t
    /// Hard links to the file.
    var links: Int

    init?(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        size = Int64(info.st_size)
        mtime = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        mode = info.st_mode & S_IFMT
        isRegular = mode == S_IFREG
        isDirectory = mode == S_IFDIR
        links = Int(info.st_nlink)
    }

    /// What a non-regular entry is, for the log.
    var kind: String {
        switch mode {
        case S_IFLNK: "symbolic link"
        case S_IFIFO: "FIFO"
        case S_IFSOCK: "socket"
        case S_IFCHR, S_IFBLK: "device"
        case S_IFDIR: "folder"
        default: "regular file"
        }
    }

    /// The regular files under `folder` whose name `keep` accepts, as paths
    /// relative to it, sorted; hidden folders, links, FIFOs and devices are
    /// not followed.
    static func regularFiles(under folder: String, keep: (String) -> Bool) -> [String] {
        var found: [String] = []
        var stack = [""]
        while let relative = stack.popLast() {
            let directory = relative.isEmpty ? folder : folder + "/" + relative
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { continue }
            for name in names {
                let child = relative.isEmpty ? name : relative + "/" + name
                guard let info = FileStat(folder + "/" + child) else { continue }
                if info.isDirectory && !name.hasPrefix(".") {
                    stack.append(child)
                } else if info.isRegular && keep(name) {
                    found.append(child)
                }
            }
        }
        return found.sorted()
    }
}

extension Task where Success == Never, Failure == Never {
    /// True once the task is cancelled or the service group is shutting down.
    static var isCancelledOrShuttingDown: Bool { Task.isCancelled || Task.isShuttingDownGracefully }
}
