import Foundation
import Testing

@testable import TomeEngine

/// Each extraction expert on the phrasings it must read and the near-misses
/// it must not; normalisation round trips; the router only skips work.
@Suite struct ExpertTests {
    func extract(_ text: String, _ kind: ExtractionKind, order: DateOrder? = nil, workers: Int = 1) throws -> [Extraction] {
        var p = ExtractionParameters()
        p.dateOrder = order
        return try DocumentAnalyzer(workers: workers, extraction: p).analyze(text).extractions.filter { $0.kind == kind }
    }

    func values(_ text: String, _ kind: ExtractionKind, order: DateOrder? = nil) throws -> [String] {
        try extract(text, kind, order: order).map(\.value)
    }

    /// The text an extraction cites.
    func cited(_ e: Extraction, in text: String) -> String {
        String(decoding: Array(text.utf8)[Int(e.start)..<Int(e.end)], as: UTF8.self)
    }

    // MARK: Dates

    @Test func datesInEveryFormTheExpertReads() throws {
        let text = """
            The lease was signed on 12 March 2024 and renewed on March 12, 2025. Payment is due on the 3rd of April, 2024.
            Der Vertrag beginnt am 15. März 2024 und endet im Dezember 2025. Le contrat prend effet le 1er janvier 2020.
            El contrato vence el 15 de mayo de 2023. The audit covers 2024-03-12 and 2024/04/01; the invoice of 31/12/2023
            and the notice of 12.03.2024 were filed in Sept. 2024.
            """
        #expect(try values(text, .dates) == ["2024-03-12", "2025-03-12", "2024-04-03", "2024-03-15", "2025-12", "2020-01-01",
                                             "2023-05-15", "2024-03-12", "2024-04-01", "2023-12-31", "2024-03-12", "2024-09"])
        // Every citation slices to the date as written.
        let found = try extract(text, .dates)
        #expect(found.map { cited($0, in: text) }.prefix(3) == ["12 March 2024", "March 12, 2025", "3rd of April, 2024"])
    }

    @Test func nearMissesAreNotDates() throws {
        let text = """
            Install version 1.0.6 or read section 3.2.10 of the guide; the host at 192.168.1.1 answers. Call 555-123-4567.
            May said that the May release of 2024 was late. You may 2 times retry. Theresa May spoke in 2019.
            The conference runs 12–14 May 2025, from 1 to 3 June 2025, du 1er au 31 juillet 2015, and July 1 to 31, 2015. In 2019 we grew. Table 12-03-2024 is wrong? See ISBN 978-3-16-148410-0.
            """
        #expect(try values(text, .dates) == [])
    }

    @Test func ambiguousDayAndMonthAreResolvedAndSaySo() throws {
        // Nothing settles it: day first, and the date says it was assumed.
        let alone = try extract("The meeting is on 03/04/2025 at noon.", .dates)
        #expect(alone.map(\.value) == ["2025-04-03"])
        #expect(alone.first?.detail?.contains("assumed") == true)
        // The pipeline settles it.
        let piped = try extract("The meeting is on 03/04/2025 at noon.", .dates, order: .mdy)
        #expect(piped.map(\.value) == ["2025-03-04"])
        #expect(piped.first?.detail?.contains("pipeline") == true)
        // The document's unambiguous dates settle it.
        let told = try extract("Signed 12/31/2024. The meeting is on 03/04/2025 at noon.", .dates)
        #expect(told.map(\.value) == ["2024-12-31", "2025-03-04"])
        #expect(told[0].detail == nil)
        #expect(told[1].detail?.contains("document") == true)
        // Two whole dates with a dash between are two dates; a timestamp has a date; lower-case French and Spanish months.
        #expect(try values("Service period 01.05.14-31.05.14 billed, and 12.03.2024–14.03.2024 too.", .dates)
                == ["2014-05-01", "2014-05-31", "2024-03-12", "2024-03-14"])
        #expect(try values("Logged at 2024-03-12T10:00:00Z by the server.", .dates) == ["2024-03-12"])
        #expect(try values("Le 1er mai 2024 et le 15 nov. 2023; el 3 de feb de 2022. Spring ran March–April 2024.", .dates)
                == ["2024-05-01", "2023-11-15", "2022-02-03"])
        // Invalid days are not dates.
        #expect(try values("It was 31/02/2024 or 30 February 2024.", .dates) == [])
    }

    // MARK: Money

    @Test func amountsInBothConventionsWithScaleWords() throws {
        let text = """
            The fee is $1,234.56 per year, or EUR 1.234,56, or 1 234,56 € in France, or 1.234,56 EUR in Germany.
            The fund holds $2.5 million and €3bn; the grant was 12 euros, plus US$ 40 and CHF 1'250.50 and £7.
            """
        let found = try extract(text, .amounts)
        #expect(found.map(\.value) == ["1234.56", "1234.56", "1234.56", "1234.56", "2500000", "3000000000", "12", "40", "1250.5", "7"])
        // A lone mark before three digits: thousands, unless the number is 0.x, long already, or scaled.
        #expect(try values("It cost $1.125 billion, then $0.125, then ₹1,23,456 and RMB 5,000.", .amounts) == ["1125000000", "0.125", "123456", "5000"])
        #expect(try extract("RMB 5,000", .amounts).first?.currency == "CNY")
        // Marks that do not group thousands, and weekday ranges, are not amounts.
        #expect(try values("Open Mo.–Fr. 9–17 Uhr, on Fr. 12.03.2024, for $1.2.3 or $10-$20.", .amounts) == ["10", "20"])
        #expect(found.map { $0.currency ?? "-" } == ["USD", "EUR", "EUR", "EUR", "USD", "EUR", "EUR", "USD", "CHF", "GBP"])
        #expect(found.map { cited($0, in: text) }.prefix(3) == ["$1,234.56", "EUR 1.234,56", "1 234,56 €"])
        #expect(found[4].number == 2_500_000)
    }

    @Test func numbersWithoutACurrencyAreNotAmounts() throws {
        let text = "Call +1 555 123 4567 or read ISBN 978-3-16-148410-0. Invoice 2024-0042 lists 1,234 items weighing 5 pounds, 30 kr."
        #expect(try values(text, .amounts) == [])
    }

    // MARK: Percentages, e-mails, URLs, phones

    @Test func percentagesAndTheirNearMisses() throws {
        let text = "Rates rose 12.5% and then 12,5 % in Europe, 40 percent in May and 7 per cent later; growth was -3 %. Use printf(\"%d\") and 100%%."
        #expect(try values(text, .percentages) == ["12.5", "12.5", "40", "7", "-3", "100"])
        #expect(try values("It grew 1,000% and 1.000 % and 0.125 %.", .percentages) == ["1000", "1000", "0.125"])
    }

    @Test func emailsAndURLsWithoutTheirSentencesPunctuation() throws {
        let text = """
            Write to Jane.Doe@Example.org. or <ops@mail.example.co.uk>, not to user@localhost or @handle.
            See https://example.com/docs/a_(b), (https://example.org/x) and www.debian.org/doc. Old: ftp://ftp.gnu.org/gnu/.
            “http://quoted.example.com/”
            """
        #expect(try values(text, .emails) == ["jane.doe@example.org", "ops@mail.example.co.uk"])
        #expect(try values(text, .urls) == ["https://example.com/docs/a_(b)", "https://example.org/x", "www.debian.org/doc",
                                            "ftp://ftp.gnu.org/gnu/", "http://quoted.example.com/"])
    }

    /// A sentence longer than a block is cut into pieces; a value the cut
    /// falls in ("12 March" | "2024", "$2.5" | "million") is read whole, once,
    /// wherever the cut falls, routed or not, with any number of workers.
    @Test func aValueAtTheCutOfALongSentenceIsReadWhole() throws {
        for n in 48...64 {
            let words = (1...n).map { "word\($0)" }.joined(separator: " ")
            let text = "The parties, \(words), agreed on 12 March 2024 to pay $2.5 million to the seller."
            #expect(try values(text, .dates) == ["2024-03-12"], "\(n) words before it")
            #expect(try values(text, .amounts) == ["2500000"], "\(n) words before it")
            let analysis = try DocumentAnalyzer(workers: 1).analyze(text)
            var copy = text
            copy.withUTF8 { bytes in
                var tokenizer = Tokenizer()
                var tokens: [Token] = []
                tokenizer.tokenize(bytes, range: 0..<bytes.count, into: &tokens)
                let unrouted = ExtractionRun.extract(bytes: bytes, tokens: tokens, index: analysis.index, workers: 3, routed: false)
                #expect(unrouted.extractions == analysis.extractions, "\(n) words before it")
            }
        }
    }

    @Test func aURLEndsWhereItsHostCannotGoOnAndMayRunPastItsBlock() throws {
        // ping's output: a host is never written with a bracket.
        let ping = """
            PING www.debian.org(mirror-csail.debian.org (2603:400a::801f:3e)) 1452 data bytes. See http://[::1]:8080/a(b),
            http://localhost/v1/status and https://bücher.example/x.
            """
        #expect(try values(ping, .urls) == ["www.debian.org", "http://[::1]:8080/a(b)", "http://localhost/v1/status", "https://bücher.example/x"])
        // A sentence longer than a block is cut into pieces; a URL across the cut (wherever it falls) is still whole.
        for n in 48...62 {
            let words = (1...n).map { "word\($0)" }.joined(separator: " ")
            let long = "Fetch it with \(words) from https://example.org/releases/2024/archive.tar.gz today."
            #expect(try values(long, .urls) == ["https://example.org/releases/2024/archive.tar.gz"], "\(n) words before it")
        }
    }

    @Test func aURLAPDFBrokeAcrossLinesIsJoinedAgain() throws {
        let text = """
            [Bla93] Richard Black. Fast CRC32 in software. http://www.cl.cam.ac.
            uk/research/srg/bluebook/21/crc/crc.html, 1993. Bates et al. https://doi.org/
            10.18637/jss.v067.i01 and https://
            rpubs.com/bbolker/lme4trouble1 are cited.
            Indented: http://www.econ.uiuc.edu/
                ~roger/courses/476/L10.pdf and https://
                alioth.debian.org hosted it.
            Not joined: see https://example.org/.
            Then/else is a new line, as after https://example.org/docs
            and/or this one, and https://www.gnome.org/
            →\u{A0}https://kde.org/ are two.
            """
        #expect(try values(text, .urls) == ["http://www.cl.cam.ac.uk/research/srg/bluebook/21/crc/crc.html",
                                            "https://doi.org/10.18637/jss.v067.i01", "https://rpubs.com/bbolker/lme4trouble1",
                                            "http://www.econ.uiuc.edu/~roger/courses/476/L10.pdf", "https://alioth.debian.org",
                                            "https://example.org/", "https://example.org/docs", "https://www.gnome.org/", "https://kde.org/"])
        // The citation covers both lines: it slices the text to the URL as printed.
        let first = try #require(try extract(text, .urls).first)
        #expect(cited(first, in: text) == "http://www.cl.cam.ac.\nuk/research/srg/bluebook/21/crc/crc.html")
    }

    @Test func phonesNeedAMarkAndAreKeptApartFromAmountsAndDates() throws {
        let text = """
            Tel.: 030 1234567. Fax +49 (0)30 1234-568. Call (555) 123-4567 or 555.123.4568 today.
            The total is 1234567 units, ISBN 978-3-16-148410-0, dated 12-03-2024, and costs $1,234,567.
            Tel: 12;34;56;78 and Cell. 2019;178:1234-40, and +49.30.12 (0) 1.
            """
        // (No crash on a trunk "(0)" after full stops; semicolons make no phone number.)
        #expect(try values(text, .phones) == ["0301234567", "+49301234568", "5551234567", "5551234568", "+4930121"])
        #expect(try values(text, .amounts) == ["1234567"])
        #expect(try values(text, .dates) == ["2024-03-12"])
    }

    // MARK: Names, key phrases, definitions, outline

    @Test func namesAndAcronymsWithTheirExpansions() throws {
        let text = """
            The World Health Organization (WHO) published the report. However, the report was late. US officials agreed.
            John F. Kennedy met the Bank of America board. The WHO said the Bank of America board would meet again in March.
            TERMS AND CONDITIONS apply to the PDF and HTML files. Each reader of the report may write to us.
            Clusters may be independent (Cameron and Miller 2015), as Zeileis (2004) and Long et al. 2000 showed; see A. Zeileis and K. Hornik.
            Today Tome reads the files. Yesterday Anna Berg wrote the notes for Psychology Today.
            THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE DISCLAIMED.
            It uses Mark Adler's code and Kunihiko Sadakane’s tables; see Proceedings of the IEEE Data Compression Conference 1997.
            The phones were made by AT&T in the first years.
            """
        let names = try extract(text, .names)
        let byValue = Dictionary(uniqueKeysWithValues: names.map { ($0.value, $0) })
        #expect(byValue["World Health Organization"]?.detail == "WHO")
        #expect(byValue["WHO"]?.count == 2)
        #expect(byValue["WHO"]?.detail == "World Health Organization")
        #expect(byValue["Bank of America"]?.count == 2)
        #expect(byValue["John F. Kennedy"] != nil)
        // Cited authors, alone; initials kept.
        for cited in ["Cameron", "Miller", "Zeileis", "Long", "A. Zeileis", "K. Hornik"] { #expect(byValue[cited] != nil, "\(cited)") }
        // Not names: a sentence's common first word, an unexpanded acronym, capitals only, a month, two people as one.
        #expect(byValue["Anna Berg"] != nil)
        #expect(byValue["Psychology Today"] != nil)
        // A possessive is not part of the name; a title before a year is one name, not a citation of each word.
        #expect(byValue["Mark Adler"] != nil && byValue["Kunihiko Sadakane"] != nil && byValue["Proceedings of the IEEE Data Compression Conference"] != nil,
                "\(byValue.keys.sorted())")
        #expect(byValue["AT&T"] != nil, "a short name in capitals with a one-letter part is a name")
        let adler = try #require(byValue["Mark Adler"])
        #expect(cited(adler, in: text) == "Mark Adler")
        for miss in ["However", "US", "PDF", "HTML", "TERMS AND CONDITIONS", "March", "Each", "The World Health Organization", "Cameron and Miller",
                     "Today Tome", "Today", "Yesterday Anna Berg", "Mark Adler's", "Kunihiko Sadakane’s", "Data", "Compression", "Conference",
                     "THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE DISCLAIMED"] {
            #expect(byValue[miss] == nil, "\(miss)")
        }
        // First position: the first occurrence.
        let bank = try #require(byValue["Bank of America"])
        #expect(cited(bank, in: text) == "Bank of America")
        #expect(Int(bank.start) == Array(text.utf8).firstRange(of: Array("Bank of America".utf8))?.lowerBound)
    }

    @Test func keyPhrasesFoldCaseAndPlurals() throws {
        let sentence = "The sparse attention kernel reads the selected blocks. Sparse Attention Kernels are fast. A memory table holds counts."
        let text = Array(repeating: sentence, count: 3).joined(separator: " ")
        let phrases = try extract(text, .keyphrases)
        let kernel = try #require(phrases.first { $0.value == "sparse attention kernel" })
        #expect(kernel.count == 6)
        #expect(phrases.first?.value == "sparse attention kernel")
        #expect(!phrases.contains { $0.value.contains("the") })
    }

    @Test func definitionsAndTheirNearMisses() throws {
        let text = """
            “Licensor” shall mean the copyright owner. "Software" means the programs listed. Free software means software that respects freedom.
            A daemon is defined as a process without a terminal. This means that nothing changes. It means nothing.
            Unter Dämon versteht man einen Hintergrundprozess. On entend par logiciel, tout programme. The term "Work" refers to the book.
            This agreement is between the Python Software Foundation ("PSF") and you (hereinafter "Licensee"). He said (loudly) "no".
            """
        #expect(try values(text, .definitions) == ["Licensor", "Software", "Free software", "daemon", "Dämon", "logiciel", "Work", "PSF", "Licensee"])
        let first = try #require(try extract(text, .definitions).first)
        #expect(cited(first, in: text) == "“Licensor” shall mean the copyright owner.")
    }

    @Test func glossaryEntriesAreDefinitionsOnlyInAGlossary() throws {
        let text = "Glossary\n\nBlock: a group of sentences read together.\n\nUnit: one sentence.\n\nUsage\n\nNote: read the manual first."
        #expect(try values(text, .definitions) == ["Block", "Unit"])
    }

    @Test func outlineMergesExtractedEntriesWithNumberedHeadings() throws {
        let text = "Introduction\n\nThis guide explains the tool in plain words.\n\n2.1 Memory use\n\nThe tool needs little memory.\n\nRunning head\n\nMore text here.\n\nRunning head\n\nEnd."
        let outline = [OutlineItem(title: "Intro", level: 1, offset: 0)]
        let found = try DocumentAnalyzer(workers: 1).analyze(text, outline: outline).extractions.filter { $0.kind == .outline }
        #expect(found.map(\.value) == ["Intro", "2.1 Memory use"])
        #expect(found.map(\.number) == [1, 2])
        #expect(cited(found[1], in: text) == "2.1 Memory use")
        // Without an extracted outline, every heading detected joins but a table's figures and page numbers.
        let plain = "Setup\n\nThe tool installs in a minute.\n\n914704\n\n877703\n\niii\n\n7\n\nUsage\n\nRun it with one file."
        let detected = try DocumentAnalyzer(workers: 1).analyze(plain).extractions.filter { $0.kind == .outline }
        #expect(detected.map(\.value) == ["Setup", "Usage"], "\(detected.map(\.value))")
        for title in ["C", "R", "lid", "civil", "XIV", "Go"] { #expect(OutlineExpert.namesASection(title), "\(title)") }
        for title in ["iii", "xiv", "7", "914704", "", "—", "Next state = FINISHING; Return value = BZ_FINISH_OK", "Julian Seward, jseward@acm.org",
                      "int main(void) {", "Julian Seward, https://sourceware.org/bzip2/", "Copyright © 1996-2019 Julian Seward"] {
            #expect(!OutlineExpert.namesASection(title), "\(title)")
        }
        // A text that numbers its headings: after the first numbered one, only numbered headings join (bzip2's manual);
        // the title page's lines head no text of their own.
        let manual = "bzip2 and libbzip2\n\nA program and library for data compression\n\n1.1. Introduction\n\nIt compresses files.\n\n"
            + "2.1. How to use bzip2\n\nRun it on a file.\n\nSize\n\nThe table above lists sizes.\n\n3.2. Error handling\n\nEach call returns a code.\n\n"
            + "BZ_OK\n\nThe call succeeded.\n\n3.3. Low-level summary\n\nSix routines make up the interface."
        let numbered = try DocumentAnalyzer(workers: 1).analyze(manual).extractions.filter { $0.kind == .outline }
        #expect(numbered.map(\.value) == ["1.1. Introduction", "2.1. How to use bzip2", "3.2. Error handling", "3.3. Low-level summary"],
                "\(numbered.map(\.value))")
        // A letter's and a contract's lines: letterhead, addresses, salutation and closing head nothing;
        // numbered clause headings in capitals do, as does one before the first paragraph.
        let contract = """
            ACME WIDGETS LTD
            12 rue des Tanneurs
            69002 Lyon

            Dear Ms Vogt,

            We write to confirm the agreement set out below, which both parties signed today.

            1. DEFINITIONS

            "Services" means the support described in the schedule.

            2. FEES

            2.1 Monthly fee. The Client pays the fee each month.

            Invoice No: 2025-0931

            Yours sincerely,

            Jonas Albrecht
            """
        let clauses = try DocumentAnalyzer(workers: 1).analyze(contract).extractions.filter { $0.kind == .outline }
        #expect(clauses.map(\.value) == ["1. DEFINITIONS", "2. FEES"], "\(clauses.map(\.value))")
    }

    // MARK: The run

    @Test func routedEqualsUnroutedAndWorkersDoNotMatter() throws {
        for text in [Self.mixed, SummarizerTests.report, Corpus.prose(tokens: 20_000, seed: 7)] {
            let analysis = try DocumentAnalyzer(workers: 1).analyze(text)
            var copy = text
            try copy.withUTF8 { bytes in
                var tokenizer = Tokenizer()
                var tokens: [Token] = []
                tokenizer.tokenize(bytes, range: 0..<bytes.count, into: &tokens)
                let routed = ExtractionRun.extract(bytes: bytes, tokens: tokens, index: analysis.index, workers: 2, routed: true)
                let unrouted = ExtractionRun.extract(bytes: bytes, tokens: tokens, index: analysis.index, workers: 3, routed: false)
                #expect(routed.extractions == unrouted.extractions)
                #expect(routed.extractions == analysis.extractions)
                #expect(unrouted.work.skipped == 0)
                #expect(routed.work.calls == unrouted.work.calls)
                let many = try DocumentAnalyzer(workers: 8).analyze(text)
                #expect(many.extractions == analysis.extractions)
            }
        }
        // On a document with values in a few places, the router skips most calls.
        let analysis = try DocumentAnalyzer(workers: 1).analyze(Self.mixed)
        var copy = Self.mixed
        copy.withUTF8 { bytes in
            var tokenizer = Tokenizer()
            var tokens: [Token] = []
            tokenizer.tokenize(bytes, range: 0..<bytes.count, into: &tokens)
            let work = ExtractionRun.extract(bytes: bytes, tokens: tokens, index: analysis.index, workers: 1, routed: true).work
            #expect(work.skipped * 2 > work.calls)
        }
    }

    @Test func extractionsRoundTripThroughTheArchive() throws {
        let found = try DocumentAnalyzer(workers: 1).analyze(Self.mixed).extractions
        #expect(found.count > 20)
        let bytes = IndexArchive.encode(found)
        #expect(try IndexArchive.decodeExtractions(bytes, textBytes: Self.mixed.utf8.count) == found)
        // A range past the text, a cut record, an unknown kind: damaged, not a trap.
        #expect(throws: EngineError.self) { try IndexArchive.decodeExtractions(bytes, textBytes: 10) }
        #expect(throws: EngineError.self) { try IndexArchive.decodeExtractions(Array(bytes.dropLast(3)), textBytes: Self.mixed.utf8.count) }
        var unknown = IndexArchive.encode([Extraction(kind: .dates, start: 0, end: 1, value: "x")])
        unknown[16] = 200
        #expect(throws: EngineError.self) { try IndexArchive.decodeExtractions(unknown, textBytes: 10) }
        // Normalised values read back as what they are.
        for e in found where e.kind == .amounts || e.kind == .percentages {
            #expect(Double(e.value) == e.number)
        }
        for e in found where e.kind == .dates {
            let parts = e.value.split(separator: "-").compactMap { Int($0) }
            #expect(parts.count >= 2 && (1...12).contains(parts[1]))
        }
    }

    // MARK: The answer expert

    @Test func theRouterReadsTheKindOfValueAQuestionAsksFor() {
        let cases: [(String, AnswerKind?)] = [
            ("When does the lease end?", .date), ("What date was the invoice issued?", .date), ("Wann endet der Vertrag?", .date),
            ("How much memory does bunzip2 need?", .quantity), ("How many blocks are read?", .quantity),
            ("What is the total amount payable?", .quantity), ("Combien coûte le service ?", .quantity),
            ("Who is the tenant?", .name), ("Which company issued the invoice?", .name), ("Quién firmó el contrato?", .name),
            ("What does 'Licensor' mean?", .definition), ("Define a block.", .definition),
            ("How does bzip2 handle damaged files?", nil), ("What happens when the disk is full?", nil), ("Is the file kept?", nil),
        ]
        for (question, kind) in cases { #expect(AnswerExpert.kind(of: question) == kind, "\(question)") }
    }

    @Test func theAnswerExpertLiftsSentencesHoldingTheKindAndStaysExact() throws {
        var sentences: [String] = []
        for i in 0..<400 {
            sentences.append("The harbour committee discussed the berth schedule and the pilot rota at meeting \(i % 7 == 0 ? "seven" : "nine") of the season.")
        }
        sentences[123] = "The berth schedule takes effect on 14 March 2025, after the harbour committee approved it."
        sentences[300] = "The berth schedule was approved by the harbour committee after a long debate."
        let text = sentences.joined(separator: " ")
        let analysis = try DocumentAnalyzer(workers: 2).analyze(text)
        let document = TextDocument(index: analysis.index, text: Array(text.utf8))
        var question = Asker.prepare("When does the berth schedule take effect, as the harbour committee approved?", memory: nil)
        #expect(question.answerKind == .date)
        let lifted = try Asker.ask(question, documents: [document], k: 3)
        let dense = try Asker.ask(question, documents: [document], k: 3, dense: true)
        #expect(lifted.answers.first?.text.contains("14 March 2025") == true)
        #expect(lifted.answers.map(\.start) == dense.answers.map(\.start) && lifted.stats.exact)
        question.lift = 1
        let plain = try Asker.ask(question, documents: [document], k: 3)
        #expect(plain.answers.first.map { $0.similarity < lifted.answers[0].similarity } == true)
        // A question without an answer kind is asked exactly as before.
        let other = Asker.prepare("Which berth schedule did the harbour committee discuss?", memory: nil)
        #expect(other.answerKind == nil)
    }

    /// Prose with a few values among many sentences that hold none.
    static let mixed: String = {
        var parts: [String] = []
        for i in 0..<60 {
            parts.append("The river carried silt past the old mill, and the miller watched the water turn the wheel slowly through the afternoon number \(i).")
            if i % 15 == 0 {
                parts.append("On 12 March 2024 the Acme Water Company paid $1,250.00 to the miller, 15% more than in May 2023; write to miller@example.org or see https://example.org/mill.")
                parts.append("A millstone means a stone for grinding grain. Call +44 20 7946 0958 for a visit.")
            }
        }
        return parts.joined(separator: " ")
    }()
}
