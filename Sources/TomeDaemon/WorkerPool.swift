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
/// Typed extraction errors fail a document at once; timeouts and crashes are
/// retried `retries` times, `retry_backoff_s` × 2^(attempt-1) apart. On a
/// graceful stop a running child is killed and its job handed back to the
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
    private let executable: String
    private let workers: Int
    private let logger: Logger
    /// How long an idle worker waits before looking at the queue again.
    private let idlePoll: Duration = .milliseconds(100)

    init(store: Store, settings: SettingsBox, events: EventHub, metrics: Metrics, disposer: Disposer, memory: CorpusMemory,
         commits: ComputeLane, storage: StorageMonitor, answerer: PipelineAnswerer, claims: ClaimFolder, executable: String, workers: Int,
         logger: Logger) {
        self.memory = memory
        self.claims = claims
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
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<workers {
                group.addTask { await self.workerLoop() }
            }
        }
    }

    private func workerLoop() async {
        while !Task.isCancelledOrShuttingDown {
            // No room to store a result: take nothing until the storage monitor says so.
            guard storage.isWritable else {
                try? await Task.sleep(for: idlePoll)
                continue
            }
            let claimed: (job: JobRecord, document: DocumentRecord)?
            do {
                claimed = try store.claimNextJob(now: Date())
            } catch {
                storage.noteFailure(error)
                if storage.isWritable { logger.error("cannot read the job queue", metadata: ["error": "\(error)"]) }
                claimed = nil
            }
            guard let (job, document) = claimed else {
                try? await Task.sleep(for: idlePoll)
                continue
            }
            events.workerStarted(job: job.id)
            await process(job, document)
            events.workerFinished(job: job.id)
        }
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
            summarySentences: pipeline.summarySentences, sectionSentences: pipeline.sectionSentences, extraction: pipeline.extraction
        )
        logger.info("processing", metadata: ["document": "\(documentID)", "name": "\(document.name)", "attempt": "\(job.attempts)"])
        let events = self.events
        let name = document.name
        let outcome = await cancelWhenGracefulShutdown {
            await runner.run(path: job.sourcePath) { report in
                let progress = switch report {
                case let .pages(done, total): DocumentProgress(stage: "extracting", done: done, total: total)
                case .analysing: DocumentProgress(stage: "analysing")
                }
                events.publish(Event(event: "progress", id: documentID, name: name, progress: progress, time: iso8601(Date())))
            }
        }

        switch outcome {
        case .document(let processed) where processed.sourceSHA256 != job.sha256:
            // What the child read is not what was claimed and hashed: a writer kept the file open and changed it.
            await retryOrFail(job, documentID: documentID, name: document.name, code: "changed",
                              message: "the file changed after Tome took it (a writer still had it open); write it under a dot-name "
                                + "or as *.part and rename it into the spool once it is whole, or add it again", transient: false)
        case .document(let processed):
            let parsed = monotonicNow()
            events.publish(Event(event: "progress", id: documentID, name: name, progress: DocumentProgress(stage: "storing"), time: iso8601(Date())))
            let tokens = processed.analysis.index.tokenCount
            // From here the daemon itself works on the document: a crash now counts against it.
            try? store.markStoring(jobID: job.id)
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
                        await retryOrFail(job, documentID: documentID, name: name, code: "store_failed", message: "cannot store the document: \(error)",
                                          transient: true)
                        return
                    }
                    events.publish(Event(event: "progress", id: documentID, name: name, progress: DocumentProgress(stage: "waiting for space"),
                                         time: iso8601(Date())))
                    while !storage.isWritable && !Task.isCancelledOrShuttingDown { try? await Task.sleep(for: .milliseconds(250)) }
                    if Task.isCancelledOrShuttingDown {
                        try? store.release(jobID: job.id, documentID: documentID, now: Date())
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
            events.publish(Event(event: "done", id: documentID, name: name, time: iso8601(Date())))
            disposer.dispose(jobID: job.id)
        case let .failed(code, message, transient):
            await retryOrFail(job, documentID: documentID, name: name, code: code, message: message, transient: transient)
        case .cancelled:
            try? store.release(jobID: job.id, documentID: documentID, now: Date())
            logger.info("interrupted, back in the queue", metadata: ["document": "\(documentID)"])
        }
    }

    /// The store and the corpus memory change together, one commit at a time,
    /// on the commit lane: a large document's transaction and the memory's
    /// sync take a good part of a second, which request threads must not wait behind.
    private func commit(_ processed: ProcessedDocument, job: JobRecord, documentID: Int64) async throws {
        let (store, memory, logger) = (self.store, self.memory, self.logger)
        _ = try await commits.run {
            // A reprocessed document's old counts go out (the exact ones it was added with), its new ones in.
            try memory.follow({ beforeCommit in
                try store.complete(jobID: job.id, documentID: documentID, document: processed.document,
                                   analysis: processed.analysis, now: Date(), beforeCommit: beforeCommit)
            }, logger: logger)
        }
    }

    private func retryOrFail(_ job: JobRecord, documentID: Int64, name: String, code: String, message: String, transient: Bool) async {
        let config = settings.current
        let error = DocumentError(code: code, message: message)
        if transient && job.attempts <= config.retries {
            let delay = config.retryBackoffSeconds * pow(2, Double(job.attempts - 1))
            try? store.retryLater(jobID: job.id, documentID: documentID, code: code, message: message, retryAt: Date() + delay, now: Date())
            logger.warning("will retry", metadata: ["document": "\(documentID)", "error": "\(code): \(message)", "in_seconds": "\(delay)"])
            events.publish(Event(event: "queued", id: documentID, name: name, error: error, time: iso8601(Date())))
            return
        }
        do {
            try store.fail(jobID: job.id, documentID: documentID, code: code, message: message, now: Date())
        } catch {
            logger.error("cannot record a failure", metadata: ["document": "\(documentID)", "error": "\(error)"])
            return
        }
        metrics.documentFailed()
        logger.warning("failed", metadata: ["document": "\(documentID)", "error": "\(code): \(message)"])
        events.publish(Event(event: "failed", id: documentID, name: name, error: error, time: iso8601(Date())))
        disposer.dispose(jobID: job.id)
    }
}
