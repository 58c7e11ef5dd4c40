import Foundation
import Glibc
import Synchronization
import TomeEngine
import TomeAPI
import TomeExtract

/// Runs `tomed extract --child` on one file in a child process, which
/// extracts its text and runs the engine's analysis on it, so that a crash,
/// a hang or a memory blow-up in poppler, libxml2 or the analysis costs one
/// document and never the daemon. What it is asked and what it answers is
/// `ExtractionRequest`'s protocol.
///
/// The child is spawned in its own process group with default signal
/// dispositions and only fds 0-2; it applies its own `RLIMIT_AS` and
/// `RLIMIT_CPU` (Linux offers no pre-exec hook to the parent) and runs with
/// `MALLOC_ARENA_MAX=2` so glibc's per-thread arenas stay inside the limit.
/// The parent drains stdout and stderr while the child runs (progress
/// reports arrive on stderr) and kills the whole group at the deadline.
struct ExtractionRunner: Sendable {
    /// What one run ended with.
    enum Outcome: Sendable {
        case document(ProcessedDocument)
        /// `transient` failures (timeouts, crashes) may succeed on a retry;
        /// typed extraction errors will not.
        case failed(code: FailureCode, message: String, transient: Bool)
        /// The daemon is stopping: the child was killed, the job should be re-queued.
        case cancelled
    }

    var executable: String
    var timeoutSeconds: Double
    var memoryMB: Int
    var maxBytes: Int
    var workers: Int
    /// The folder the file lies in (the claim folder, the spool, the archive): it is read
    /// through no symbolic link below it (nil for a file elsewhere).
    var beneath: String?
    /// The pipeline's summary lengths, extraction experts and OCR settings.
    var summary = SummaryParameters()
    var extraction = ExtractionParameters()
    var ocr = OCRSettings()
    /// The semantic head's folder, when the daemon loaded it.
    var modelDir: String?

    /// The time OCR of `pages` pages may add to the wall-clock limit: each
    /// worker's share of the pages at the per-page limit.
    func ocrSeconds(pages: Int) -> Double {
        ocr.mode == .never ? 0 : Double((pages + workers - 1) / max(1, workers)) * ocr.pageSeconds
    }

    /// What the child is asked to do with the file at `path`.
    func request(path: String) -> ExtractionRequest {
        // CPU seconds across all threads: the wall-clock limit for each worker (with OCR of as many
        // pages as may be read), plus slack.
        let seconds = (timeoutSeconds + ocrSeconds(pages: ocr.maxPages)) * Double(workers)
        return ExtractionRequest(path: path, beneath: beneath, parent: getpid(), maxBytes: maxBytes, workers: workers, memoryMB: memoryMB,
                                 cpuSeconds: Int(seconds.rounded(.up)) + 5, summary: summary, extraction: extraction, ocr: ocr,
                                 modelDir: modelDir)
    }

    /// Runs the child on a thread of its own (it blocks in poll and waitpid)
    /// and reports its progress as the child prints it.
    func run(path: String, progress: @escaping @Sendable (DocumentProgress) -> Void) async -> Outcome {
        let cancelled = CancelFlag()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let thread = Thread {
                    continuation.resume(returning: runBlocking(path: path, cancelled: cancelled, progress: progress))
                }
                thread.name = "tome-extract"
                thread.start()
            }
        } onCancel: {
            cancelled.set()
        }
    }

    /// glibc's per-thread malloc arenas (64 MiB of address space each) would
    /// eat `RLIMIT_AS`; Swift's crash backtracer would spend the child's last
    /// seconds symbolicating a crash the daemon reports by its signal anyway.
    /// Tesseract runs one OpenMP thread per engine (the child runs one engine per worker).
    static let childEnvironment = ["MALLOC_ARENA_MAX": "2", "SWIFT_BACKTRACE": "enable=no", "OMP_THREAD_LIMIT": "1"]

    private func runBlocking(path: String, cancelled: CancelFlag, progress: (DocumentProgress) -> Void) -> Outcome {
        var child: SpawnedChild
        do {
            child = try SpawnedChild(executable: executable, arguments: ["extract", "--child"], environment: Self.childEnvironment,
                                     input: Array(try JSONEncoder().encode(request(path: path))))
        } catch {
            return .failed(code: .crashed, message: "cannot start the parser: \(error)", transient: true)
        }
        let pid = child.pid
        var stdout = [UInt8]()
        var stderrLines = LineBuffer()
        var lastError = ""
        let started = monotonicNow()
        // Pages read by OCR take seconds each: once the child says how many, their time is added.
        var limit = timeoutSeconds
        var timedOut = false
        var wasCancelled = false
        // Eight times max_bytes (2 GiB at the default) is far beyond any record of a document within it: a bound against a runaway child.
        let stdoutLimit = max(64 << 20, maxBytes * 8)

        while child.hasOpenPipes {
            if cancelled.isSet, !wasCancelled { wasCancelled = true; child.killGroup() }
            let remaining = started + limit - monotonicNow()
            if remaining <= 0, !timedOut, !wasCancelled { timedOut = true; child.killGroup() }
            child.poll(timeoutMs: Int32(max(1, min(200, remaining * 1000)))) { stream, bytes in
                if stream == 1 {
                    if stdout.count + bytes.count > stdoutLimit {
                        SpawnedChild.killGroup(pid)
                    } else {
                        stdout.append(contentsOf: bytes)
                    }
                } else {
                    for line in stderrLines.append(bytes) {
                        if let report = ExtractionRequest.progress(in: line) {
                            if report.stage == .ocr, let pages = report.total {
                                limit = max(limit, timeoutSeconds + ocrSeconds(pages: pages))
                            }
                            progress(report)
                        } else if !line.isEmpty {
                            lastError = line
                        }
                    }
                }
            }
        }
        let status = child.wait()
        if wasCancelled { return .cancelled }
        if timedOut {
            return .failed(code: .timeout, message: "timeout after \(Self.format(limit)) s", transient: true)
        }
        return Self.interpret(status: status, stdout: stdout, lastError: lastError, memoryMB: memoryMB)
    }

    /// Maps the child's exit status and output to an outcome.
    static func interpret(status: Int32, stdout: [UInt8], lastError: String, memoryMB: Int) -> Outcome {
        if WIFSIGNALED(status) {
            let signal = WTERMSIG(status)
            if signal == SIGXCPU {
                return .failed(code: .timeout, message: "parser exceeded its CPU time limit", transient: true)
            }
            let name = signalName(signal)
            return .failed(code: .crashed, message: "parser crashed: signal \(signal)\(name.map { " (\($0))" } ?? "")", transient: true)
        }
        let exit = WEXITSTATUS(status)
        let decoder = JSONDecoder()
        if exit == 0 {
            do {
                return .document(try ProcessedDocument(decoding: stdout))
            } catch {
                return .failed(code: .crashed, message: "the parser's record did not decode: \(error)", transient: true)
            }
        }
        if exit == 1, let report = try? decoder.decode(ExtractionFailureReport.self, from: Data(stdout)) {
            return .failed(code: FailureCode(rawValue: report.error.code.rawValue), message: report.error.message, transient: false)
        }
        let lower = lastError.lowercased()
        if lower.contains("memory") || lower.contains("bad_alloc") {
            return .failed(code: .crashed, message: "parser ran out of memory (limit \(memoryMB) MiB): \(lastError)", transient: true)
        }
        let detail = lastError.isEmpty ? "" : ": \(lastError)"
        return .failed(code: .crashed, message: "parser exited with status \(exit) without a result\(detail)", transient: true)
    }

    static func signalName(_ signal: Int32) -> String? {
        [SIGSEGV: "SIGSEGV", SIGABRT: "SIGABRT", SIGKILL: "SIGKILL", SIGBUS: "SIGBUS", SIGILL: "SIGILL",
         SIGFPE: "SIGFPE", SIGTRAP: "SIGTRAP", SIGTERM: "SIGTERM"][signal]
    }

    static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}

/// Set from the cancellation handler, read by the thread that runs the child.
final class CancelFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .relaxed) }
    var isSet: Bool { value.load(ordering: .relaxed) }
}

/// Splits a byte stream into lines, holding back an unfinished last line.
struct LineBuffer {
    private var pending: [UInt8] = []

    mutating func append(_ bytes: ArraySlice<UInt8>) -> [String] {
        pending.append(contentsOf: bytes)
        var lines: [String] = []
        while let newline = pending.firstIndex(of: 0x0A) {
            lines.append(String(decoding: pending[..<newline], as: UTF8.self))
            pending.removeSubrange(...newline)
        }
        if pending.count > 64 << 10 { pending.removeAll() }  // a runaway line without newline
        return lines
    }
}

func monotonicNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
