import Foundation
import GRDB
import TomeEngine

/// `tome-bench retrieval QUESTIONS.jsonl NAME=TEXT...`: asks every question
/// of each named document three ways, in one process — Tome sparse, Tome
/// dense (every block read), and SQLite FTS5 bm25 over the same 64-token
/// blocks — and prints one JSON line per question: whether each first
/// answer holds one of the question's answer strings, the time each took,
/// and what the indexer selected.
///
/// Each document is its own corpus (its Engram counts are the memory), as
/// in a store that holds only it; with `--corpus`, every question is asked
/// of all the documents at once, the memory counting them all, as a
/// question asked of a whole spool (`corpus(...)`). A question's answer strings match its
/// answer case-insensitively, with runs of white space as one space.
enum Retrieval {
    struct Question: Decodable {
        var id: String
        var document: String
        var question: String
        var answers: [String]
        var kind: String?
    }

    static func run(_ args: [String]) throws {
        guard args.count >= 2 else { throw Usage() }
        var k = 5
        var parameters = EngineParameters()
        var documents: [(String, String)] = []
        var questionsPath = ""
        var lift: Double?
        var documentNames = true
        var semantic: SemanticHead?
        var modelFolder: URL?
        var deepWeight: Double?
        var deepDepth = DeepReader.defaultDepth
        var corpus = false
        var i = 0
        while i < args.count {
            if args[i] == "--k", i + 1 < args.count { k = Int(args[i + 1]) ?? 5; i += 2; continue }
            if args[i] == "--set", i + 1 < args.count, args[i + 1].hasPrefix("answerLift="), let v = Double(args[i + 1].dropFirst(11)) {
                lift = v
                i += 2
                continue
            }
            if args[i] == "--set", i + 1 < args.count, args[i + 1] == "documentNames=0" { documentNames = false; i += 2; continue }
            if args[i] == "--corpus" { corpus = true; i += 1; continue }
            if args[i] == "--deep" { deepWeight = deepWeight ?? DeepReader.defaultWeight; i += 1; continue }
            if args[i] == "--deep-weight", i + 1 < args.count, let v = Double(args[i + 1]) { deepWeight = v; i += 2; continue }
            if args[i] == "--deep-depth", i + 1 < args.count, let v = Int(args[i + 1]) { deepDepth = v; i += 2; continue }
            if args[i] == "--model", i + 1 < args.count {
                let folder = URL(fileURLWithPath: args[i + 1])
                modelFolder = folder
                semantic = try SemanticHead(vocabText: String(contentsOf: folder.appendingPathComponent("vocab.txt"), encoding: .utf8),
                                            vectorBytes: Array(try Data(contentsOf: folder.appendingPathComponent(StaticVectors.fileName))))
                i += 2
                continue
            }
            if args[i] == "--set", i + 1 < args.count { try set(&parameters, args[i + 1]); i += 2; continue }
            if questionsPath.isEmpty { questionsPath = args[i] } else {
                let parts = args[i].split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw Usage() }
                documents.append((parts[0], parts[1]))
            }
            i += 1
        }
        // --deep: the full encoder reorders the best answers (`DeepReader`; --deep-weight A, --deep-depth N to tune); needs --model.
        var deep: DeepReader?
        if let deepWeight, let modelFolder, let semantic {
            let weights = try Data(contentsOf: modelFolder.appendingPathComponent("model.safetensors"))
            let encoder = try SentenceEncoder(safetensors: weights)
            deep = DeepReader(encoder: encoder, vocabulary: semantic.vocabulary, weight: deepWeight, depth: deepDepth)
        }
        let questions = try String(contentsOfFile: questionsPath, encoding: .utf8).split(separator: "\n")
            .map { try JSONDecoder().decode(Question.self, from: Data($0.utf8)) }
        let hasher = NgramHasher()
        if corpus { return try Self.corpus(questions, documents: documents, k: k, parameters: parameters, hasher: hasher) }
        for (name, path) in documents {
            let asked = questions.filter { $0.document == name }
            guard !asked.isEmpty else { continue }
            let (text, outline) = try Self.read(path)
            let bytes = Array(text.utf8)
            let clock = ContinuousClock()
            var analysis: Analysis?
            let analysisTime = try clock.measure {
                analysis = try DocumentAnalyzer(parameters: parameters, hasher: hasher, semantic: semantic).analyze(text, outline: outline.map { OutlineItem(title: "", level: 1, offset: $0) })
            }
            guard let analysis else { continue }
            let index = analysis.index
            // As the daemon asks: with the names its name expert found.
            let names = analysis.extractions.filter { $0.kind == .names }.map(\.value)
            let document = TextDocument(index: index, text: bytes, names: documentNames && !names.isEmpty ? DocumentNames(names) : nil)
            let fts = try FTS(blocks: blockTexts(index, bytes))
            var counters = [UInt32](repeating: 0, count: EngramMemory.counterCount(hasher.layout))
            try counters.withUnsafeMutableBufferPointer { buffer in
                var memory = EngramMemory(hasher: hasher, counters: buffer, documents: 0, totals: [0, 0, 0])
                try memory.apply(analysis.engram, sign: 1)
                for q in asked {
                    var question = Asker.prepare(q.question, memory: memory, semantic: semantic)
                    if let lift { question.lift = lift }
                    // Warm the caches the way a daemon's second question finds them.
                    _ = try Asker.ask(question, documents: [document], k: k)
                    var sparse: AskResult?, dense: AskResult?
                    let sparseTime = try clock.measure { sparse = try Asker.ask(question, documents: [document], k: k, deep: deep) }
                    let denseTime = try clock.measure { dense = try Asker.ask(question, documents: [document], k: k, dense: true, deep: deep) }
                    var ftsBlock: Int?
                    let ftsTime = try clock.measure { ftsBlock = try fts.first(question.text) }
                    guard let sparse, let dense else { continue }
                    let s = sparse.answers.first, d = dense.answers.first
                    let ftsText = ftsBlock.map { try? fts.text($0) } ?? nil
                    // The block with its neighbours: a window at least as long as Tome's passage.
                    let ftsWindow = ftsBlock.map { b in (max(0, b - 1)...min(index.blockCount - 1, b + 1)).compactMap { try? fts.text($0) }.joined(separator: " ") }
                    var line: [String: Any] = [
                        "id": q.id, "document": name, "kind": q.kind ?? "", "tokens": index.tokenCount, "blocks": index.blockCount,
                        "answer_kind": question.answerKind?.rawValue ?? "",
                        "sparse_sentence": holds(s?.text, q.answers), "sparse_passage": holds(s?.context, q.answers),
                        "dense_sentence": holds(d?.text, q.answers), "dense_passage": holds(d?.context, q.answers),
                        "sparse_top_passage": sparse.answers.contains { holds($0.context, q.answers) },
                        "fts5_block": holds(ftsText ?? nil, q.answers), "fts5_window": holds(ftsWindow, q.answers),
                        "agree": s?.start == d?.start && s?.end == d?.end,
                        "agree_k": sparse.answers.map(\.start) == dense.answers.map(\.start),
                        "exact": sparse.stats.exact, "deep": sparse.stats.deep, "blocks_selected": sparse.stats.blocksSelected, "meaning": sparse.stats.meaning,
                        "units_attended": sparse.stats.sentencesAttended,
                        "sparse_ms": ms(sparseTime), "dense_ms": ms(denseTime), "fts5_ms": ms(ftsTime),
                        "analysis_s": ms(analysisTime) / 1000,
                        "sparse_answer": s?.text ?? "", "fts5_answer": String((ftsText ?? "").prefix(200)),
                        "passage_bytes": s.map { $0.contextEnd - $0.contextStart } ?? 0, "fts5_bytes": (ftsText ?? "").utf8.count,
                        "fts5_window_bytes": (ftsWindow ?? "").utf8.count,
                    ]

                    if ProcessInfo.processInfo.environment["TOME_BENCH_DEBUG"] != nil {
                        // Where dense ranks the first unit holding the fact, and the top three answers.
                        let all = try Asker.ask(question, documents: [document], k: 50, dense: true)
                        line["fact_rank"] = all.answers.firstIndex { holds($0.text, q.answers) }.map { $0 + 1 } ?? -1
                        line["top3"] = all.answers.prefix(3).map { String(format: "%.3f ", $0.similarity) + $0.text.prefix(100).replacingOccurrences(of: "\n", with: " ") }
                        line["top10"] = try Asker.ask(question, documents: [document], k: 10).answers.map {
                            ["similarity": $0.similarity, "text": $0.text, "context": $0.context, "holds": holds($0.context, q.answers)] as [String: Any]
                        }
                        line["terms"] = zip(question.terms, question.salience).map { String(format: "%.1f", $0.1) }.joined(separator: " ")
                    }
                    let json = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
                    print(String(decoding: json, as: UTF8.self))
                }
            }
        }
    }

    /// `--corpus`: every question asked of all the documents at once (the
    /// Engram memory counts them all), sparse and dense, and FTS5 bm25 over
    /// every document's blocks; a first answer is right when it is in the
    /// question's document and holds one of its answers. One JSON line per
    /// question, as above.
    static func corpus(_ questions: [Question], documents named: [(String, String)], k: Int, parameters: EngineParameters,
                       hasher: NgramHasher) throws {
        var names: [String] = [], documents: [TextDocument] = [], engrams: [EngramContribution] = []
        var blocks: [String] = [], blockDocument: [Int] = []
        let clock = ContinuousClock()
        var analysisTime = Duration.zero
        for (name, path) in named {
            let (text, outline) = try Self.read(path)
            var analysis: Analysis?
            analysisTime += try clock.measure {
                analysis = try DocumentAnalyzer(parameters: parameters, hasher: hasher).analyze(text, outline: outline.map { OutlineItem(title: "", level: 1, offset: $0) })
            }
            guard let analysis else { continue }
            let bytes = Array(text.utf8), index = analysis.index
            blocks += blockTexts(index, bytes)
            blockDocument += Array(repeating: names.count, count: index.blockCount)
            names.append(name)
            documents.append(TextDocument(index: index, text: bytes))
            engrams.append(analysis.engram)
        }
        let fts = try FTS(blocks: blocks)
        let tokens = documents.reduce(0) { $0 + $1.index.tokenCount }
        var counters = [UInt32](repeating: 0, count: EngramMemory.counterCount(hasher.layout))
        try counters.withUnsafeMutableBufferPointer { buffer in
            var memory = EngramMemory(hasher: hasher, counters: buffer, documents: 0, totals: [0, 0, 0])
            for engram in engrams { try memory.apply(engram, sign: 1) }
            for q in questions {
                let question = Asker.prepare(q.question, memory: memory)
                _ = try Asker.ask(question, documents: documents, k: k)
                var sparse: AskResult?, dense: AskResult?
                let sparseTime = try clock.measure { sparse = try Asker.ask(question, documents: documents, k: k) }
                let denseTime = try clock.measure { dense = try Asker.ask(question, documents: documents, k: k, dense: true) }
                var ftsBlock: Int?
                let ftsTime = try clock.measure { ftsBlock = try fts.first(question.text) }
                guard let sparse, let dense else { continue }
                let s = sparse.answers.first, d = dense.answers.first
                func right(_ answer: Answer?) -> Bool { answer.map { names[$0.document] == q.document && holds($0.text, q.answers) } ?? false }
                let line: [String: Any] = [
                    "id": q.id, "document": q.document, "kind": q.kind ?? "", "documents": documents.count, "tokens": tokens,
                    "blocks": blocks.count, "sparse_sentence": right(s), "dense_sentence": right(d),
                    "fts5_block": ftsBlock.map { blockDocument[$0] < names.count && names[blockDocument[$0]] == q.document && holds(blocks[$0], q.answers) } ?? false,
                    "agree_k": sparse.answers.map { [$0.document, $0.start] } == dense.answers.map { [$0.document, $0.start] },
                    "similarity_agree": sparse.answers.map(\.similarity) == dense.answers.map(\.similarity),
                    "exact": sparse.stats.exact, "blocks_selected": sparse.stats.blocksSelected,
                    "sparse_ms": ms(sparseTime), "dense_ms": ms(denseTime), "fts5_ms": ms(ftsTime), "analysis_s": ms(analysisTime) / 1000,
                    "sparse_answer": s?.text ?? "", "sparse_document": s.map { names[$0.document] } ?? "",
                ]
                let json = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
                print(String(decoding: json, as: UTF8.self))
            }
        }
    }

    /// Each block's text, its units' bytes from the first's start to the last's end (FTS5's rows).
    static func blockTexts(_ index: DocumentIndex, _ bytes: [UInt8]) -> [String] {
        (0..<index.blockCount).map { b in
            let units = index.units(ofBlock: b)
            return String(decoding: bytes[Int(index.unitStarts[units.lowerBound])..<Int(index.unitEnds[units.upperBound - 1])], as: UTF8.self)
        }
    }

    /// A document: plain text, or `tomed extract --json` output (its text and outline offsets).
    static func read(_ path: String) throws -> (String, [Int]) {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard path.hasSuffix(".json"), let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let text = object["text"] as? String else { return (String(decoding: data, as: UTF8.self), []) }
        let outline = (object["outline"] as? [[String: Any]] ?? []).compactMap { $0["offset"] as? Int }
        return (text, outline)
    }

    /// `--set name=value`: one engine parameter, for tuning runs.
    static func set(_ p: inout EngineParameters, _ assignment: String) throws {
        let parts = assignment.split(separator: "=").map(String.init)
        guard parts.count == 2, let v = Double(parts[1]) else { throw Usage() }
        switch parts[0] {
        case "salienceExponent": p.salienceExponent = v
        case "focusTokens": p.focusTokens = Int(v)
        case "lengthExponent": p.lengthExponent = v
        case "headingPrior": p.headingPrior = v
        case "listItemPrior": p.listItemPrior = v
        case "contentsPrior": p.contentsPrior = v
        case "headingCredit": p.headingCredit = v
        case "topK": p.topK = Int(v)
        case "contextWeight": p.contextWeight = v
        case "keyTermWeight": p.keyTermWeight = v
        case "contextUnits": p.contextUnits = Int(v)
        case "sectionWeight": p.sectionWeight = v
        case "signatureRows": p.signatureRows = Int(v)
        case "signatureHashes": p.signatureHashes = Int(v)
        case "passageBefore": p.passageBefore = Int(v)
        case "passageAfter": p.passageAfter = Int(v)
        case "blockTokens": p.blockTokens = Int(v)
        case "meaningWeight": p.meaningWeight = v
        case "meaningFloor": p.meaningFloor = v
        case "meaningSpan": p.meaningSpan = v
        default: throw Usage()
        }
    }

    /// Whether `text` holds one of `answers` (case-insensitive, white space runs as one space).
    static func holds(_ text: String?, _ answers: [String]) -> Bool {
        guard let text else { return false }
        let haystack = normalise(text)
        return answers.contains { haystack.contains(normalise($0)) }
    }

    static func normalise(_ s: String) -> String {
        s.lowercased().split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    static func ms(_ d: Duration) -> Double {
        (Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18) * 1000
    }

    struct Usage: Error {}

    /// SQLite FTS5 over the blocks, one row each, ranked by bm25.
    final class FTS {
        let queue: DatabaseQueue

        init(blocks: [String]) throws {
            queue = try DatabaseQueue()
            try queue.write { db in
                try db.execute(sql: "CREATE VIRTUAL TABLE b USING fts5(text, tokenize = 'unicode61 remove_diacritics 2')")
                let insert = try db.makeStatement(sql: "INSERT INTO b (rowid, text) VALUES (?, ?)")
                for (i, block) in blocks.enumerated() { try insert.execute(arguments: [i, block]) }
            }
        }

        /// The best block for a question: its words, OR-ed, each quoted, without the words that only make it a question.
        func first(_ question: String) throws -> Int? {
            let words = FTS.words(question)
            guard !words.isEmpty else { return nil }
            let match = words.map { "\"\($0)\"" }.joined(separator: " OR ")
            return try queue.read { db in
                try Int.fetchOne(db, sql: "SELECT rowid FROM b WHERE b MATCH ? ORDER BY bm25(b) LIMIT 1", arguments: [match])
            }
        }

        func text(_ row: Int) throws -> String? {
            try queue.read { db in try String.fetchOne(db, sql: "SELECT text FROM b WHERE rowid = ?", arguments: [row]) }
        }

        static let questionWords: Set<String> = [
            "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "do", "does", "did", "can", "could", "should",
            "would", "will", "shall", "may", "might", "must", "is", "are", "was", "were", "i", "me", "my", "we", "our", "you", "your",
            "please", "tell", "explain", "describe", "mean", "means",
        ]

        static func words(_ text: String) -> [String] {
            var seen = Set<String>()
            return text.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
                .filter { !questionWords.contains($0) && seen.insert($0).inserted }
        }
    }
}
