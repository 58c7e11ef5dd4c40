import Foundation
import Testing

@testable import TomeEngine

/// `ask` end to end on long documents the test writes itself.
@Suite struct AskTests {
    /// Seeded pseudo-prose: sentences from a vocabulary of ordinary words,
    /// with some recurring names and numbers, in paragraphs.
    static func haystack(tokens: Int, seed: UInt64) -> [String] {
        var rng = SeededGenerator(state: seed)
        let subjects = ["The committee", "Our team", "The report", "A new study", "The council", "Every engineer", "The project", "Most readers"]
        let verbs = ["described", "reviewed", "measured", "discussed", "approved", "questioned", "published", "compared"]
        let objects = ["the annual budget", "the water supply", "several old bridges", "the railway timetable", "a list of suppliers",
                       "the quarterly figures", "the draft proposal", "the harbour lights", "the museum archive", "the winter schedule"]
        let tails = ["in great detail", "after a long delay", "with some care", "before the meeting", "for the third time",
                     "in March", "without much comment", "during the spring", "at the northern office", "on Tuesday"]
        var sentences: [String] = []
        var count = 0
        while count < tokens {
            let s = "\(subjects.randomElement(using: &rng)!) \(verbs.randomElement(using: &rng)!) \(objects.randomElement(using: &rng)!) \(tails.randomElement(using: &rng)!)."
            sentences.append(s)
            count += s.split(separator: " ").count + 1
        }
        return sentences
    }

    static let needle = "The secret launch code of the Zarquon project is 48213."

    static func document(_ sentences: [String]) -> String {
        stride(from: 0, to: sentences.count, by: 6).map { sentences[$0..<min(sentences.count, $0 + 6)].joined(separator: " ") }.joined(separator: "\n\n")
    }

    /// Asks with the document's own Engram counts as the corpus memory.
    static func ask(_ text: String, _ question: String, k: Int = 3, dense: Bool = false, parameters: EngineParameters = EngineParameters()) -> AskResult {
        let hasher = NgramHasher()
        let analysis = DocumentAnalyzer(parameters: parameters, hasher: hasher, workers: 2).analyze(text)
        var counters = [UInt32](repeating: 0, count: EngramMemory.counterCount(hasher.layout))
        return counters.withUnsafeMutableBufferPointer { buffer in
            var memory = EngramMemory(hasher: hasher, counters: buffer, documents: 0, totals: [0, 0, 0])
            memory.apply(analysis.engram, sign: 1)
            let q = Asker.prepare(question, memory: memory, parameters: parameters, hasher: hasher)
            var copy = text
            return copy.withUTF8 { Asker.ask(q, index: analysis.index, bytes: $0, k: k, dense: dense, memory: memory) }
        }
    }

    @Test(arguments: [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0])
    func needleIsTheFirstAnswerAtAnyDepth(depth: Double) {
        var sentences = Self.haystack(tokens: 200_000, seed: UInt64(depth * 1000) + 1)
        sentences.insert(Self.needle, at: Int(Double(sentences.count) * depth))
        let text = Self.document(sentences)
        let result = Self.ask(text, "What is the secret launch code of the Zarquon project?")
        #expect(result.answers.first?.text == Self.needle)
        let first = result.answers.first
        #expect(first.map { String(decoding: Array(text.utf8)[$0.start..<$0.end], as: UTF8.self) } == Self.needle)
        #expect(result.stats.mode == "sparse")
        #expect(result.stats.blocksSelected < result.stats.blocksScanned / 20)
        #expect(first?.context.contains(Self.needle) == true)
    }

    @Test func sparseEqualsDenseWhenTopKCoversEveryBlock() {
        let text = Self.document(Self.haystack(tokens: 20_000, seed: 42))
        var parameters = EngineParameters()
        let blocks = DocumentAnalyzer(parameters: parameters, workers: 2).analyze(text).index.blockCount
        parameters.topK = blocks
        for question in ["What did the council approve in March?", "Which report measured the water supply?", "the harbour lights"] {
            let sparse = Self.ask(text, question, k: 5, parameters: parameters)
            let dense = Self.ask(text, question, k: 5, dense: true, parameters: parameters)
            #expect(sparse.answers == dense.answers)
            #expect(sparse.stats.blocksSelected == blocks)
        }
    }

    @Test func analysisDoesNotDependOnTheNumberOfWorkers() {
        let text = Self.document(Self.haystack(tokens: 100_000, seed: 5))
        let one = DocumentAnalyzer(workers: 1).analyze(text)
        let two = DocumentAnalyzer(workers: 2).analyze(text)
        #expect(one.index.tokenCount == two.index.tokenCount)
        #expect(one.engram == two.engram)
        // Chunk edges fall at paragraph breaks, so the units agree too (blocks may differ at an edge).
        #expect(one.index.unitStarts == two.index.unitStarts)
    }

    @Test func aContentsLineLosesToTheSentenceWithTheSameWords() {
        var sentences = Self.haystack(tokens: 5_000, seed: 11)
        sentences.insert("RECOVERING DATA FROM DAMAGED FILES . . . . . . . . . . . . . . . . . . . . . . . . 12", at: 3)
        sentences.insert("Recovering data from damaged files is what bzip2recover does.", at: 120)
        let result = Self.ask(Self.document(sentences), "How are data recovered from damaged files?")
        #expect(result.answers.first?.text == "Recovering data from damaged files is what bzip2recover does.")
    }

    @Test func anEmptyQuestionAnswersNothing() {
        let result = Self.ask(Self.document(Self.haystack(tokens: 2_000, seed: 3)), "?!")
        #expect(result.answers.isEmpty)
    }
}
