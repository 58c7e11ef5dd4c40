import ArgumentParser
import CTomeSystem
import Foundation
import Synchronization
import TomeDaemon
import TomeEngine
import TomeExtract

/// `tomed extract FILE [--json]`: extracts one file and prints it.
///
/// The output is a stable interface (the daemon will run this command in a
/// child process): plain text is the document text, pages joined by
/// newline + form feed; `--json` prints the `ExtractedDocument` as one JSON
/// object (README, "tomed extract"). On failure it prints
/// `{"error": {"code", "message"}}` with `--json` (and one line on stderr
/// always) and exits 1. `--record` is what the daemon runs: the document
/// and its engine analysis, as the binary `ProcessedDocument`, so that a
/// crash in parsing or analysis costs this process and never the daemon.
struct ExtractCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Extract the text, pages, metadata and outline of one file."
    )

    @Argument(help: "The PDF, HTML, text or Markdown file (optionally gzip-compressed).")
    var file: String

    @Flag(help: "Print the document as JSON (text, pages, metadata, outline).")
    var json = false

    @Option(help: "Largest file accepted, and largest gzip expansion, in bytes.")
    var maxBytes: Int = ExtractionOptions().maxBytes

    @Option(help: "Workers reading PDF pages in parallel (default: the number of cores).")
    var workers: Int = ExtractionOptions().workers

    @Flag(help: .hidden)
    var record = false

    /// The daemon that spawned this child: the child dies with it (an orphan would work for nothing).
    @Option(help: .hidden)
    var parent: Int32?

    @Flag(help: "Write `tome-progress DONE TOTAL` lines to stderr while reading pages.")
    var progress = false

    @Option(help: "Read FILE only if it lies below this folder with no symbolic link on the way. The daemon sets it to the spool.")
    var beneath: String?

    @Option(help: "With --record: sentences in the document's summary (its pipeline's summary_sentences).")
    var summarySentences = SummaryParameters().sentences

    @Option(help: "With --record: sentences in each section's summary (its pipeline's section_sentences).")
    var sectionSentences = SummaryParameters().sectionSentences

    @Option(help: "With --record: the extraction experts that run, comma-separated (its pipeline's experts; empty for none).")
    var experts = ExtractionKind.allCases.map(\.rawValue).joined(separator: ",")

    @Option(help: "With --record: how ambiguous numeric dates are read, dmy or mdy (its pipeline's date_order; default: as the document's other dates).")
    var dateOrder: String?

    @Option(help: "With --record: key phrases kept (its pipeline's keyphrases).")
    var keyphrases = ExtractionParameters().keyphrases

    @Option(help: "Limit this process's address space (RLIMIT_AS), in MiB. The daemon sets it for its children.")
    var memoryLimitMb: Int?

    @Option(help: "Limit this process's CPU time (RLIMIT_CPU), in seconds.")
    var cpuLimitS: Int?

    func validate() throws {
        guard maxBytes > 0 else { throw ValidationError("--max-bytes must be positive") }
        guard workers > 0 else { throw ValidationError("--workers must be positive") }
        let allowed = 0...SummaryParameters.maxSentences
        guard allowed.contains(summarySentences), allowed.contains(sectionSentences) else {
            throw ValidationError("--summary-sentences and --section-sentences must be 0…\(SummaryParameters.maxSentences)")
        }
        if let unknown = experts.split(separator: ",").first(where: { ExtractionKind(rawValue: String($0)) == nil }) {
            throw ValidationError("--experts: unknown expert \"\(unknown)\" (known: \(ExtractionKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if let dateOrder, DateOrder(rawValue: dateOrder) == nil { throw ValidationError("--date-order must be dmy or mdy") }
        guard keyphrases >= 0 else { throw ValidationError("--keyphrases must not be negative") }
        if let memoryLimitMb, memoryLimitMb < 64 { throw ValidationError("--memory-limit-mb must be at least 64") }
        if let cpuLimitS, cpuLimitS < 1 { throw ValidationError("--cpu-limit-s must be at least 1") }
    }

    func run() async throws {
        if let parent {
            // Killed when the daemon's spawning thread ends; a daemon already gone before that was set: stop now.
            _ = tome_die_with_parent()
            if getppid() != parent { throw ExitCode.failure }
        }
        if let memoryLimitMb { try Self.limit(RLIMIT_AS, to: UInt64(memoryLimitMb) << 20, name: "RLIMIT_AS") }
        if let cpuLimitS { try Self.limit(RLIMIT_CPU, to: UInt64(cpuLimitS), name: "RLIMIT_CPU") }
        var options = ExtractionOptions(maxBytes: maxBytes, workers: workers, beneath: beneath)
        if progress { options.progress = ProgressReporter().report }
        let extractor = Extractor(options: options)
        let document: ExtractedDocument
        var sha256 = ""
        do {
            let bytes = try extractor.read(fileAt: file)
            if record { sha256 = ProcessedDocument.sha256(bytes) }
            document = try await extractor.extract(bytes: bytes, name: file)
        } catch {
            if json || record {
                try write(Self.encoder.encode(ExtractionFailureReport(error: error)))
                write(Data("\n".utf8))
            }
            FileHandle.standardError.write(Data("tomed extract: \(file): \(error.code): \(error.message)\n".utf8))
            throw ExitCode.failure
        }
        if record {
            try writeRecord(document, sourceSHA256: sha256)
        } else if json {
            try write(Self.encoder.encode(document))
            write(Data("\n".utf8))
        } else {
            write(Data(document.text.utf8))
            if !document.text.hasSuffix("\n") { write(Data("\n".utf8)) }
        }
    }

    /// Analyses the document and writes the record the daemon stores.
    private func writeRecord(_ document: ExtractedDocument, sourceSHA256: String) throws {
        if progress { FileHandle.standardError.write(Data("tome-stage analysing\n".utf8)) }
        // A test hook (tests/AnalysisCrashTests): a document holding this marker crashes its analysis.
        if let marker = ProcessInfo.processInfo.environment["TOME_TEST_CRASH_ON"], !marker.isEmpty, document.text.contains(marker) {
            fatalError("TOME_TEST_CRASH_ON: the document holds the marker")
        }
        let analysis: Analysis
        do {
            var summary = SummaryParameters()
            (summary.sentences, summary.sectionSentences) = (summarySentences, sectionSentences)
            var extraction = ExtractionParameters()
            extraction.kinds = Set(experts.split(separator: ",").compactMap { ExtractionKind(rawValue: String($0)) })
            extraction.dateOrder = dateOrder.flatMap(DateOrder.init(rawValue:))
            extraction.keyphrases = keyphrases
            analysis = try DocumentAnalyzer(workers: workers, summary: summary, extraction: extraction)
                .analyze(document.text, outline: document.outline.map { OutlineItem(title: $0.title, level: $0.level, offset: $0.offset) })
        } catch {
            let failure = ExtractionError(error.code == .tooLarge ? .tooLarge : .corrupt, error.message)
            try write(Self.encoder.encode(ExtractionFailureReport(error: failure)))
            write(Data("\n".utf8))
            FileHandle.standardError.write(Data("tomed extract: \(file): \(failure.code): \(failure.message)\n".utf8))
            throw ExitCode.failure
        }
        write(Data(try ProcessedDocument(document: document, analysis: analysis, sourceSHA256: sourceSHA256).encoded()))
    }

    /// Lowers a resource limit of this process (soft and hard).
    static func limit(_ resource: __rlimit_resource, to value: UInt64, name: String) throws {
        var limit = rlimit(rlim_cur: rlim_t(value), rlim_max: rlim_t(value))
        guard setrlimit(__rlimit_resource_t(resource.rawValue), &limit) == 0 else {
            throw ValidationError("cannot set \(name): \(String(cString: strerror(errno)))")
        }
    }

    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    private func write(_ data: Data) {
        FileHandle.standardOutput.write(data)
    }
}

/// Writes `tome-progress DONE TOTAL` to stderr, at most once per percent.
final class ProgressReporter: Sendable {
    private let lastPercent = Mutex(-1)

    func report(done: Int, total: Int) {
        let percent = total > 0 ? done * 100 / total : 0
        let due = lastPercent.withLock { last in
            guard percent > last || done == total else { return false }
            last = percent
            return true
        }
        if due { FileHandle.standardError.write(Data("tome-progress \(done) \(total)\n".utf8)) }
    }
}
