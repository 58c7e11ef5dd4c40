import Foundation
import Logging
import ServiceLifecycle
import TomeAPI
import TomeEngine
import TomeExtract
import TomeStore

/// `workers` tasks, each taking the next due job from the store, extracting
/// its file in a child process and committing the result.
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
    private let analyzer: DocumentAnalyzer
    private let executable: String
    private let workers: Int
    private let logger: Logger
    /// How long an idle worker waits before looking at the queue again.
    private let idlePoll: Duration = .milliseconds(100)

    init(store: Store, settings: SettingsBox, events: EventHub, metrics: Metrics, disposer: Disposer, memory: CorpusMemory,
         analyzer: DocumentAnalyzer, executable: String, workers: Int, logger: Logger) {
        self.memory = memory
        self.analyzer = analyzer
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
            let claimed: (job: JobRecord, document: DocumentRecord)?
            do {
                claimed = try store.claimNextJob(now: Date())
            } catch {
                logger.error("cannot read the job queue", metadata: ["error": "\(error)"])
                claimed = nil
            }
            guard let (job, document) = claimed else {
                try? await Task.sleep(for: idlePoll)
                continue
            }
            events.workerStarted()
            await process(job, document)
            events.workerFinished()
        }
    }

    private func process(_ job: JobRecord, _ document: DocumentRecord) async {
        guard let documentID = job.documentId else { return }
        let config = settings.current
        let started = monotonicNow()
        let runner = ExtractionRunner(
            executable: executable, timeoutSeconds: config.extractTimeoutSeconds, memoryMB: config.extractMemoryMB,
            maxBytes: config.maxBytes, workers: 1
        )
        logger.info("processing", metadata: ["document": "\(documentID)", "name": "\(document.name)", "attempt": "\(job.attempts)"])
        let events = self.events
        let name = document.name
        let outcome = await cancelWhenGracefulShutdown {
            await runner.run(path: job.sourcePath) { done, total in
                events.publish(Event(event: "progress", id: documentID, name: name,
                                     progress: DocumentProgress(stage: "extracting", done: done, total: total), time: iso8601(Date())))
            }
        }

        switch outcome {
        case .document(let extracted):
            events.publish(Event(event: "progress", id: documentID, name: name, progress: DocumentProgress(stage: "analysing"), time: iso8601(Date())))
            let analysis = await analyze(extracted.text)
            events.publish(Event(event: "progress", id: documentID, name: name, progress: DocumentProgress(stage: "storing"), time: iso8601(Date())))
            let tokens = analysis.index.tokenCount
            do {
                // A reprocessed document is already counted in the corpus memory: its old text's counts go first.
                let previous = try store.text(documentID: documentID).map { analyzer.engramContribution($0) }
                // The store and the corpus memory change together: one commit at a time.
                try memory.commitLock.withLock { _ in
                    let generation = try store.complete(jobID: job.id, documentID: documentID, document: extracted, index: analysis.index,
                                                        tokens: tokens, now: Date())
                    if let previous { memory.apply(previous, sign: -1, generation: -1) }
                    memory.apply(analysis.engram, sign: 1, generation: generation)
                }
            } catch {
                // The database refused (disk full, I/O error): nothing was written; try again later.
                await retryOrFail(job, documentID: documentID, name: name, code: "store_failed", message: "cannot store the document: \(error)", transient: true)
                return
            }
            let seconds = monotonicNow() - started
            metrics.documentProcessed(seconds: seconds, tokens: tokens)
            logger.info("done", metadata: ["document": "\(documentID)", "pages": "\(extracted.pages.count)", "seconds": "\(String(format: "%.3f", seconds))"])
            events.publish(Event(event: "done", id: documentID, name: name, time: iso8601(Date())))
            disposer.dispose(jobID: job.id)
        case let .failed(code, message, transient):
            await retryOrFail(job, documentID: documentID, name: name, code: code, message: message, transient: transient)
        case .cancelled:
            try? store.release(jobID: job.id, documentID: documentID, now: Date())
            logger.info("interrupted, back in the queue", metadata: ["document": "\(documentID)"])
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

    /// The engine's analysis, on a thread of its own: it keeps both cores
    /// busy for up to a second per million tokens, which the cooperative
    /// pool that serves the API must not wait behind.
    private func analyze(_ text: String) async -> Analysis {
        let analyzer = self.analyzer
        return await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: analyzer.analyze(text)) }
            thread.name = "tome-analyze"
            thread.start()
        }
    }
}
