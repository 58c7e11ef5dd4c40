import ArgumentParser
import Foundation
import TomeDaemon
import TomeExtract

/// `tomed extract FILE [--json]`: extracts one file and prints it.
///
/// The output is a stable interface: plain text is the document text, pages
/// joined by newline + form feed; `--json` prints the `ExtractedDocument`
/// as one JSON object (README, "tomed extract"). On failure it prints
/// `{"error": {"code", "message"}}` with `--json` (and one line on stderr
/// always) and exits 1. The daemon runs `tomed extract --child`, which
/// reads an `ExtractionRequest` on stdin and answers with the document and
/// its engine analysis (`ExtractionChild`), so that a crash in parsing or
/// analysis costs that process and never the daemon.
struct ExtractCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Extract the text, pages, metadata and outline of one file."
    )

    @Argument(help: "The PDF, HTML, text or Markdown file (optionally gzip-compressed).")
    var file: String?

    @Flag(help: "Print the document as JSON (text, pages, metadata, outline).")
    var json = false

    @Option(help: "Largest file accepted, and largest gzip expansion, in bytes.")
    var maxBytes: Int = ExtractionOptions().maxBytes

    @Option(help: "Workers reading PDF pages in parallel (default: the number of cores).")
    var workers: Int = ExtractionOptions().workers

    @Option(help: "Which pages are read by OCR: auto (pages without a usable text layer, and images), always, never.")
    var ocr: OCRSettings.Mode = .auto

    @Option(name: .customLong("ocr-language"), help: "A Tesseract language to read scans in (repeat for several; default eng).")
    var ocrLanguages: [String] = []

    @Option(help: "The resolution scanned PDF pages are rendered at for OCR.")
    var ocrDpi: Int = OCRSettings().dpi

    /// The daemon's child: the request comes on stdin (`ExtractionRequest`).
    @Flag(help: .hidden)
    var child = false

    func validate() throws {
        guard child || file != nil else { throw ValidationError("give the file to extract") }
        guard maxBytes > 0 else { throw ValidationError("--max-bytes must be positive") }
        guard workers > 0 else { throw ValidationError("--workers must be positive") }
        guard OCRSettings.dpiRange.contains(ocrDpi) else {
            throw ValidationError("--ocr-dpi must be from \(OCRSettings.dpiRange.lowerBound) to \(OCRSettings.dpiRange.upperBound)")
        }
        let missing = OCREngine.missingLanguages(ocrLanguages)
        guard missing.isEmpty else {
            throw ValidationError("no OCR model for \(missing.joined(separator: ", ")) (install \(missing.map(OCREngine.debianPackage).joined(separator: ", ")))")
        }
    }

    func run() async throws {
        if child { throw ExitCode(await ExtractionChild.run()) }
        guard let file else { return }
        var options = ExtractionOptions(maxBytes: maxBytes, workers: workers)
        options.ocr = OCRSettings(mode: ocr, languages: ocrLanguages.isEmpty ? ["eng"] : ocrLanguages, dpi: ocrDpi)
        let extractor = Extractor(options: options)
        let document: ExtractedDocument
        do {
            document = try await extractor.extract(fileAt: file)
        } catch {
            if json {
                FileHandle.standardOutput.write(try Self.encoder.encode(ExtractionFailureReport(error: error)) + Data("\n".utf8))
            }
            FileHandle.standardError.write(Data("tomed extract: \(file): \(error.code): \(error.message)\n".utf8))
            throw ExitCode.failure
        }
        if json {
            FileHandle.standardOutput.write(try Self.encoder.encode(document) + Data("\n".utf8))
        } else {
            FileHandle.standardOutput.write(Data(document.text.utf8))
            if !document.text.hasSuffix("\n") { FileHandle.standardOutput.write(Data("\n".utf8)) }
        }
    }

    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

extension OCRSettings.Mode: ExpressibleByArgument {}
