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
/// claim it (`ClaimFolder`: moved, or copied, out of the spool's reach, and
/// hashed), record it in the store (new, duplicate, or a failed one queued
/// again), announce it, and dispose of a duplicate's file at once.
final class Intake: Sendable {
    private let store: Store
    private let settings: SettingsBox
    private let events: EventHub
    private let disposer: Disposer
    private let storage: StorageMonitor
    private let claims: ClaimFolder
    /// Rung when a job is queued: a waiting worker takes it.
    private let jobsBell: Doorbell
    private let logger: Logger
    /// Spool files copied rather than moved (`on_success = leave`), by path,
    /// with the size and mtime they had: a rescan does not take them again
    /// unless they changed.
    private let known = Mutex<[String: FileSignature]>([:])
    /// Spool files left where they are (a hard link, unreadable…), with the
    /// size and mtime they had: said once in the log, until they change.
    private let refused = Mutex<[String: FileSignature]>([:])
    /// Spool folders already reported as naming no loaded pipeline (once each, until restart).
    private let unknownFolders = Mutex<Set<String>>([])

    struct FileSignature: Equatable {
        var size: Int64
        var mtime: Double
    }

    init(store: Store, settings: SettingsBox, events: EventHub, disposer: Disposer, storage: StorageMonitor, claims: ClaimFolder, jobsBell: Doorbell,
         logger: Logger) {
        self.jobsBell = jobsBell
        self.storage = storage
        self.store = store
        self.settings = settings
        self.events = events
        self.disposer = disposer
        self.claims = claims
        self.logger = logger
    }

    /// True when `path` was copied or refused before and has not changed since.
    func isKnown(_ path: String) -> Bool {
        guard let info = FileStat(path) else { return false }
        let signature = FileSignature(size: info.size, mtime: info.mtime)
        return known.withLock { $0[path] } == signature || refused.withLock { $0[path] } == signature
    }

    /// Whether the queue has room for another job.
    func hasRoom() async -> Bool {
        ((try? store.queueLength()) ?? 0) < settings.current.queueLimit
    }

    /// Takes a settled file from the spool: claims it, then records it.
    func take(path: String) async {
        let config = settings.current
        guard let parts = BeneathPath.components(of: path, under: config.spoolDir), let info = FileStat(path), info.isRegular else { return }
        let signature = FileSignature(size: info.size, mtime: info.mtime)
        let copy = config.onSuccess == .leave
        let claimed: ClaimFolder.Claimed
        do {
            claimed = try claims.claim(parts, in: config.spoolDir, copy: copy)
        } catch let refusal as ClaimFolder.Refused {
            if refused.withLock({ $0.updateValue(signature, forKey: path) }) != signature {
                logger.warning("left alone", metadata: ["path": "\(OneLine.escaped(path))", "why": "\(refusal)"])
            }
            return
        } catch {
            storage.noteFailure(error)
            if !StorageMonitor.isOutOfSpace(error) {
                logger.error("cannot take a spool file", metadata: ["path": "\(OneLine.escaped(path))", "error": "\(error)"])
            }
            return
        }
        refused.withLock { _ = $0.removeValue(forKey: path) }
        if copy { known.withLock { $0[path] = signature } }
        _ = record(claimed)
    }

    /// Records a claimed file; nil when the store cannot take it now (out of
    /// space: the storage monitor says so once, and `recoverClaims` records
    /// the file when space returns).
    @discardableResult
    private func record(_ claimed: ClaimFolder.Claimed) -> Enqueued? {
        do {
            return try record(sha256: claimed.sha256, bytes: claimed.bytes, name: claimed.relative, sourcePath: claimed.path)
        } catch {
            storage.noteFailure(error)
            if !StorageMonitor.isOutOfSpace(error) {
                logger.error("cannot record a claimed file", metadata: ["path": "\(claimed.path)", "error": "\(error)"])
            }
            return nil
        }
    }

    /// Records claimed files no job names: those a kill or a full disk left
    /// between their claim and their record (at start, and when space
    /// returns). At start (`atStart`), the slots of uploads and claims a kill
    /// cut short are removed too.
    func recoverClaims(atStart: Bool) {
        let (files, removed) = claims.sweep(removingPartials: atStart)
        if removed > 0 { logger.notice("removed uploads and claims a stop cut short", metadata: ["files": "\(removed)"]) }
        for path in files where (try? store.latestJob(sourcePath: path)) == nil {
            guard let slot = claims.slot(of: path) else { continue }
            let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            guard let digest = try? FolderMoves.readAll(fd) else { continue }
            logger.notice("recorded a file claimed before the last stop", metadata: ["name": "\(OneLine.escaped(slot.relative))"])
            record(ClaimFolder.Claimed(path: path, relative: slot.relative, kind: slot.kind, sha256: digest.sha256, bytes: digest.bytes))
        }
    }

    /// Jobs recorded before files were claimed name their file in the spool:
    /// each not yet disposed of is claimed now and its job pointed at the claim,
    /// so that nothing in the spool is moved or deleted by name afterwards.
    func adoptSpoolSources() {
        let config = settings.current
        for job in (try? store.jobsNamingSources(under: config.spoolDir)) ?? [] {
            guard let parts = BeneathPath.components(of: job.sourcePath, under: config.spoolDir) else { continue }
            do {
                let claimed = try claims.claim(parts, in: config.spoolDir, copy: config.onSuccess == .leave)
                try store.moveSource(jobID: job.id, to: claimed.path)
            } catch {
                logger.warning("cannot claim the file of a job recorded before this version", metadata: ["job": "\(job.id)", "error": "\(error)"])
            }
        }
    }

    /// Records content at `sourcePath` (a claimed file) as `name`; returns what became of it.
    func record(sha256 hash: String, bytes: Int64, name relative: String, sourcePath: String) throws -> Enqueued {
        let config = settings.current
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
            events.publish(Event(event: .queued, id: documentID, name: relative, time: iso8601(Date())))
            jobsBell.ring()
        case let .duplicate(of, jobID):
            logger.info("duplicate", metadata: ["document": "\(of)", "name": "\(relative)"])
            events.publish(Event(event: .duplicate, id: of, name: relative, duplicateOf: of, time: iso8601(Date())))
            disposer.dispose(jobID: jobID)
        }
        return intake
    }

    /// Why document `id` cannot be processed again.
    enum RequeueRefusal: Error {
        case notFound, inWork, sourceGone
    }

    /// Queues document `id` again from the file Tome kept of it (reprocess,
    /// or analysis by a newer engine), announces it and wakes a worker.
    func requeue(documentID id: Int64) throws -> Int64 {
        guard let source = try store.keptSourcePath(documentID: id), FileStat(source) != nil else {
            throw try store.document(id: id) == nil ? RequeueRefusal.notFound : RequeueRefusal.sourceGone
        }
        let job: Int64?
        do {
            job = try store.requeue(documentID: id, sourcePath: source, now: Date())
        } catch StoreError.busy {
            throw RequeueRefusal.inWork
        }
        guard let job else { throw RequeueRefusal.notFound }
        events.publish(Event(event: .queued, id: id, name: (try? store.document(id: id)?.name) ?? "", time: iso8601(Date())))
        jobsBell.ring()
        return job
    }

    /// Writes an upload, as `name`, into a slot of the claim folder and
    /// records it. The body is streamed, chunk by chunk, to a hidden `.part`
    /// file while it is hashed — an upload is never held whole in memory —
    /// then synced and renamed into place, so a crash leaves either nothing
    /// or a whole file the next start records. A body over `maxBytes` or a
    /// client gone mid-upload leaves nothing. The spool is not touched: an
    /// upload goes through no folder a spool writer can change.
    func upload<Body: AsyncSequence>(_ body: Body, name: String, maxBytes: Int) async throws -> Enqueued where Body.Element == ByteBuffer {
        guard storage.isWritable else { throw NoSpace(problem: storage.snapshot.problem ?? "disk full") }
        let parts = name.split(separator: "/").map(String.init)
        guard let file = parts.last else { throw UploadRefused(message: "the name is empty") }
        let (folder, path) = try claims.makeSlot(.upload, parts)
        defer { close(folder) }
        let part = "." + file + ".part"
        let fd = openat(folder, part, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o640)
        guard fd >= 0 else {
            let code = errno
            claims.release(path)
            throw SystemError("open \(part)", code)
        }
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
            guard renameat(folder, part, folder, file) == 0 else { throw SystemError("rename \(part) -> \(file)", errno) }
        } catch {
            unlinkat(folder, part, 0)
            claims.release(path)
            throw error
        }
        return try record(sha256: FolderMoves.hex(hasher.finalize()), bytes: Int64(count), name: name, sourcePath: path)
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
}
