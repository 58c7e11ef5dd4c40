import Foundation
import Logging
import ServiceLifecycle
import TomeAPI
import TomeEngine
import TomeExtract
import TomeStore

/// `workers` tasks, each taking the next due job from the store, extracting
/// and analysing its file in a child process and committing the result.
///
/// A worker with nothing to do sleeps until the next queued job is due or
/// its doorbell rings (a file queued, space back, a job handed back); it
/// never polls. Every change of a job's state is an event of
/// `JobLifecycle`, applied by the store: typed extraction errors fail a
/// document at once; timeouts and crashes are retried `retries` times,
/// `retry_backoff_s` × 2^(attempt-1) apart. On a graceful stop the workers
/// are cancelled: a running child is killed and its job released to the
/// queue, so nothing is lost and nothing is left half-written.
final class WorkerPool: Service {
    private let store: Store
    private let settings: SettingsBox
    private let events: EventHub
    private let metrics: Metrics
    private let disposer: Disposer
    private let memory: CorpusMemory
    private let commits: ComputeLane
    private let storage: StorageMonitor
    private let answerer: PipelineAnswerer
    private let claims: ClaimFolder
    private let bell: Doorbell
    private let executable: String
    /// The semantic head's folder the children index with (nil: words only).
    private let modelDir: String?
    private let workers: Int
    private let logger: Logger

    init(store: Store, settings: SettingsBox, events: EventHub, metrics: Metrics, disposer: Disposer, memory: CorpusMemory,
         commits: ComputeLane, storage: StorageMonitor, answerer: PipelineAnswerer, claims: ClaimFolder, bell: Doorbell, executable: String,
         modelDir: String? = nil, workers: Int, logger: Logger) {
        self.modelDir = modelDir
        self.memory = memory
        self.claims = claims
        self.bell = bell
        self.answerer = answerer
        self.commits = commits
        self.storage = storage
        self.store = store
        self.settings = settings
        self.events = events
        self.metrics = metrics
        self.disposer = disposer
        self.executable = executable
        self.workers = workers
        self.logger = logger
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<self.workers {
                    group.addTask { await self.workerLoop() }
                }
            }
        }
    }

    private var lifecycle: JobLifecycle { settings.current.jobLifecycle }

    private func workerLoop() async {
        while !Task.isCancelled {
            // No room to store a result: take nothing until the storage monitor rings.
            guard storage.isWritable else {
                await bell.wait(until: nil)
                continue
            }
            let claimed: (job: JobRecord, document: DocumentRecord)?
            do {
                claimed = try store.claimNextJob(lifecycle: lifecycle, now: Date())
            } catch {
                storage.noteFailure(error)
                if storage.isWritable { logger.error("cannot read the job queue", metadata: ["error": "\(error)"]) }
                await bell.wait(until: .now + .seconds(1))
                continue
            }
            guard let (job, document) = claimed else {
                await bell.wait(until: (try? store.nextDueTime()).flatMap(Self.instant))
                continue
            }
            events.workerStarted(job: job.id)
            await process(job, document)
            events.workerFinished(job: job.id)
        }
    }

    /// A wall-clock time as a deadline on the continuous clock.
    static func instant(_ date: Date) -> ContinuousClock.Instant {
        .now + .milliseconds(Int64(max(0, date.timeIntervalSinceNow * 1000).rounded(.up)))
    }

    private func process(_ job: JobRecord, _ document: DocumentRecord) async {
        guard let documentID = job.documentId else { return }
        let config = settings.current
        let started = monotonicNow()
        // The child may use every core: when several run at once the kernel shares
        // them out, and one large document alone is not held to one core.
        let pipeline = settings.pipelines[document.pipeline] ?? Pipeline(name: document.pipeline)
        let runner = ExtractionRunner(
            executable: executable, timeoutSeconds: config.extractTimeoutSeconds, memoryMB: config.extractMemoryMB,
            maxBytes: config.maxBytes, workers: ProcessInfo.processInfo.activeProcessorCount,
            beneath: [claims.root, config.spoolDir, config.resolvedArchiveDir, config.resolvedFailedDir]
                .first { BeneathPath.components(of: job.sourcePath, under: $0) != nil },
            summary: pipeline.summary, extraction: pipeline.extraction,
            ocr: pipeline.ocr(pageSeconds: config.ocrPageTimeoutSeconds, maxPages: config.ocrMaxPages),
            modelDir: modelDir
        )
        logger.info("processing", metadata: ["document": "\(documentID)", "name": "\(document.name)", "attempt": "\(job.attempts)"])
        let events = self.events
        let name = document.name
        let outcome = await runner.run(path: job.sourcePath) { progress in
            events.publish(Event(event: .progress, id: documentID, name: name, progress: progress, time: iso8601(Date())))
        }

        switch outcome {
        case .document(let processed) where processed.sourceSHA256 != job.sha256:
            // What the child read is not what was claimed and hashed: a writer kept the file open and changed it.
            fail(job, documentID: documentID, name: name, code: .changed,
                 message: "the file changed after Tome took it (a writer still had it open); write it under a dot-name "
                    + "or as *.part and rename it into the spool once it is whole, or add it again", transient: false)
        case .document(let processed):
            await store(processed, job: job, documentID: documentID, name: name, started: started)
        case let .failed(code, message, transient):
            fail(job, documentID: documentID, name: name, code: code, message: message, transient: transient)
        case .cancelled:
            release(job)
            logger.info("interrupted, back in the queue", metadata: ["document": "\(documentID)"])
        }
    }

    /// Commits the child's result, answers the pipeline's questions, and disposes of the file.
    private func store(_ processed: ProcessedDocument, job: JobRecord, documentID: Int64, name: String, started: Double) async {
        let parsed = monotonicNow()
        events.publish(Event(event: .progress, id: documentID, name: name, progress: DocumentProgress(stage: .storing), time: iso8601(Date())))
        let tokens = processed.analysis.index.tokenCount
        // From here the daemon itself works on the document: a crash now counts against it.
        _ = try? store.apply(.storing, toJob: job.id, lifecycle: lifecycle, now: Date())
        // Out of space, the worker keeps the result and waits for space, then
        // stores it: no work is lost and no job is left in processing unheld.
        while true {
            do {
                try await commit(processed, job: job, documentID: documentID)
                break
            } catch {
                storage.noteFailure(error)
                guard StorageMonitor.isOutOfSpace(error) else {
                    // The database refused otherwise (an I/O error): nothing was written; try again later.
                    fail(job, documentID: documentID, name: name, code: .storeFailed, message: "cannot store the document: \(error)", transient: true)
                    return
                }
                events.publish(Event(event: .progress, id: documentID, name: name, progress: DocumentProgress(stage: .waitingForSpace),
                                     time: iso8601(Date())))
                while !storage.isWritable && !Task.isCancelled { await bell.wait(until: nil) }
                if Task.isCancelled {
                    release(job)
                    return
                }
            }
        }
        // The pipeline's questions, in the same job. If they cannot be answered now (the memory
        // is being rebuilt), the answerer's next pass does it.
        do {
            try await answerer.answer(documentID: documentID)
        } catch {
            logger.warning("the pipeline's questions are not answered yet", metadata: ["document": "\(documentID)", "error": "\(error)"])
            answerer.catchUp()
        }
        let seconds = monotonicNow() - started
        metrics.documentProcessed(seconds: seconds, tokens: tokens)
        logger.info("done", metadata: ["document": "\(documentID)", "pages": "\(processed.document.pages.count)", "tokens": "\(tokens)",
                                       "seconds": "\(String(format: "%.3f", seconds))",
                                       "child_seconds": "\(String(format: "%.3f", parsed - started))",
                                       "store_seconds": "\(String(format: "%.3f", monotonicNow() - parsed))"])
        events.publish(Event(event: .done, id: documentID, name: name, time: iso8601(Date())))
        disposer.dispose(jobID: job.id)
    }

    /// The store and the corpus memory change together, one commit at a time,
    /// on the commit lane: a large document's transaction and the memory's
    /// sync take a good part of a second, which request threads must not wait behind.
    private func commit(_ processed: ProcessedDocument, job: JobRecord, documentID: Int64) async throws {
        let (store, memory, logger, lifecycle) = (self.store, self.memory, self.logger, self.lifecycle)
        _ = try await commits.run {
            // A reprocessed document's old counts go out (the exact ones it was added with), its new ones in.
            try memory.follow({ beforeCommit in
                try store.complete(jobID: job.id, documentID: documentID, document: processed.document,
                                   analysis: processed.analysis, lifecycle: lifecycle, now: Date(), beforeCommit: beforeCommit)
            }, logger: logger)
        }
    }

    /// Hands a job back to the queue unfinished (the attempt does not count).
    private func release(_ job: JobRecord) {
        _ = try? store.apply(.release, toJob: job.id, lifecycle: lifecycle, now: Date())
        bell.ring()
    }

    /// A failed attempt: the lifecycle queues it again after its backoff, or fails it for good.
    private func fail(_ job: JobRecord, documentID: Int64, name: String, code: FailureCode, message: String, transient: Bool) {
        let error = DocumentError(code: code, message: message)
        let after: JobRecord
        do {
            after = try store.apply(.fail(code: code, message: message, transient: transient, at: Date()), toJob: job.id, lifecycle: lifecycle, now: Date())
        } catch {
            logger.error("cannot record a failure", metadata: ["document": "\(documentID)", "error": "\(error)"])
            return
        }
        if after.status == .queued {
            logger.warning("will retry", metadata: ["document": "\(documentID)", "error": "\(code): \(message)",
                                                    "in_seconds": "\(String(format: "%.1f", after.nextAttemptAt.timeIntervalSinceNow))"])
            events.publish(Event(event: .queued, id: documentID, name: name, error: error, time: iso8601(Date())))
            return
        }
        metrics.documentFailed()
        logger.warning("failed", metadata: ["document": "\(documentID)", "error": "\(code): \(message)"])
        events.publish(Event(event: .failed, id: documentID, name: name, error: error, time: iso8601(Date())))
        disposer.dispose(jobID: job.id)
    }
}
