import ArgumentParser
import Foundation
import TomeExtract

/// `tomed extract FILE [--json]`: extracts one file and prints it.
///
/// The output is a stable interface (the daemon will run this command in a
/// child process): plain text is the document text, pages joined by
/// newline + form feed; `--json` prints the `ExtractedDocument` as one JSON
/// object (README, "tomed extract"). On failure it prints
/// `{"error": {"code", "message"}}` with `--json` (and one line on stderr
/// always) and exits 1.
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

    func validate() throws {
        guard maxBytes > 0 else { throw ValidationError("--max-bytes must be positive") }
        guard workers > 0 else { throw ValidationError("--workers must be positive") }
    }

    func run() async throws {
        let extractor = Extractor(options: ExtractionOptions(maxBytes: maxBytes, workers: workers))
        let document: ExtractedDocument
        do {
            document = try await extractor.extract(fileAt: file)
        } catch {
            if json {
                let body = ErrorBody(error: .init(code: error.code.rawValue, message: error.message))
                try write(Self.encoder.encode(body))
                write(Data("\n".utf8))
            }
            FileHandle.standardError.write(Data("tomed extract: \(file): \(error.code): \(error.message)\n".utf8))
            throw ExitCode.failure
        }
        if json {
            try write(Self.encoder.encode(document))
            write(Data("\n".utf8))
        } else {
            write(Data(document.text.utf8))
            if !document.text.hasSuffix("\n") { write(Data("\n".utf8)) }
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

    private struct ErrorBody: Encodable {
        struct Detail: Encodable {
            var code: String
            var message: String
        }
        var error: Detail
    }
}
