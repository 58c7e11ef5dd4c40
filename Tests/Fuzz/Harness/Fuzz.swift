import Foundation
import TomeEngine
import TomeExtract

/// libFuzzer's entry point (`make fuzz` builds this with -sanitize=fuzzer):
/// one input to the part `TOME_FUZZ_TARGET` names. A trap, a crash or a
/// hang in any of them is a finding; a thrown typed error is not.
///
/// - html: libxml2's HTML parser and Tome's walk of its tree;
/// - text: charset detection and decoding, Markdown headings;
/// - gzip: the bounded inflater;
/// - analysis: the input as UTF-8 text through tokens, sentences, blocks,
///   kinds, Engram counts and signatures, then asked its own first words;
/// - archive: the decoder of stored indexes and Engram counts.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    switch Target.current {
    case "html":
        _ = try? HTMLExtractor.extract(bytes)
    case "text":
        _ = PlainTextExtractor.extract(bytes, markdown: bytes.first.map { $0 & 1 == 0 } ?? false)
    case "gzip":
        _ = try? Gzip.decompress(bytes, limit: 1 << 20)
    case "analysis":
        let text = String(decoding: bytes, as: UTF8.self)
        var parameters = EngineParameters()
        parameters.signatureRows = 64
        // Small primes for the Engram tables: the same code, a thousandth of the slots to scan per run.
        let hasher = NgramHasher(layout: EngramLayout(orders: 3, heads: 2, sizes: [[251, 241], [509, 503], [1021, 1019]]))
        guard let analysis = try? DocumentAnalyzer(parameters: parameters, hasher: hasher, workers: 2).analyze(text, outline: [0, size / 2].map { OutlineItem(title: "", level: 1, offset: $0) }) else { return 0 }
        try? analysis.index.validate(textBytes: text.utf8.count)
        let question = Asker.prepare(String(text.prefix(80)), memory: nil)
        _ = try? Asker.ask(question, documents: [TextDocument(index: analysis.index, text: Array(text.utf8))], k: 3)
    case "archive":
        _ = try? IndexArchive.decodeIndex(bytes, textBytes: 1 << 20)
        if let engram = try? IndexArchive.decodeEngram(bytes) { try? engram.decode { _, _ in } }
    default:
        fatalError("set TOME_FUZZ_TARGET to html, text, gzip, analysis or archive")
    }
    return 0
}

enum Target {
    static let current = ProcessInfo.processInfo.environment["TOME_FUZZ_TARGET"] ?? ""
}

#if FUZZING
/// libFuzzer's driver, declared here because SwiftPM links an executable's
/// `main` to its own entry symbol: the harness's entry hands argc/argv to it.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32
) -> Int32

@main
struct Fuzz {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOne(data, size) })
    }
}
#else
/// Without libFuzzer (an ordinary build): replays the inputs named on the
/// command line through the same entry point — the regression files, in
/// `make test` and in `make fuzz` before it fuzzes.
@main
struct Replay {
    static func main() throws {
        for path in CommandLine.arguments.dropFirst() {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            _ = bytes.withUnsafeBufferPointer { buffer in
                fuzzOne(buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!, buffer.count)
            }
        }
    }
}
#endif
