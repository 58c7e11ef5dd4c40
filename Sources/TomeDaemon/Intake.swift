import Crypto
import Foundation
import Glibc
import Logging
import NIOCore
import Synchronization
import TomeAPI
import TomeExtract
import TomeStore

/// The one way a file becomes a job, for the spool watcher and for uploads:
/// hash the content, record it in the store (new, duplicate, or a failed one
/// queued again), announce it, and dispose of a duplicate's file at once.
final class Intake: Sendable {
    private let store: Store
    private let settings: SettingsBox
    private let events: EventHub
    private let disposer: Disposer
    private let storage: StorageMonitor
    private let logger: Logger
    /// Files already handed over, by path, with the size and mtime they had:
    /// a rescan does not hash them again unless they changed.
    private let known = Mutex<[String: FileSignature]>([:])
    /// Spool folders already reported as naming no loaded pipeline (once each, until restart).
    private let unknownFolders = Mutex<Set<String>>([])

    struct FileSignature: Equatable {
        var size: Int64
        var mtime: Double
    }

    init(store: Store, settings: SettingsBox, events: EventHub, disposer: Disposer, storage: StorageMonitor, logger: Logger) {
        self.storage = storage
        self.store = store
        self.settings = settings
        self.events = events
        self.disposer = disposer
        self.logger = logger
    }

    /// True when `path` was taken before and has not changed since.
    func isKnown(_ path: String) -> Bool {
        guard let info = FileStat(path) else { return false }
        return known.withLock { $0[path] } == FileSignature(size: info.size, mtime: info.mtime)
    }

    /// Whether the queue has room for another job.
    func hasRoom() async -> Bool {
        ((try? store.queueLength()) ?? 0) < settings.current.queueLimit
    }

    /// Paths an upload is writing: the watcher leaves them to it.
    private let reserved = Mutex<Set<String>>([])

    /// Takes a settled file from the spool.
    func take(path: String) async {
        guard !reserved.withLock({ $0.contains(path) }), let info = FileStat(path), info.isRegular else { return }
        let hash: String
        do {
            hash = try Self.sha256(ofFile: path)
        } catch {
            logger.warning("cannot read spool file", metadata: ["path": "\(path)", "error": "\(error)"])
            return
        }
        known.withLock { $0[path] = FileSignature(size: info.size, mtime: info.mtime) }
        // A file some job already holds: in work, or finished but not yet moved.
        if let job = try? store.latestJob(sourcePath: path), job.sha256 == hash {
            if (job.status == .done || job.status == .failed) && !job.sourceDisposed {
                disposer.dispose(jobID: job.id)
            }
            return
        }
        do {
            _ = try record(sha256: hash, bytes: info.size, sourcePath: path)
        } catch {
            // Out of space: the storage monitor says so once; the file is offered again when space returns.
            storage.noteFailure(error)
            known.withLock { _ = $0.removeValue(forKey: path) }
            if !StorageMonitor.isOutOfSpace(error) { logger.error("cannot record spool file", metadata: ["path": "\(path)", "error": "\(error)"]) }
        }
    }

    /// Records content that is at `sourcePath`; returns what became of it.
    func record(sha256 hash: String, bytes: Int64, sourcePath: String) throws -> Enqueued {
        let config = settings.current
        let relative = Self.relativePath(sourcePath, in: config.spoolDir)
        let pipeline = Pipelines.pipeline(forRelativePath: relative, known: settings.pipelineNames)
        if pipeline == "default", relative.contains("/"), let folder = relative.split(separator: "/").first.map(String.init),
           !settings.pipelineNames.contains(folder), unknownFolders.withLock({ $0.insert(folder).inserted }) {
            // A user who made spool/contracts/ most likely meant the contracts pipeline: say why it does not run.
            logger.notice("the spool folder names no loaded pipeline; its files run the default pipeline",
                          metadata: ["folder": "\(folder)", "pipelines": "\(settings.pipelineNames.sorted().joined(separator: ","))",
                                     "pipelines_dir": "\(config.pipelinesDir)"])
        }
        let intake = try store.enqueue(sha256: hash, name: relative, pipeline: pipeline, bytes: bytes, sourcePath: sourcePath, now: Date())
        switch intake {
        case let .queued(documentID, _):
            logger.info("queued", metadata: ["document": "\(documentID)", "name": "\(relative)", "pipeline": "\(pipeline)"])
            events.publish(Event(event: "queued", id: documentID, name: relative, time: iso8601(Date())))
        case let .duplicate(of, jobID):
            logger.info("duplicate", metadata: ["document": "\(of)", "name": "\(relative)"])
            events.publish(Event(event: "duplicate", id: of, name: relative, duplicateOf: of, time: iso8601(Date())))
            disposer.dispose(jobID: jobID)
        }
        return intake
    }

    /// Writes an upload into the spool as `name` (a free variant of it, when
    /// taken) and records it. The body is streamed, chunk by chunk, to a
    /// `.part` file while it is hashed — an upload is never held whole in
    /// memory — then synced and renamed into place, so the spool never shows
    /// half a file, and a crash leaves either nothing or a whole file the next
    /// scan will take. A body over `maxBytes` or a client gone mid-upload
    /// leaves nothing. Every folder on the way is opened without following a
    /// symbolic link (`BeneathPath`): a link in the spool cannot send an
    /// upload elsewhere.
    func upload<Body: AsyncSequence>(_ body: Body, name: String, maxBytes: Int) async throws -> Enqueued where Body.Element == ByteBuffer {
        guard storage.isWritable else { throw NoSpace(problem: storage.snapshot.problem ?? "disk full") }
        let spool = settings.current.spoolDir
        let parts = name.split(separator: "/").map(String.init)
        guard let file = parts.last else { throw UploadRefused(message: "the name is empty") }
        let folder: Int32
        do {
            folder = try BeneathPath.openFolder(Array(parts.dropLast()), under: spool, creating: 0o2770)
        } catch {
            throw UploadRefused(message: "the name goes through a path the spool does not allow: \(error.message)")
        }
        defer { close(folder) }
        let part = Self.uploadPrefix + UUID().uuidString + ".part"
        let fd = openat(folder, part, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw SystemError("open \(part)", errno) }
        var hasher = SHA256()
        var count = 0
        do {
            defer { close(fd) }
            for try await chunk in body {
                count += chunk.readableBytes
                guard count <= maxBytes else { throw UploadTooLarge(limit: maxBytes) }
                try chunk.withUnsafeReadableBytes { bytes in
                    hasher.update(bufferPointer: bytes)
                    try writeAll(fd, bytes, name: part)
                }
            }
            guard count > 0 else { throw UploadRefused(message: "the body is empty: send the file's bytes") }
            guard fsync(fd) == 0 else { throw SystemError("fsync \(part)", errno) }
        } catch {
            unlinkat(folder, part, 0)
            throw error
        }
        // Two uploads of one name at once: the second rename finds the name taken and picks the next.
        var info = stat()
        var target = file
        var targetPath = ""
        while true {
            target = Disposer.freeName(file) { fstatat(folder, $0, &info, AT_SYMLINK_NOFOLLOW) == 0 }
            targetPath = spool + "/" + (parts.dropLast() + [target]).joined(separator: "/")
            reserved.withLock { _ = $0.insert(targetPath) }
            // link + unlink: unlike rename, link never replaces a file that is there.
            if linkat(folder, part, folder, target, 0) == 0 {
                unlinkat(folder, part, 0)
                break
            }
            let code = errno
            reserved.withLock { _ = $0.remove(targetPath) }
            guard code == EEXIST else {
                unlinkat(folder, part, 0)
                throw SystemError("rename \(part) -> \(target)", code)
            }
        }
        defer { reserved.withLock { _ = $0.remove(targetPath) } }
        if let info = FileStat(targetPath) { known.withLock { $0[targetPath] = FileSignature(size: info.size, mtime: info.mtime) } }
        return try record(sha256: Self.hex(hasher.finalize()), bytes: Int64(count), sourcePath: targetPath)
    }

    /// An upload in progress is written to `<folder>/.tome-upload-<uuid>.part`.
    static let uploadPrefix = ".tome-upload-"

    /// Removes the `.part` files of uploads a kill cut short (at start, when
    /// no upload is in progress); returns how many.
    static func removeAbandonedUploads(in spool: String) -> Int {
        let abandoned = FileStat.regularFiles(under: spool) { $0.hasPrefix(uploadPrefix) && $0.hasSuffix(".part") }
        for relative in abandoned { unlink(spool + "/" + relative) }
        return abandoned.count
    }

    /// An upload's body is over the limit: nothing was kept.
    struct UploadTooLarge: Error {
        var limit: Int
    }

    /// Writing is paused for want of space (`StorageMonitor`).
    struct NoSpace: Error {
        var problem: String
    }

    /// An upload's name leads through a symbolic link or a file: nothing was written.
    struct UploadRefused: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// `path` relative to the spool root (the document's name).
    static func relativePath(_ path: String, in root: String) -> String {
        let prefix = root.hasSuffix("/") ? root : root + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : (path as NSString).lastPathComponent
    }

    /// SHA-256 of a file, read in 1 MiB chunks, as lowercase hex.
    static func sha256(ofFile path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemError("open \(path)", errno) }
        defer { close(fd) }
        var hasher = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw SystemError("read \(path)", errno) }
            if n == 0 { break }
            hasher.update(data: buffer[0..<n])
        }
        return hex(hasher.finalize())
    }

    private static func hex(_ digest: some Sequence<UInt8>) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
