import Foundation
import Testing

@testable import TomeEngine

/// `ask` end to end on long documents the test writes itself.
@Suite struct AskTests {
    /// Analyses `text` and asks it, with the document's own Engram counts as the corpus memory.
    static func ask(_ text: String, _ question: String, k: Int = 3, dense: Bool = false,
                    parameters: EngineParameters = EngineParameters()) throws -> (AskResult, DocumentIndex) {
        let hasher = NgramHasher()
        let analysis = try DocumentAnalyzer(parameters: parameters, hasher: hasher, workers: 2).analyze(text)
        var counters = [UInt32](repeating: 0, count: EngramMemory.counterCount(hasher.layout))
        let q = try counters.withUnsafeMutableBufferPointer { buffer in
            var memory = EngramMemory(hasher: hasher, counters: buffer, documents: 0, totals: [0, 0, 0])
            try memory.apply(analysis.engram, sign: 1)
            return Asker.prepare(question, memory: memory)
        }
        let document = TextDocument(index: analysis.index, text: Array(text.utf8))
        return (try Asker.ask(q, documents: [document], k: k, dense: dense, parameters: parameters), analysis.index)
    }

    static let needle = "The secret launch code of the Zarquon project is 48213."

    @Test(arguments: [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0])
    func needleIsTheFirstAnswerAtAnyDepth(depth: Double) throws {
        let text = Corpus.inserting([(Self.needle, depth)], into: Corpus.prose(tokens: 200_000, seed: UInt64(depth * 1000) + 1))
        let (result, _) = try Self.ask(text, "What is the launch code of the Zarquon project?")
        let first = try #require(result.answers.first)
        #expect(first.text == Self.needle)
        #expect(String(decoding: Array(text.utf8)[first.start..<first.end], as: UTF8.self) == Self.needle)
        #expect(!result.stats.dense)
        #expect(result.stats.exact)
        #expect(result.stats.blocksSelected < result.stats.blocksScanned / 20)
        #expect(first.context.contains(Self.needle))
    }

    /// Many near-identical needles: the one the question names wins, and the
    /// sparse answers are dense's, at the default top k (not every block).
    @Test(arguments: [UInt64(21), 22, 23])
    func oneOfManySimilarNeedlesSparseEqualsDense(seed: UInt64) throws {
        var rng = SeededGenerator(state: seed)
        let cities = ["Thimphu", "Asmara", "Tbilisi", "Windhoek", "Reykjavik", "Ulaanbaatar", "Montevideo", "Ljubljana", "Nouakchott", "Vientiane"]
        let needles = cities.map { ("One of the special magic numbers for \($0) is: \(Int.random(in: 1_000_000...9_999_999, using: &rng)).", Double.random(in: 0...1, using: &rng)) }
        let text = Corpus.inserting(needles, into: Corpus.prose(tokens: 120_000, seed: seed))
        for (needle, _) in needles.prefix(4) {
            let city = cities.first { needle.contains($0) } ?? ""
            let question = "What is the special magic number for \(city)?"
            let (sparse, index) = try Self.ask(text, question, k: 5)
            let (dense, _) = try Self.ask(text, question, k: 5, dense: true)
            #expect(sparse.answers.first?.text == needle)
            #expect(sparse.answers.map(\.start) == dense.answers.map(\.start))
            #expect(sparse.answers.map(\.similarity) == dense.answers.map(\.similarity))
            #expect(sparse.stats.exact)
            #expect(sparse.stats.blocksSelected < index.blockCount / 10)
        }
    }

    @Test func aVariableChainIsFoundByItsValue() throws {
        let chain = ["VAR VKSHXT = 71951.", "VAR QPRZ = VAR VKSHXT.", "VAR VQZ = VAR QPRZ."]
        let text = Corpus.inserting(zip(chain, [0.2, 0.5, 0.8]).map { ($0, $1) }, into: Corpus.prose(tokens: 100_000, seed: 31))
        let (result, _) = try Self.ask(text, "Which variable is assigned the value 71951?")
        #expect(result.answers.first?.text == chain[0])
        #expect(result.stats.exact)
    }

    /// Units, blocks, signatures and counts are the same for any number of
    /// workers, on text with paragraph breaks and on text with none.
    @Test(arguments: [true, false])
    func analysisDoesNotDependOnTheNumberOfWorkers(paragraphs: Bool) throws {
        let text = Corpus.prose(tokens: 150_000, seed: 5, paragraphs: paragraphs)
        let one = try DocumentAnalyzer(workers: 1).analyze(text)
        for workers in [2, 3, 8] {
            let many = try DocumentAnalyzer(workers: workers).analyze(text)
            #expect(many.index == one.index, "\(workers) workers")
            #expect(many.index.digest == one.index.digest)
            #expect(many.engram == one.engram)
        }
    }

    /// A golden digest of one fixed text's index: a change to tokens,
    /// sentences, blocks, kinds, priors or signatures shows here.
    @Test func goldenIndexDigest() throws {
        let text = Corpus.prose(tokens: 30_000, seed: 2026)
        let analysis = try DocumentAnalyzer(workers: 3).analyze(text)
        #expect(analysis.index.blockCount > 400)
        #expect(String(analysis.index.digest, radix: 16) == "9ce840e4bfe44329")
    }

    /// A sentence longer than a block is cut into pieces for the indexer, but
    /// to attention and to the reader it is one sentence: its pieces count
    /// each other's terms in full, it is answered and cited whole and once,
    /// and no passage starts or ends inside it. A run of more than
    /// `maxSentencePieces` pieces (no sentence end in sight) stands piece by piece.
    @Test func aLongSentenceIsAnsweredWhole() throws {
        let clause = "and the undersigned consultant shall keep every record of the work in good order for the client"
        let long = "This agreement is made between Acme Widgets GmbH of Berlin, " + Array(repeating: clause, count: 5).joined(separator: ", ")
            + ", and both are the parties to it."
        let run = Array(repeating: "row of figures 12 34 56 without any stop", count: 60).joined(separator: " ") + "."
        let text = Corpus.inserting([(long, 0.5), (run, 0.2)], into: Corpus.prose(tokens: 20_000, seed: 17))
        let bytes = Array(text.utf8)
        let (sparse, index) = try Self.ask(text, "Is Acme Widgets one of the parties?", k: 5)
        let (dense, _) = try Self.ask(text, "Is Acme Widgets one of the parties?", k: 5, dense: true)

        let found = bytes.firstRange(of: Array(long.utf8)), runFound = bytes.firstRange(of: Array(run.utf8))
        let start = try #require(found).lowerBound, end = start + long.utf8.count
        let pieces = (0..<index.unitCount).filter { Int(index.unitStarts[$0]) >= start && Int(index.unitEnds[$0]) <= end }
        #expect(pieces.count >= 2)
        #expect(pieces.map { index.unitContinues[$0] } == [0] + Array(repeating: 1, count: pieces.count - 1))
        for u in pieces { #expect(index.sentence(of: u) == pieces[0]...pieces[pieces.count - 1]) }

        let first = try #require(sparse.answers.first)
        #expect(first.text == long)
        #expect(String(decoding: bytes[first.start..<first.end], as: UTF8.self) == long)
        #expect(sparse.answers.filter { $0.start < end && $0.end > start }.count == 1)
        #expect(sparse.answers.map(\.start) == dense.answers.map(\.start))
        for answer in sparse.answers {
            #expect(!(start < answer.contextStart && answer.contextStart < end) && !(start < answer.contextEnd && answer.contextEnd < end))
        }

        let runStart = try #require(runFound).lowerBound
        let runPieces = (0..<index.unitCount).filter { Int(index.unitStarts[$0]) >= runStart && Int(index.unitEnds[$0]) <= runStart + run.utf8.count }
        #expect(runPieces.count > DocumentIndex.maxSentencePieces)
        for u in runPieces { #expect(index.sentence(of: u) == u...u) }
    }

    /// No heading or list item starts inside a sentence: the last piece of a
    /// cut sentence, alone on its line without a full stop, is prose.
    @Test func aPieceOfACutSentenceIsProse() throws {
        let text = Array(repeating: "word", count: 64).joined(separator: " ") + "\nShort Title Line\n\nNext paragraph starts here."
        let index = try DocumentAnalyzer(workers: 1).analyze(text).index
        #expect(index.unitContinues.prefix(2) == [0, 1])
        #expect(index.kind(1) == .prose)
        #expect(index.sentence(of: 1) == 0...1)
    }

    /// A "who" question lifts the sentences holding one of the document's
    /// names as its name expert found them, not its capitalised defined terms.
    @Test func aWhoQuestionLiftsTheDocumentsNamesNotItsDefinedTerms() throws {
        let text = """
            SERVICES AGREEMENT

            This Agreement is made on 1 March 2024 (the "Effective Date") between Harbour Holdings Ltd of Leeds ("Client") and Idris Maalouf of York ("Consultant"), together the "Parties".

            The Parties shall meet once a month to review the work done under this Agreement.

            IN WITNESS WHEREOF, the Parties have signed this Agreement on the Effective Date.
            """
        let analysis = try DocumentAnalyzer(workers: 1).analyze(text)
        let names = analysis.extractions.filter { $0.kind == .names }.map(\.value)
        #expect(names.contains { $0.hasPrefix("Harbour Holdings Ltd") } && !names.contains("Effective Date"), "\(names)")
        let document = TextDocument(index: analysis.index, text: Array(text.utf8), names: DocumentNames(names))
        let result = try Asker.ask(Asker.prepare("Who are the parties to this agreement?", memory: nil), documents: [document], k: 3)
        #expect(result.answers.first?.text.contains("between Harbour Holdings Ltd of Leeds") == true, "\(result.answers.map(\.text))")
        // Word for word, whatever the punctuation and line breaks between the words; a possessive holds the name.
        func holds(_ names: DocumentNames, _ text: String) -> Bool {
            var tokenizer = Tokenizer()
            let tokens = tokenizer.tokenize(text)
            return Array(text.utf8).withUnsafeBufferPointer { names.occur(in: tokens, bytes: $0) }
        }
        let foundation = DocumentNames(["Free Software Foundation, Inc."])
        #expect(holds(foundation, "Copyright the Free Software\nFoundation Inc. 2007"))
        #expect(holds(foundation, "the Free Software Foundation Inc’s licence"))
        #expect(!holds(foundation, "the Free Software movement"))
        // A one-word name that is a function word matches nothing.
        #expect(!holds(DocumentNames(["WHO", "US"]), "Who told us?") && holds(DocumentNames(["UNESCO"]), "Ask Unesco."))
    }

    @Test func aContentsLineLosesToTheSentenceWithTheSameWords() throws {
        let contents = "RECOVERING DATA FROM DAMAGED FILES . . . . . . . . . . . . . . . . . . . . . . . . 12"
        let sentence = "Recovering data from damaged files is what bzip2recover does."
        let text = Corpus.inserting([(contents + ".", 0.05), (sentence, 0.6)], into: Corpus.prose(tokens: 5_000, seed: 11))
        let (result, _) = try Self.ask(text, "How are data recovered from damaged files?")
        #expect(result.answers.first?.text == sentence)
    }

    /// Attention prefers the sentence that holds one more of the question's
    /// terms ("used"), its words scattered; the one that holds the others as
    /// the question puts them together ("release year", "year of the
    /// version") is reordered above it. Sparse is dense's.
    /// A symbol asked with the prefix its library gives it, which the manual
    /// leaves out, is looked for as the parts the document holds.
    @Test func anIdentifierTheDocumentHoldsOnlyInPartIsAskedByItsParts() throws {
        let sentence = "The function memeql_sec (const void *a, const void *b, size_t n) compares the n bytes at a and b without side channels."
        let text = Corpus.inserting([(sentence, 0.6)], into: Corpus.prose(tokens: 20_000, seed: 7))
        let (result, _) = try Self.ask(text, "What does nettle_memeql_sec do?")
        #expect(result.answers.first?.text == sentence)
        // Without the corpus memory nothing says which parts are there: the word is looked for whole, and found nowhere.
        let whole = try Asker.ask(Asker.prepare("What does nettle_memeql_sec do?", memory: nil),
                                  documents: [TextDocument(index: try DocumentAnalyzer(workers: 1).analyze(text).index, text: Array(text.utf8))], k: 3)
        #expect(whole.answers.isEmpty)
        // A word the corpus holds is asked as it is, even with underscores in it.
        #expect(try Self.ask(text, "What does memeql_sec do?").0.answers.first?.text == sentence)
        // A word of thousands of parts is asked whole, at once (its runs would number millions).
        let (many, _) = try Self.ask(text, "What is " + String(repeating: "memeql_", count: 5_000) + "sec?")
        #expect(many.answers.isEmpty)
    }

    @Test func theSentenceHoldingTheQuestionsPhrasesComesFirst() throws {
        let scattered = "You find the year in the notes, and the release of each version used there."
        let phrased = "You find the release year of a version in the notes over there."
        let text = Corpus.inserting([(scattered, 0.3), (phrased, 0.7)], into: Corpus.prose(tokens: 20_000, seed: 14))
        let question = "How do I find the release year of the version I used?"
        let (sparse, _) = try Self.ask(text, question, k: 5)
        let (dense, _) = try Self.ask(text, question, k: 5, dense: true)
        #expect(sparse.answers.first?.text == phrased)
        let other = try #require(sparse.answers.first { $0.text == scattered })
        let first = try #require(sparse.answers.first)
        #expect(first.similarity > other.similarity)
        // The score shown is the one that ranks: attention's share with the reordered scores in place.
        #expect(first.score > other.score)
        #expect(zip(sparse.answers, sparse.answers.dropFirst()).allSatisfy { $0.score >= $1.score })
        #expect(sparse.answers.reduce(0) { $0 + $1.score } <= 1 + 1e-9)
        #expect(sparse.answers.map(\.start) == dense.answers.map(\.start))
        #expect(sparse.stats.exact)
    }

    @Test func phrasesAreAdjacentContentWords() {
        func pairs(_ text: String) -> Set<UInt64> {
            var tokenizer = Tokenizer()
            let tokens = tokenizer.tokenize(text)
            var copy = text
            return copy.withUTF8 { PhraseMatch.pairs(tokens, bytes: $0) }
        }
        #expect(pairs("What is the exit status of a pipeline?").count == 2)
        #expect(pairs("the exit status of a pipeline").isSuperset(of: pairs("exit status")))
        #expect(pairs("exit the status") == pairs("Exit status"))
        #expect(pairs("status exit").isDisjoint(with: pairs("exit status")))
        #expect(pairs("What is it?").isEmpty && pairs("pipeline").isEmpty)
    }

    /// A heading that matches best hands its score to the prose under it; the passage starts at the heading.
    @Test func aMatchingHeadingAnswersWithItsSectionsProse() throws {
        let section = "\n\nDetach Objects from the Search Path\n\nIt removes a database or environment from the list of places searched, so that its names are no longer visible.\n\n"
        let text = Corpus.prose(tokens: 20_000, seed: 12) + section + Corpus.prose(tokens: 20_000, seed: 13)
        let (result, index) = try Self.ask(text, "How do I detach objects from the search path?")
        let first = try #require(result.answers.first)
        #expect(first.text.hasPrefix("It removes a database"))
        #expect(first.context.hasPrefix("Detach Objects from the Search Path"))
        let heading = try #require(index.unitStarts.firstIndex { String(decoding: Array(text.utf8)[Int($0)...].prefix(6), as: UTF8.self) == "Detach" })
        #expect(index.kind(heading) == .heading)
    }

    @Test func unitKinds() throws {
        let text = """
            Memory Management

            Each block holds up to 900k of data. It is compressed on its own.
            5.1.2. 网络接口名称

            systemd 使用"enp0s25" 之类的 "可预测网络接口名称"。
            • short item
            • A full sentence in a list item still counts as prose.
            Contents . . . . . . . . . . . . . 17
            """
        let index = try DocumentAnalyzer(workers: 1).analyze(text).index
        let bytes = Array(text.utf8)
        let kinds = (0..<index.unitCount).map { (String(decoding: bytes[Int(index.unitStarts[$0])..<Int(index.unitEnds[$0])], as: UTF8.self), index.kind($0)) }
        #expect(kinds.map(\.1) == [.heading, .prose, .prose, .heading, .prose, .listItem, .prose, .contents], "\(kinds)")
    }

    /// One ask over several documents, each analysed with its own parameters.
    @Test func oneAskOverDocumentsWithTheirOwnParameters() throws {
        var small = EngineParameters()
        small.signatureRows = 256
        small.blockTokens = 32
        let texts = [Corpus.prose(tokens: 20_000, seed: 41),
                     Corpus.inserting([(Self.needle, 0.4)], into: Corpus.prose(tokens: 20_000, seed: 42)),
                     Corpus.prose(tokens: 20_000, seed: 43)]
        let documents = try texts.enumerated().map { n, text in
            TextDocument(index: try DocumentAnalyzer(parameters: n == 1 ? small : EngineParameters(), workers: 2).analyze(text).index, text: Array(text.utf8))
        }
        let q = Asker.prepare("What is the launch code of the Zarquon project?", memory: nil)
        let sparse = try Asker.ask(q, documents: documents, k: 3)
        let dense = try Asker.ask(q, documents: documents, k: 3, dense: true)
        #expect(sparse.answers.first?.document == 1)
        #expect(sparse.answers.first?.text == Self.needle)
        #expect(sparse.answers.map(\.start) == dense.answers.map(\.start))
        #expect(sparse.stats.blocksScanned == documents.reduce(0) { $0 + $1.index.blockCount })
        // Asking one document is the same function with one document.
        let alone = try Asker.ask(q, documents: [documents[1]], k: 1)
        #expect(alone.answers.first?.start == sparse.answers.first?.start)
    }

    /// Over many documents, the only sentence holding the question's rarest
    /// term sits in a contents line (dot leaders: prior 0.25); the other
    /// documents' needles hold every other term in prose. The unit-kind
    /// prior must not hand the first answer to a sentence lacking the term
    /// ("Windhoek") that only one candidate holds; sparse is still dense's.
    @Test(arguments: [UInt64(61), 62, 63])
    func theOnlySentenceWithTheRarestTermIsNotOutrankedForItsKind(seed: UInt64) throws {
        var rng = SeededGenerator(state: seed)
        let cities = ["Thimphu", "Asmara", "Tbilisi", "Reykjavik", "Ulaanbaatar", "Montevideo", "Ljubljana", "Nouakchott"]
        var texts = cities.map { city in
            Corpus.inserting([("One of the special magic numbers for \(city) is: \(Int.random(in: 1_000_000...9_999_999, using: &rng)).",
                               Double.random(in: 0...1, using: &rng))], into: Corpus.prose(tokens: 6_000, seed: seed &+ UInt64(city.count)))
        }
        let line = "Contents . . . . . . . . One of the special magic numbers for Windhoek is: 7509093. . . . . . . . 12"
        texts.insert(line + "\n" + Corpus.prose(tokens: 6_000, seed: seed &* 7), at: Int(seed % 5))
        let hasher = NgramHasher()
        let analyses = try texts.map { try DocumentAnalyzer(hasher: hasher, workers: 2).analyze($0) }
        let documents = zip(analyses, texts).map { TextDocument(index: $0.index, text: Array($1.utf8)) }
        var counters = [UInt32](repeating: 0, count: EngramMemory.counterCount(hasher.layout))
        let q = try counters.withUnsafeMutableBufferPointer { buffer in
            var memory = EngramMemory(hasher: hasher, counters: buffer, documents: 0, totals: [0, 0, 0])
            for analysis in analyses { try memory.apply(analysis.engram, sign: 1) }
            return Asker.prepare("What is the special magic number for Windhoek?", memory: memory)
        }
        let sparse = try Asker.ask(q, documents: documents, k: 3)
        let dense = try Asker.ask(q, documents: documents, k: 3, dense: true)
        let first = try #require(sparse.answers.first)
        #expect(first.document == Int(seed % 5) && first.text.contains("Windhoek is: 7509093"), "\(sparse.answers.map(\.text))")
        #expect(sparse.answers.map(\.start) == dense.answers.map(\.start))
        #expect(sparse.answers.map(\.similarity) == dense.answers.map(\.similarity))
        #expect(sparse.stats.exact)
    }

    @Test func anEmptyQuestionAnswersNothing() throws {
        let (result, _) = try Self.ask(Corpus.prose(tokens: 2_000, seed: 3), "?!")
        #expect(result.answers.isEmpty)
    }

    @Test func anIndexArchiveRoundTripsAndEveryTruncationIsRefused() throws {
        let text = Corpus.prose(tokens: 3_000, seed: 8)
        let index = try DocumentAnalyzer(workers: 1).analyze(text).index
        let archive = IndexArchive.encode(index)
        #expect(try IndexArchive.decodeIndex(archive, textBytes: text.utf8.count) == index)
        for length in stride(from: 0, to: archive.count, by: max(1, archive.count / 200)) {
            #expect(throws: EngineError.self) { try IndexArchive.decodeIndex(Array(archive[0..<length]), textBytes: text.utf8.count) }
        }
        // A text shorter than the units: refused, not read past.
        #expect(throws: EngineError.self) { try IndexArchive.decodeIndex(archive, textBytes: text.utf8.count / 2) }
        // Arrays that decode but do not hold together: refused before anything indexes with them.
        for damage in [{ (i: inout DocumentIndex) in i.sectionStarts = [-5] }, { $0.sectionStarts = [Int32.max] },
                       { $0.blockFirstUnit[1] = -1 }, { $0.unitKinds[0] = 9 }, { $0.unitContinues[0] = 1 }, { $0.unitContinues[1] = 2 },
                       { $0.signatures.words.removeLast() }] as [(inout DocumentIndex) -> Void] {
            var bad = index
            damage(&bad)
            #expect(throws: EngineError.self) { try IndexArchive.decodeIndex(IndexArchive.encode(bad), textBytes: text.utf8.count) }
        }
    }

    /// Offsets are Int32: a text past 2 GiB is a typed error before a byte is read.
    @Test func aTextPastTheOffsetsIsRefused() throws {
        let size = DocumentAnalyzer.maxTextBytes + 1
        let region = try #require(mmap(nil, size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0))
        defer { munmap(region, size) }
        let bytes = UnsafeBufferPointer(start: region.assumingMemoryBound(to: UInt8.self), count: size)
        do {
            _ = try DocumentAnalyzer(workers: 1).analyze(bytes: bytes)
            Issue.record("a text over 2 GiB was analysed")
        } catch {
            #expect(error.code == .tooLarge)
        }
    }
}
