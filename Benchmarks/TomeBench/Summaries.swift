import Foundation
import TomeEngine

/// `tome-bench summarize FILE SENTENCES`: the engine's summary of FILE's
/// text (SENTENCES sentences, no section summaries), as one JSON line:
/// the sentences, and the time the summary itself took — the analysis with
/// the summary minus the analysis without it, each the best of three, on
/// one worker (the reference it is compared with, LexRank, runs on one).
enum Summaries {
    struct Output: Encodable {
        var sentences: [String]
        var summarySeconds: Double
        var analysisSeconds: Double
        var tokens: Int
    }

    static func run(_ args: [String]) throws {
        guard args.count >= 2, let count = Int(args[1]), count > 0 else {
            FileHandle.standardError.write(Data("usage: tome-bench summarize FILE SENTENCES [leadWeight=X probeBlocks=N dims=N minTokens=N unselectedPenalty=X centrality=X concluding=X aim=X copyTerms=X]\n".utf8))
            exit(64)
        }
        let text = try String(contentsOfFile: args[0], encoding: .utf8)
        var with = SummaryParameters(), without = SummaryParameters()
        // Tuning overrides (the tune half of the benchmark only).
        for setting in args.dropFirst(2) {
            let parts = setting.split(separator: "=")
            guard parts.count == 2, let value = Double(parts[1]) else { continue }
            switch parts[0] {
            case "leadWeight": with.leadWeight = value
            case "probeBlocks": with.probeBlocks = Int(value)
            case "dims": with.dims = Int(value)
            case "minTokens": with.minTokens = Int(value)
            case "unselectedPenalty": with.unselectedPenalty = value
            case "centrality": with.centralityExponent = value
            case "concluding": with.concludingWeight = value
            case "aim": with.aimWeight = value
            case "copyTerms": with.copyTerms = value
            default: FileHandle.standardError.write(Data("unknown setting \(parts[0])\n".utf8))
            }
        }
        (with.sentences, with.sectionSentences) = (count, 0)
        (without.sentences, without.sectionSentences) = (0, 0)
        let clock = ContinuousClock()
        var analysis: Analysis? = nil
        var full: [Double] = [], bare: [Double] = []
        for _ in 0..<3 {
            full.append(TomeBench.seconds(try clock.measure { analysis = try DocumentAnalyzer(workers: 1, summary: with).analyze(text) }))
            bare.append(TomeBench.seconds(try clock.measure { _ = try DocumentAnalyzer(workers: 1, summary: without).analyze(text) }))
        }
        guard let analysis, let fullBest = full.min(), let bareBest = bare.min() else { return }
        let bytes = Array(text.utf8)
        let sentences = analysis.summary.units.map { u in
            String(decoding: bytes[Int(analysis.index.unitStarts[Int(u)])..<Int(analysis.index.unitEnds[Int(u)])], as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let output = Output(sentences: sentences, summarySeconds: max(0, fullBest - bareBest), analysisSeconds: bareBest,
                            tokens: analysis.index.tokenCount)
        FileHandle.standardOutput.write(try encoder.encode(output) + Data("\n".utf8))
    }
}
