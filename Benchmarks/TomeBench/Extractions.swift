import Foundation
import TomeEngine

/// `tome-bench extractions FILE... [--date-order O]`: what the experts find
/// in each FILE's text, one JSON line per file (kind, value, text, currency,
/// count) for the precision/recall benchmark.
///
/// `tome-bench extractions --speed FILE TOKENS`: every expert over the first
/// TOKENS tokens of FILE, routed and unrouted (each the best of three, on
/// every core, wall and CPU time), with the expert calls the router skipped;
/// the analysis before them is not timed. One JSON line.
enum Extractions {
    struct Found: Encodable {
        var kind: String
        var value: String
        var text: String
        var currency: String?
        var count: Int
    }

    static func run(_ args: [String]) throws {
        if args.first == "--speed" {
            guard args.count == 3, let tokens = Int(args[2]) else { usage() }
            return try speed(file: args[1], tokens: tokens)
        }
        var files: [String] = [], parameters = ExtractionParameters()
        var i = 0
        while i < args.count {
            if args[i] == "--date-order", i + 1 < args.count, let order = DateOrder(rawValue: args[i + 1]) {
                parameters.dateOrder = order
                i += 2
            } else {
                files.append(args[i])
                i += 1
            }
        }
        guard !files.isEmpty else { usage() }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for file in files {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            let analysis = try DocumentAnalyzer(workers: 1, extraction: parameters).analyze(text)
            let bytes = Array(text.utf8)
            let found = analysis.extractions.map {
                Found(kind: $0.kind.rawValue, value: $0.value, text: String(decoding: bytes[Int($0.start)..<Int($0.end)], as: UTF8.self),
                      currency: $0.currency, count: Int($0.count))
            }
            print(String(decoding: try encoder.encode(["file": file]).dropLast(), as: UTF8.self) + ",\"found\":"
                  + String(decoding: try encoder.encode(found), as: UTF8.self) + "}")
        }
    }

    static func usage() -> Never {
        FileHandle.standardError.write(Data("usage: tome-bench extractions FILE... [--date-order dmy|mdy] | --speed FILE TOKENS\n".utf8))
        exit(64)
    }

    static func speed(file: String, tokens limit: Int) throws {
        let text = TomeBench.prefix(of: try String(contentsOfFile: file, encoding: .utf8), tokens: limit)
        let analysis = try DocumentAnalyzer().analyze(text)
        var copy = text
        let result: [String: Any] = copy.withUTF8 { bytes in
            var tokenizer = Tokenizer()
            var tokens: [Token] = []
            tokenizer.tokenize(bytes, range: 0..<bytes.count, into: &tokens)
            let clock = ContinuousClock()
            var out: [String: Any] = ["tokens": tokens.count, "blocks": analysis.index.blockCount,
                                      "cores": ProcessInfo.processInfo.activeProcessorCount]
            for routed in [true, false] {
                var wall: [Double] = [], cpu: [Double] = []
                var work = ExtractionRun.Work(), count = 0
                for _ in 0..<3 {
                    let before = TomeBench.cpuSeconds()
                    let elapsed = clock.measure {
                        let run = ExtractionRun.extract(bytes: bytes, tokens: tokens, index: analysis.index, workers: ProcessInfo.processInfo.activeProcessorCount,
                                                        routed: routed)
                        (work, count) = (run.work, run.extractions.count)
                    }
                    cpu.append(TomeBench.cpuSeconds() - before)
                    wall.append(TomeBench.seconds(elapsed))
                }
                let name = routed ? "routed" : "unrouted"
                out[name + "_s"] = wall.min() ?? 0
                out[name + "_cpu_s"] = cpu.min() ?? 0
                out[name + "_calls"] = work.calls
                out[name + "_skipped"] = work.skipped
                out[name + "_found"] = count
            }
            return out
        }
        print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
    }
}
