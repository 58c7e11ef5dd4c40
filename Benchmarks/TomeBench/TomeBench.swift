import Foundation
import GRDB
import TomeEngine

/// `tome-bench prefix FILE TOKENS` prints that text; `tome-bench summarize
/// FILE SENTENCES` times and prints a summary (Summaries.swift);
/// `tome-bench extractions …` runs the extraction experts (Extractions.swift).
///
/// `tome-bench analysis FILE TOKENS`: the engine's analysis of the first
/// TOKENS tokens of FILE (tokens → sentences → blocks → Engram counts →
/// keys, on every core) beside SQLite FTS5 indexing the same text one
/// sentence per row, in the same process. Prints one JSON line.
///
/// Peak RSS is read right after the engine's run (before FTS5 starts), so it
/// is the engine's: it counts the text read and every page touched.
@main
struct TomeBench {
    static func main() throws {
        let args = CommandLine.arguments
        if args.count >= 2, args[1] == "summarize" {
            try Summaries.run(Array(args.dropFirst(2)))
            return
        }
        if args.count >= 2, args[1] == "extractions" {
            try Extractions.run(Array(args.dropFirst(2)))
            return
        }
        if args.count >= 2, args[1] == "retrieval" {
            do {
                try Retrieval.run(Array(args.dropFirst(2)))
            } catch is Retrieval.Usage {
                FileHandle.standardError.write(Data("usage: tome-bench retrieval QUESTIONS.jsonl NAME=TEXT... [--k K] [--corpus]\n".utf8))
                exit(64)
            }
            return
        }
        guard args.count == 4, ["analysis", "prefix"].contains(args[1]), let limit = Int(args[3]) else {
            FileHandle.standardError.write(Data("usage: tome-bench analysis|prefix FILE TOKENS | retrieval QUESTIONS.jsonl NAME=TEXT...\n".utf8))
            exit(64)
        }
        if args[1] == "prefix" {
            // The same cut as `analysis`, for the ask benchmark's document.
            FileHandle.standardOutput.write(Data(try prefix(of: String(contentsOfFile: args[2], encoding: .utf8), tokens: limit).utf8))
            return
        }
        let text = try prefix(of: String(contentsOfFile: args[2], encoding: .utf8), tokens: limit)
        let clock = ContinuousClock()
        // Best of three: the first run also pays for page faults of fresh allocations.
        // On every core (wall and CPU time), then on one worker (like FTS5's one thread).
        var analysis: Analysis? = nil
        var engineTimes: [Double] = [], engineCPU: [Double] = [], oneWorker: [Double] = []
        for _ in 0..<3 {
            let cpu = cpuSeconds()
            let elapsed = try clock.measure { analysis = try DocumentAnalyzer().analyze(text) }
            engineCPU.append(cpuSeconds() - cpu)
            engineTimes.append(seconds(elapsed))
        }
        let peak = peakRSS()
        for _ in 0..<3 {
            oneWorker.append(seconds(try clock.measure { _ = try DocumentAnalyzer(workers: 1).analyze(text) }))
        }
        guard let analysis else { return }

        // FTS5: the same text, one sentence (the engine's units) per row.
        var sentences: [String] = []
        let bytes = Array(text.utf8)
        for (start, end) in zip(analysis.index.unitStarts, analysis.index.unitEnds) {
            sentences.append(String(decoding: bytes[Int(start)..<Int(end)], as: UTF8.self))
        }
        var ftsTimes: [Double] = []
        for _ in 0..<3 {
            let queue = try DatabaseQueue()
            try queue.write { db in try db.execute(sql: "CREATE VIRTUAL TABLE s USING fts5(text)") }
            let elapsed = try clock.measure {
                try queue.write { db in
                    let insert = try db.makeStatement(sql: "INSERT INTO s (text) VALUES (?)")
                    for sentence in sentences { try insert.execute(arguments: [sentence]) }
                }
            }
            ftsTimes.append(seconds(elapsed))
        }
        let engine = engineTimes.min() ?? 0, fts = ftsTimes.min() ?? 0
        let result: [String: Any] = [
            "tokens": analysis.index.tokenCount, "bytes": bytes.count, "sentences": sentences.count, "blocks": analysis.index.blockCount,
            "engine_s": engine, "engine_cpu_s": engineCPU.min() ?? 0, "engine_1_worker_s": oneWorker.min() ?? 0,
            "fts5_s": fts, "ratio": engine / fts, "tokens_per_s": Double(analysis.index.tokenCount) / engine,
            "peak_rss_mib": peak, "cores": ProcessInfo.processInfo.activeProcessorCount,
        ]
        let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
    }

    /// The text up to the end of the sentence where the TOKENS-th token falls
    /// (the whole text when it has fewer).
    static func prefix(of text: String, tokens limit: Int) -> String {
        var tokenizer = Tokenizer()
        var copy = text
        return copy.withUTF8 { bytes -> String in
            var tokens: [Token] = []
            tokenizer.tokenize(bytes, range: 0..<bytes.count, into: &tokens)
            guard tokens.count > limit else { return text }
            var end = Int(tokens[limit].end)
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[0..<end]), as: UTF8.self)
        }
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// User and system CPU time of this process so far, every thread.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// VmHWM of this process, in MiB.
    static func peakRSS() -> Double {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return (Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0) / 1024
        }
        return 0
    }
}
