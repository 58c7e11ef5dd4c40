import Foundation
import Testing
@testable import TomeEngine

/// The model files `make model` fetches (var/models/all-MiniLM-L6-v2, or
/// TOME_MODEL_DIR) and the reference's golden vectors (Fixtures/minilm-golden.json,
/// from HuggingFace transformers and tokenizers: Fixtures/make_golden.py).
enum SemanticFixture {
    static let modelDirectory: URL = {
        if let dir = ProcessInfo.processInfo.environment["TOME_MODEL_DIR"] { return URL(fileURLWithPath: dir) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent("var/models/all-MiniLM-L6-v2")
    }()

    static func file(_ name: String) throws -> Data {
        let url = modelDirectory.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw FixtureMissing(message: "\(url.path) is missing: run `make model` (make test does)")
        }
        return try Data(contentsOf: url, options: .alwaysMapped)
    }

    static func vocabulary() throws -> WordPieceVocabulary {
        try WordPieceVocabulary(vocabText: String(decoding: try file("vocab.txt"), as: UTF8.self))
    }

    struct Golden: Decodable {
        struct Text: Decodable {
            var text: String
            var ids: [Int32]
            var ids_256: [Int32]
            var mean_pooled: [Float]?
            var last_hidden_state: [[Float]]?
        }
        struct Single: Decodable {
            var id: Int32
            var mean_pooled: [Float]
        }
        var texts: [Text]
        var single_tokens: [Single]
    }

    static let golden: Golden = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/minilm-golden.json")
        do { return try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url)) } catch { fatalError("golden vectors: \(error)") }
    }()
}

struct FixtureMissing: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

@Suite struct WordPieceTests {
    @Test func idsAreTheReferenceTokenizers() throws {
        var tokenizer = WordPieceTokenizer(vocabulary: try SemanticFixture.vocabulary())
        for text in SemanticFixture.golden.texts {
            let expected = Array(text.ids.dropFirst().dropLast())
            #expect(tokenizer.encode(text.text) == expected, "\(text.text)")
        }
    }

    @Test func aWordNoPieceCoversIsOneUnknownAndAnOverlongWordToo() throws {
        let vocabulary = try SemanticFixture.vocabulary()
        var tokenizer = WordPieceTokenizer(vocabulary: vocabulary)
        #expect(tokenizer.encode("ǅ") == [vocabulary.unknown])
        #expect(tokenizer.encode(String(repeating: "a", count: 101)) == [vocabulary.unknown])
        #expect(tokenizer.encode(String(repeating: "a", count: 100)).allSatisfy { $0 != vocabulary.unknown })
        #expect(vocabulary.longestPiece >= 10 && vocabulary.longestPiece < 40)
        // A long run of letters and digits (base64) is cut in linear time: 100 characters a word at most, each tried against pieces no longer than the longest.
        let pattern = Array("QmFzZTY0IGlzIGxvbmc9xyz")
        let base64 = String((0..<20_000).map { $0 % 91 == 90 ? " " : pattern[$0 % pattern.count] })
        let pieces = tokenizer.encode(base64)
        #expect(pieces.count > 220 && !pieces.contains(vocabulary.unknown))
        // Invalid UTF-8 reads as U+FFFD, which the reference drops.
        var out: [Int32] = []
        let bytes: [UInt8] = Array("ab".utf8) + [0xFF] + Array("cd".utf8)
        bytes.withUnsafeBufferPointer { tokenizer.encode($0, range: 0..<$0.count, into: &out) }
        #expect(out == tokenizer.encode("abcd"))
    }

    @Test func aVocabularyWithoutItsSpecialPiecesIsRefused() {
        #expect(throws: EngineError.self) { try WordPieceVocabulary(vocabText: "[PAD]\n[UNK]\nthe\n") }
        #expect(throws: EngineError.self) { try WordPieceVocabulary(vocabText: "") }
    }
}

@Suite struct SentenceEncoderTests {
    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for i in a.indices { dot += Double(a[i]) * Double(b[i]); na += Double(a[i] * a[i]); nb += Double(b[i] * b[i]) }
        return dot / (na.squareRoot() * nb.squareRoot())
    }

    @Test func hiddenStatesAndPooledVectorsAreTheReferences() throws {
        let weights = try SemanticFixture.file("model.safetensors")
        let encoder = try weights.withUnsafeBytes { try SentenceEncoder(SafeTensors($0)) }
        let golden = SemanticFixture.golden.texts
        // Every position of one sentence, to 1e-4 (float32 sums in another order).
        let food = try #require(golden.first { $0.text == "A man is eating food." })
        let states = encoder.hiddenStates(batch: [food.ids_256])
        let reference = try #require(food.last_hidden_state)
        var worst: Float = 0
        for (i, row) in reference.enumerated() {
            for j in row.indices { worst = max(worst, abs(states[i * SentenceEncoder.hidden + j] - row[j])) }
        }
        #expect(worst < 1e-4, "largest difference \(worst)")
        // Sentences of other kinds (accents, Chinese, codes), pooled.
        for text in golden.prefix(10) where text.ids_256.count <= 24 {
            guard let expected = text.mean_pooled else { continue }
            let pooled = encoder.meanPooled(text.ids_256)
            let difference = zip(pooled, expected).map { abs($0 - $1) }.max() ?? 1
            #expect(difference < 1e-4, "\(text.text): \(difference)")
        }
        // The reference's figure: two sentences about eating, 0.755.
        let bread = try #require(golden.first { $0.text == "A man is eating a piece of bread." })
        let similarity = Self.cosine(encoder.meanPooled(food.ids_256), encoder.meanPooled(bread.ids_256))
        #expect(abs(similarity - 0.7553) < 1e-3)
    }

    @Test func theDistilledVectorsAreTheEncodersOutputForEachPieceAlone() throws {
        let vectors = try StaticVectors(decoding: Array(try SemanticFixture.file(StaticVectors.fileName)))
        let weights = try SemanticFixture.file("model.safetensors")
        #expect(vectors.model == StaticVectors.fingerprint(of: weights))
        #expect(vectors.count == 30522 && vectors.dimensions == SentenceEncoder.hidden)
        for single in SemanticFixture.golden.single_tokens {
            let row = Array(vectors.values[Int(single.id) * vectors.dimensions..<(Int(single.id) + 1) * vectors.dimensions])
            let difference = zip(row, single.mean_pooled).map { abs($0 - $1) }.max() ?? 1
            #expect(difference < 1e-4, "piece \(single.id): \(difference)")
        }
    }

    @Test func damagedModelBytesAreRefusedNotRead() {
        let short: [UInt8] = [200, 0, 0, 0, 0, 0, 0, 0, 0x7B, 0x7D]
        #expect(throws: EngineError.self) { try short.withUnsafeBytes { try SafeTensors($0) } }
        let header = Array(#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,64]}}"#.utf8)
        var file = withUnsafeBytes(of: UInt64(header.count).littleEndian, Array.init) + header
        file += [UInt8](repeating: 0, count: 16)
        #expect(throws: EngineError.self) { try file.withUnsafeBytes { try SafeTensors($0) } }
        #expect(throws: EngineError.self) { try StaticVectors(decoding: Array("TOMEVEC".utf8) + [1, 0, 0]) }
        // Projected vectors the scan cannot read sixteen at a time: refused when loaded, not when a document is stored.
        let odd = StaticVectors(dimensions: 16, count: 2, model: 1, values: [Float](repeating: 0.5, count: 32), kept: 10,
                                projected: [Float](repeating: 0.5, count: 20))
        #expect(throws: EngineError.self) { try StaticVectors(decoding: odd.encoded()) }
        // A header whose shape or offsets overflow is an error, not a trap.
        let huge = Array(#"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,16]}}"#.utf8)
        let hostile = withUnsafeBytes(of: UInt64(huge.count).littleEndian, Array.init) + huge + [UInt8](repeating: 0, count: 16)
        #expect(throws: EngineError.self) { try hostile.withUnsafeBytes { try SafeTensors($0) } }
    }
}

@Suite struct SemanticHeadTests {
    static func head() throws -> SemanticHead {
        try SemanticHead(vocabText: String(decoding: try SemanticFixture.file("vocab.txt"), as: UTF8.self),
                         vectorBytes: Array(try SemanticFixture.file(StaticVectors.fileName)))
    }

    /// Plain English sentences on everyday matters (seeded), a few hundred.
    static func filler(_ count: Int) -> [String] {
        let subjects = ["The committee", "Our neighbour", "The teacher", "The council", "Every driver", "The baker", "My sister", "The mayor"]
        let verbs = ["painted", "discussed", "repaired", "praised", "visited", "cleaned", "photographed", "described"]
        let objects = ["the school garden", "a red bicycle", "the village hall", "the old clock tower", "a birthday cake", "the tennis court",
                       "the concert programme", "a wooden fence", "the football pitch"]
        let times = ["on Monday", "last summer", "before lunch", "in the evening", "after the storm", "every spring"]
        return (0..<count).map { n in
            let i = n &* 7 &+ 3
            return "\(subjects[i % subjects.count]) \(verbs[(i / 3) % verbs.count]) \(objects[(i / 5) % objects.count]) \(times[(i / 11) % times.count])."
        }
    }

    static let needle = "The warehouse in Vandorel had lost eleven pallets of copper wire to theft."
    static let question = "Which storage site was missing stolen metal cabling?"

    static func document(_ semantic: SemanticHead?) throws -> TextDocument {
        var sentences = filler(600)
        sentences.insert(needle, at: 377)
        let text = sentences.joined(separator: " ")
        let analysis = try DocumentAnalyzer(workers: 2, semantic: semantic).analyze(text)
        return TextDocument(index: analysis.index, text: Array(text.utf8))
    }

    @Test func aQuestionInOtherWordsFindsItsSentenceAndSparseIsDense() throws {
        let head = try Self.head()
        let document = try Self.document(head)
        #expect(!document.index.meanings.isEmpty && document.index.meanings.model == head.model)
        let question = Asker.prepare(Self.question, memory: nil, semantic: head)
        #expect(question.meaning != nil)
        // A small first selection: the rest is read only where the bound says it can beat the answers.
        var parameters = EngineParameters()
        parameters.topK = 2
        let sparse = try Asker.ask(question, documents: [document], k: 3, parameters: parameters)
        let dense = try Asker.ask(question, documents: [document], k: 3, dense: true, parameters: parameters)
        #expect(sparse.answers.first?.text.contains("Vandorel") == true, "\(sparse.answers.map(\.text))")
        #expect(sparse.stats.meaning && sparse.stats.exact)
        #expect(sparse.stats.blocksSelected < document.index.blockCount)
        #expect(sparse.answers == dense.answers)
        // Shares no word with the question: not sure, a lead.
        #expect(sparse.answers.first?.sure == false)

        // Words alone cannot find it: the question shares none of its words.
        let lexical = try Self.document(nil)
        #expect(lexical.index.meanings.isEmpty)
        let words = try Asker.ask(Asker.prepare(Self.question, memory: nil), documents: [lexical], k: 3)
        #expect(!words.stats.meaning)
        #expect(words.answers.first?.text.contains("Vandorel") != true)
        // A question with meaning asked of an index without vectors is asked by words, and says so.
        let unindexed = try Asker.ask(question, documents: [lexical], k: 3)
        #expect(!unindexed.stats.meaning && unindexed.answers == words.answers)
    }

    @Test func aSentenceThatHoldsTheQuestionsWordsStillComesFirst() throws {
        let head = try Self.head()
        var sentences = Self.filler(300)
        sentences.insert("The baker repaired the red bicycle with a new chain on Friday.", at: 120)
        let text = sentences.joined(separator: " ")
        let document = TextDocument(index: try DocumentAnalyzer(workers: 1, semantic: head).analyze(text).index, text: Array(text.utf8))
        let result = try Asker.ask(Asker.prepare("bicycle chain", memory: nil, semantic: head), documents: [document], k: 3)
        #expect(result.answers.first?.text.contains("new chain") == true)
    }

    @Test func unitVectorsAreTheSameForAnyNumberOfWorkers() throws {
        let head = try Self.head()
        let text = Self.filler(200).joined(separator: " ")
        let one = try DocumentAnalyzer(workers: 1, semantic: head).analyze(text).index
        let three = try DocumentAnalyzer(workers: 3, semantic: head).analyze(text).index
        #expect(one.meanings == three.meanings && one.digest == three.digest)
        // A unit's stored vector is its sentence's meaning, quantised.
        var copy = text
        let direct = try #require(copy.withUTF8 { bytes in
            var scratch = SemanticHead.Scratch(vocabulary: head.vocabulary)
            return head.vector(bytes, range: Int(one.unitStarts[5])..<Int(one.unitEnds[5]), scratch: &scratch)
        })
        let stored = Array(one.meanings.codes[(5 * head.dimensions)..<(6 * head.dimensions)])
        #expect(stored == direct.map(SemanticHead.quantise))
    }

    @Test func anIndexKeepsItsVectorsAndAnEarlierFormatIsReadWithoutThem() throws {
        let head = try Self.head()
        let text = Self.filler(120).joined(separator: " ")
        let index = try DocumentAnalyzer(workers: 1, semantic: head).analyze(text).index
        let bytes = IndexArchive.encode(index)
        let decoded = try IndexArchive.decodeIndex(bytes, textBytes: text.utf8.count)
        #expect(decoded == index && decoded.digest == index.digest)
        // Format 3 (before the semantic head) ends where the vectors begin.
        let lexical = try DocumentAnalyzer(workers: 1).analyze(text).index
        var old = IndexArchive.encode(lexical)
        old.removeLast(12)  // model u64 + width u32, no codes
        old[IndexArchive.indexMagic.count] = 3
        let read = try IndexArchive.decodeIndex(old, textBytes: text.utf8.count)
        #expect(read.meanings.isEmpty && read.digest == lexical.digest)
        // Vectors that do not fit the units are refused, not read.
        var short = bytes
        short.removeLast(head.dimensions)
        #expect(throws: EngineError.self) { try IndexArchive.decodeIndex(short, textBytes: text.utf8.count) }
    }

    /// The scan (integer dot products, two halves past 16K units) against the
    /// formula written out: z-scores of q · code/127, floored and scaled.
    @Test(arguments: [300, 20_000])
    func theMeaningScoresAreTheFormulasOnAnyLength(units: Int) {
        var rng = SeededGenerator(state: UInt64(units))
        let width = 192
        let codes = (0..<(units * width)).map { _ in Int8.random(in: -127...127, using: &rng) }
        var question = (0..<width).map { _ in Float.random(in: -1...1, using: &rng) }
        let norm = question.reduce(0) { $0 + $1 * $1 }.squareRoot()
        question = question.map { $0 / norm }
        let scores = UnitMeanings(model: 1, width: width, codes: codes).scores(question, floor: 2, span: 3)
        let q = question.map { Double(Int16(($0 * 4096).rounded())) }
        let cosines = (0..<units).map { u in (0..<width).reduce(0.0) { $0 + Double(codes[u * width + $1]) * q[$1] } / (127 * 4096) }
        let mean = cosines.reduce(0, +) / Double(units)
        let sd = (cosines.reduce(0) { $0 + $1 * $1 } / Double(units) - mean * mean).squareRoot()
        for u in 0..<units {
            let expected = Float(min(1, max(0, (cosines[u] - mean) / sd - 2) / 3))
            #expect(abs(scores[u] - expected) <= 1e-6, "unit \(u)")
        }
        #expect(scores.contains { $0 > 0 } && scores.contains { $0 == 0 })
    }

    @Test func principalAxesDiagonaliseTheCovariance() {
        var rng = SeededGenerator(state: 7)
        let width = 6, rows = 200
        // Correlated columns: column j mixes the first two of a random basis.
        let values: [Float] = (0..<(rows * width)).map { _ in Float.random(in: -1...1, using: &rng) }
        var mixed = values
        for r in 0..<rows { for j in 1..<width { mixed[r * width + j] += 0.8 * mixed[r * width] * Float(j) / Float(width) } }
        let (mean, axes, variances) = PrincipalAxes.of(mixed, width: width)
        #expect(axes.count == width && variances == variances.sorted(by: >))
        // Orthonormal, and each axis an eigenvector of the covariance: C a = λ a.
        var c = [Double](repeating: 0, count: width * width)
        for r in 0..<rows {
            for i in 0..<width { for j in 0..<width {
                c[i * width + j] += (Double(mixed[r * width + i]) - mean[i]) * (Double(mixed[r * width + j]) - mean[j]) / Double(rows)
            } }
        }
        for (k, axis) in axes.enumerated() {
            for (l, other) in axes.enumerated() {
                let dot = zip(axis, other).reduce(0) { $0 + $1.0 * $1.1 }
                #expect(abs(dot - (k == l ? 1 : 0)) < 1e-9)
            }
            for i in 0..<width {
                let ca = (0..<width).reduce(0.0) { $0 + c[i * width + $1] * axis[$1] }
                #expect(abs(ca - variances[k] * axis[i]) < 1e-9)
            }
        }
    }
}

@Suite struct DeepReaderTests {
    /// Read once for the suite (the weights are 87 MiB), reading four answers
    /// rather than ten: each is six transformer layers in a debug build.
    static let shared: Result<DeepReader, any Error> = Result {
        let encoder = try SentenceEncoder(safetensors: try SemanticFixture.file("model.safetensors"))
        return DeepReader(encoder: encoder, vocabulary: try SemanticFixture.vocabulary(), depth: 4)
    }

    static func reader() throws -> DeepReader { try shared.get() }

    /// The head's paraphrase document, with sentences that hold a word of
    /// the question but not its meaning ("storage", "metal").
    static func document(_ head: SemanticHead) throws -> TextDocument {
        var sentences = SemanticHeadTests.filler(600)
        sentences.insert(SemanticHeadTests.needle, at: 377)
        sentences.insert("The council moved the old chairs into the storage room behind the village hall.", at: 120)
        sentences.insert("The metal gate of the tennis court was painted green last summer.", at: 480)
        let text = sentences.joined(separator: " ")
        return TextDocument(index: try DocumentAnalyzer(workers: 2, semantic: head).analyze(text).index, text: Array(text.utf8))
    }

    @Test func theEncoderPutsTheSentenceThatMeansTheQuestionFirstAmongAttentionsBest() throws {
        let head = try SemanticHeadTests.head(), reader = try Self.reader()
        let document = try Self.document(head)
        let question = Asker.prepare(SemanticHeadTests.question, memory: nil, semantic: head)
        let pool = try Asker.ask(question, documents: [document], k: reader.depth)
        let deep = try Asker.ask(question, documents: [document], k: 3, deep: reader)
        #expect(deep.stats.deep && !pool.stats.deep && deep.stats.exact)
        // Words and meaning put a sentence sharing the question's words first; the encoder puts the one that means it.
        #expect(pool.answers.first?.text.contains("Vandorel") == false, "\(pool.answers.map(\.text))")
        #expect(deep.answers.first?.text.contains("Vandorel") == true, "\(deep.answers.map(\.text))")
        // Only attention's best are reordered.
        #expect(Set(deep.answers.map(\.start)).isSubset(of: Set(pool.answers.map(\.start))))
        // The score that ranks is the one given: deep(c) = sim/max sim + a · cos(E(q), E(c)), in rank order.
        let best = pool.answers.map(\.similarity).max() ?? 1
        let q = reader.vector(of: SemanticHeadTests.question)
        let first = try #require(deep.answers.first)
        let original = try #require(pool.answers.first { $0.start == first.start })
        let cosine = zip(q, reader.vector(of: first.text)).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        #expect(abs(first.similarity - (original.similarity / best + reader.weight * cosine)) < 1e-9)
        #expect(deep.answers.map(\.similarity) == deep.answers.map(\.similarity).sorted(by: >))
        // Dense attention finds the same candidates: the same deep answers.
        #expect(try Asker.ask(question, documents: [document], k: 3, dense: true, deep: reader).answers == deep.answers)
    }

    @Test func aQuestionInTheDocumentsWordsKeepsItsAnswer() throws {
        let head = try SemanticHeadTests.head(), reader = try Self.reader()
        let document = try Self.document(head)
        let result = try Asker.ask(Asker.prepare("Where were the old chairs moved?", memory: nil, semantic: head), documents: [document], k: 3, deep: reader)
        #expect(result.answers.first?.text.contains("storage room") == true, "\(result.answers.map(\.text))")
    }

    @Test func theRankingIsTheFormulaWithTiesInAttentionsOrder() {
        // deep = sim / max sim + a · cos: (0.5 + 0.6a, 1 + 0, 0.5 + 0.6a, 0.25 + 0.2a) with a = 1.
        let ranked = DeepReader.rank(similarities: [0.2, 0.4, 0.2, 0.1], cosines: [0.6, 0, 0.6, 0.2], weight: 1, beta: 3)
        #expect(ranked.map(\.index) == [0, 2, 1, 3])
        #expect(ranked.map(\.deep) == [1.1, 1.1, 1.0, 0.45])
        // Probabilities among the candidates: they sum to one and follow the ranking, ties equal.
        #expect(abs(ranked.reduce(0) { $0 + $1.probability } - 1) < 1e-12)
        #expect(ranked[0].probability == ranked[1].probability && ranked[1].probability > ranked[2].probability)
        #expect(abs(ranked[2].probability / ranked[3].probability - exp(3 * (1.0 - 0.45))) < 1e-9)
        // With a = 0 the order is attention's; with no candidates, none.
        #expect(DeepReader.rank(similarities: [0.3, 0.2, 0.1], cosines: [0, 0.9, 0.5], weight: 0, beta: 1).map(\.index) == [0, 1, 2])
        #expect(DeepReader.rank(similarities: [], cosines: [], weight: 3, beta: 1).isEmpty)
        // Similarities all zero (meaning alone found nothing lexical): the cosines rank.
        #expect(DeepReader.rank(similarities: [0, 0], cosines: [0.1, 0.4], weight: 3, beta: 1).map(\.index) == [1, 0])
    }

    @Test func aSentenceLongerThanTheEncoderReadsIsCutNotRefused() throws {
        let reader = try Self.reader()
        let long = Array(repeating: "The baker repaired the red bicycle.", count: 80).joined(separator: " ")
        let sequence = reader.sequence(of: long)
        #expect(sequence.count == SentenceEncoder.maxTokens)
        #expect(sequence.first == reader.vocabulary.classToken && sequence.last == reader.vocabulary.separator)
        var tokenizer = WordPieceTokenizer(vocabulary: reader.vocabulary)
        #expect(Array(sequence.dropFirst().dropLast()) == Array(tokenizer.encode(long).prefix(SentenceEncoder.maxTokens - 2)))
        #expect(reader.sequence(of: "").count == 2)
    }
}
