import Foundation
import TomeEngine

// `tome-distil MODEL_DIR [--workers N]`: turns all-MiniLM-L6-v2
// (`model.safetensors`, `vocab.txt`) into the static vectors the semantic
// head reads (`StaticVectors`, written to MODEL_DIR/static-vectors.bin).
// Run once at install time by the Makefile (`make model`); the daemon never
// runs the encoder to index. Its own small program, built in release mode
// from TomeEngine alone, so `make test` need not build the daemon twice.

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("tome-distil: \(message)\n".utf8))
    exit(1)
}

var arguments = Array(CommandLine.arguments.dropFirst())
var workers = ProcessInfo.processInfo.activeProcessorCount
if let flag = arguments.firstIndex(of: "--workers") {
    guard flag + 1 < arguments.count, let n = Int(arguments[flag + 1]), n > 0 else { fail("--workers wants a positive number") }
    workers = n
    arguments.removeSubrange(flag...(flag + 1))
}
guard arguments.count == 1 else { fail("usage: tome-distil MODEL_DIR [--workers N]  (MODEL_DIR holds model.safetensors and vocab.txt)") }
let folder = URL(fileURLWithPath: arguments[0])
do {
    let weights = try Data(contentsOf: folder.appendingPathComponent("model.safetensors"), options: .alwaysMapped)
    let vocabulary = try WordPieceVocabulary(vocabText: String(decoding: try Data(contentsOf: folder.appendingPathComponent("vocab.txt")), as: UTF8.self))
    let encoder = try SentenceEncoder(safetensors: weights)
    guard encoder.vocabularySize == vocabulary.size else {
        fail("vocab.txt has \(vocabulary.size) pieces and the model \(encoder.vocabularySize)")
    }
    let start = Date()
    let vectors = StaticVectors.distil(encoder, vocabulary: vocabulary,
                                       model: StaticVectors.fingerprint(of: weights), workers: workers) { done, total in
        if done % (256 * 24) == 0 { FileHandle.standardError.write(Data("tome-distil: \(min(done, total)) of \(total) pieces\n".utf8)) }
    }
    let out = folder.appendingPathComponent(StaticVectors.fileName)
    try Data(vectors.encoded()).write(to: out, options: .atomic)
    print("tome-distil: \(vectors.count) vectors of \(vectors.dimensions) in \(String(format: "%.0f", Date().timeIntervalSince(start))) s -> \(out.path)")
} catch let error as EngineError {
    fail(error.message)
} catch {
    fail("\(error.localizedDescription)")
}
