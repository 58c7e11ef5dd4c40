import CTomeSystem
import Foundation
import Glibc
import Synchronization
import TomeAPI
import TomeEngine
import TomeExtract

/// The conversation between the daemon and its extraction child,
/// `tomed extract --child`, written once for both ends.
///
/// - The daemon writes one `ExtractionRequest`, as JSON, on the child's
///   stdin, and closes it.
/// - While it works, the child writes `DocumentProgress` reports on stderr,
///   one a line, each after the word `tome-progress` (any other line there
///   is a diagnostic; the last one is shown when the child dies).
/// - At the end it writes on stdout the `ProcessedDocument` record and exits
///   0, or an `ExtractionFailureReport` as JSON and exits 1.
///
/// Everything the child needs travels in the request — limits, the
/// pipeline's summary and extraction settings — so a setting added later is
/// a field here, not a flag to parse at one end and print at the other.
public struct ExtractionRequest: Codable, Sendable, Equatable {
    /// The file, and the folder it lies in: it is read through no symbolic link below it.
    public var path: String
    public var beneath: String?
    /// The daemon's pid: the child is killed when the daemon dies, and stops at once if it already has.
    public var parent: Int32
    /// Largest file accepted, and largest gzip expansion.
    public var maxBytes: Int
    /// Workers reading PDF pages and analysing.
    public var workers: Int
    /// Limits the child sets on itself (Linux has no pre-exec hook for the parent to set them).
    public var memoryMB: Int
    public var cpuSeconds: Int
    /// The pipeline's settings (nil: the defaults).
    public var summary: SummaryParameters?
    public var extraction: ExtractionParameters?
    public var ocr: OCRSettings?
    /// The semantic head's model folder: units get their vectors (nil: the index is lexical only).
    public var modelDir: String?

    public init(path: String, beneath: String?, parent: Int32, maxBytes: Int, workers: Int, memoryMB: Int, cpuSeconds: Int,
                summary: SummaryParameters?, extraction: ExtractionParameters?, ocr: OCRSettings?, modelDir: String? = nil) {
        self.ocr = ocr
        self.modelDir = modelDir
        self.path = path
        self.beneath = beneath
        self.parent = parent
        self.maxBytes = maxBytes
        self.workers = workers
        self.memoryMB = memoryMB
        self.cpuSeconds = cpuSeconds
        self.summary = summary
        self.extraction = extraction
    }

    /// The word before each progress report on the child's stderr.
    static let progressPrefix = "tome-progress "

    /// A progress report as the child writes it.
    static func progressLine(_ progress: DocumentProgress) -> String {
        let json = (try? JSONEncoder().encode(progress)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return progressPrefix + json + "\n"
    }

    /// The report a line of the child's stderr holds; nil for a diagnostic.
    static func progress(in line: String) -> DocumentProgress? {
        guard line.hasPrefix(progressPrefix) else { return nil }
        return try? JSONDecoder().decode(DocumentProgress.self, from: Data(line.dropFirst(progressPrefix.count).utf8))
    }
}

/// The child's side: `tomed extract --child`.
public enum ExtractionChild {
    /// Reads the request from stdin, does the work, writes the answer;
    /// returns the exit status (0 a record, 1 a typed failure, 2 a request
    /// it cannot read).
    public static func run() async -> Int32 {
        let input = FileHandle.standardInput.readDataToEndOfFile()
        guard let request = try? JSONDecoder().decode(ExtractionRequest.self, from: input) else {
            diagnose("tomed extract --child: the request on stdin is not an ExtractionRequest")
            return 2
        }
        // Killed when the daemon's spawning thread ends; a daemon already gone before that was set: stop now.
        _ = tome_die_with_parent()
        guard getppid() == request.parent else { return 2 }
        do {
            try limit(RLIMIT_AS, to: UInt64(request.memoryMB) << 20, name: "RLIMIT_AS")
            try limit(RLIMIT_CPU, to: UInt64(request.cpuSeconds), name: "RLIMIT_CPU")
        } catch {
            diagnose("tomed extract --child: \(error)")
            return 2
        }
        var options = ExtractionOptions(maxBytes: request.maxBytes, workers: request.workers, progress: PageReporter(.extracting).report,
                                        beneath: request.beneath)
        options.ocrProgress = PageReporter(.ocr).report
        options.ocr = request.ocr ?? OCRSettings()
        let extractor = Extractor(options: options)
        let document: ExtractedDocument, sha256: String
        do {
            let bytes = try extractor.read(fileAt: request.path)
            sha256 = ProcessedDocument.sha256(bytes)
            document = try await extractor.extract(bytes: bytes, name: request.path)
        } catch {
            return fail(error, file: request.path)
        }
        report(DocumentProgress(stage: .analysing))
        #if DEBUG
        // A test hook (DaemonEndToEndTests): a document holding this marker crashes its analysis. Not in release builds.
        if let marker = ProcessInfo.processInfo.environment["TOME_TEST_CRASH_ON"], !marker.isEmpty, document.text.contains(marker) {
            fatalError("TOME_TEST_CRASH_ON: the document holds the marker")
        }
        #endif
        // The daemon found the model at start; if it cannot be read now, the document is indexed by words (and said so).
        let semantic = request.modelDir.map { SemanticModel.load(folder: $0) }
        if let semantic, semantic.head == nil { diagnose("tomed extract --child: no semantic head: \(semantic.status.reason ?? "")") }
        let analysis: Analysis
        do {
            analysis = try DocumentAnalyzer(workers: request.workers, summary: request.summary ?? SummaryParameters(),
                                            extraction: request.extraction ?? ExtractionParameters(), semantic: semantic?.head)
                .analyze(document.text, outline: document.outline.map { OutlineItem(title: $0.title, level: $0.level, offset: $0.offset) })
        } catch {
            return fail(ExtractionError(error.code == .tooLarge ? .tooLarge : .corrupt, error.message), file: request.path)
        }
        do {
            FileHandle.standardOutput.write(Data(try ProcessedDocument(document: document, analysis: analysis, sourceSHA256: sha256).encoded()))
        } catch {
            diagnose("tomed extract --child: cannot encode the record: \(error)")
            return 2
        }
        return 0
    }

    /// Writes the typed failure on stdout (and one line on stderr); returns 1.
    private static func fail(_ error: ExtractionError, file: String) -> Int32 {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if let json = try? encoder.encode(ExtractionFailureReport(error: error)) { FileHandle.standardOutput.write(json + Data("\n".utf8)) }
        diagnose("tomed extract: \(file): \(error.code): \(error.message)")
        return 1
    }

    static func report(_ progress: DocumentProgress) {
        FileHandle.standardError.write(Data(ExtractionRequest.progressLine(progress).utf8))
    }

    private static func diagnose(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Lowers a resource limit of this process (soft and hard).
    static func limit(_ resource: __rlimit_resource, to value: UInt64, name: String) throws {
        var limit = rlimit(rlim_cur: rlim_t(value), rlim_max: rlim_t(value))
        guard setrlimit(__rlimit_resource_t(resource.rawValue), &limit) == 0 else {
            throw SystemError("setrlimit \(name)", errno)
        }
    }

    /// Reports pages read (by their text layer, or by OCR), at most once
    /// per percent (pages are read by several workers at once).
    final class PageReporter: Sendable {
        private let lastPercent = Mutex(-1)
        private let stage: Stage

        init(_ stage: Stage) { self.stage = stage }

        func report(done: Int, total: Int) {
            let percent = total > 0 ? done * 100 / total : 0
            let due = lastPercent.withLock { last in
                guard percent > last || done == total else { return false }
                last = percent
                return true
            }
            if due { ExtractionChild.report(DocumentProgress(stage: stage, done: done, total: total)) }
        }
    }
}
