import Foundation
import Testing

@testable import TomeEngine

/// The summarizer's invariants: probes spread over the topics, Sinkhorn's
/// marginals hold where the summarizer uses it, only prose is chosen, the
/// result is the same whatever the number of workers.
@Suite struct SummarizerTests {
    /// Three topics of eight sentences, a running foot repeated on every
    /// "page", headings, a contents line and a list.
    static let report = report(0)

    /// The report of year `k` (its figures differ, its running foot does not).
    static func report(_ k: Int) -> String {
        let harbour = (0..<8).map { "The harbour pilot \($0 + 2 + k * 8) guided the tanker past the breakwater and moored it at berth \($0 + 10) before the tide turned." }
        let bakery = (0..<8).map { "The village bakery baked \($0 + 30 + k * 8) loaves of rye bread each morning and sold the crusty rolls to the early workers." }
        let stars = (0..<8).map { "The observatory telescope tracked comet C/\($0 + 2024 + k * 8) across the night sky while astronomers measured its bright tail." }
        let foot = "Annual Report of the Coastal Town Council."
        var parts = ["Contents", "Harbour . . . . . . . . 2", "Introduction"]
        for (title, topic) in [("Harbour", harbour), ("Bakery", bakery), ("Observatory", stars)] {
            parts.append(title)
            parts.append(topic[0..<4].joined(separator: " "))
            parts.append(foot)
            parts.append(topic[4...].joined(separator: " "))
            parts.append("- lists\n- items\n- here")
        }
        return parts.joined(separator: "\n\n")
    }

    func analyse(_ text: String, workers: Int = 2, outline: [Int] = [], sentences: Int = 3, leadWeight: Double? = nil,
                 concludingWeight: Double? = nil, aimWeight: Double? = nil) throws -> Analysis {
        var summary = SummaryParameters()
        summary.sentences = sentences
        if let leadWeight { summary.leadWeight = leadWeight }
        if let concludingWeight { summary.concludingWeight = concludingWeight }
        if let aimWeight { summary.aimWeight = aimWeight }
        summary.sectionMinTokens = 60
        return try DocumentAnalyzer(workers: workers, summary: summary).analyze(text, outline: outline.map { OutlineItem(title: "", level: 1, offset: $0) })
    }

    func text(of unit: Int32, in analysis: Analysis, _ text: String) -> String {
        let bytes = Array(text.utf8)
        return String(decoding: bytes[Int(analysis.index.unitStarts[Int(unit)])..<Int(analysis.index.unitEnds[Int(unit)])], as: UTF8.self)
    }

    /// Without the lead weight (which, in a text this short, would send
    /// every pick to the first topic), each probe takes its own topic.
    @Test func probesCoverEveryTopicOnceAndOnlyProse() throws {
        let analysis = try analyse(Self.report, leadWeight: 0)
        let chosen = analysis.summary.units.map { text(of: $0, in: analysis, Self.report) }
        #expect(chosen.count == 3, "\(chosen)")
        for topic in ["harbour pilot", "bakery", "observatory"] {
            #expect(chosen.filter { $0.contains(topic) }.count == 1, "\(topic): \(chosen)")
        }
        #expect(analysis.summary.units == analysis.summary.units.sorted())
        for unit in analysis.summary.units {
            #expect(analysis.index.unitKinds[Int(unit)] == UnitKind.prose.rawValue)
        }
        #expect(!chosen.contains { $0.contains("Annual Report") })
    }

    /// The lead weight favours a topic's early statement over the same said later.
    @Test func theLeadWeightFavoursEarlierSentences() throws {
        let late = try analyse(Self.report, sentences: 1, leadWeight: 0).summary.units
        let early = try analyse(Self.report, sentences: 1, leadWeight: 16).summary.units
        #expect(early.count == 1 && late.count == 1)
        #expect(early[0] <= late[0])
        #expect(early[0] < Int32(try analyse(Self.report).index.unitCount / 3), "the first topic's")
    }

    /// A paper: an introduction, a long body on its methods, and a
    /// conclusion that says again what the paper is about.
    static func paper(heading: String) -> String {
        let intro = ["The harbour survey measured how the tides move the sand along the eastern breakwater of the port.",
                     "Divers and a sonar boat took part in the survey over three winters.",
                     "Its data are published with this paper."]
        let places = ["north quay", "fish market", "ferry ramp", "old lighthouse", "dry dock", "coal pier"]
        let tools = ["sonar gauge", "grab sampler", "current meter", "tide pole", "echo sounder"]
        let body = (0..<30).map { i in
            "In week \(i + 1) the crew took the \(tools[i % tools.count]) to the \(places[i % places.count]) and logged its readings at slack water."
        }
        let closing = "The harbour survey shows that the tides move the sand along the eastern breakwater and silt the port each winter."
        return (["Introduction", intro.joined(separator: " "), "2 Methods", body.joined(separator: " "), heading, closing,
                 "The crew thanks the harbour master for the boat.", "References", "Roe, J. Tides of the eastern breakwater. Harbour Press."])
            .joined(separator: "\n\n")
    }

    /// The lead weight starts again at a concluding section's heading: its
    /// first sentence, which restates the paper, is taken over the
    /// introduction's third sentence; not without the restart, nor under a
    /// heading that is not a conclusion's.
    @Test func aConcludingSectionRestatesThePaper() throws {
        let closing = "The harbour survey shows that"
        func chosen(_ text: String, weight: Double) throws -> [String] {
            let analysis = try analyse(text, sentences: 3, concludingWeight: weight)
            return analysis.summary.units.map { self.text(of: $0, in: analysis, text) }
        }
        let w2 = try chosen(Self.paper(heading: "5 Conclusions"), weight: 2)
        #expect(w2.contains { $0.hasPrefix(closing) }, "\(w2)")
        #expect(try !chosen(Self.paper(heading: "5 Conclusions"), weight: 0).contains { $0.hasPrefix(closing) })
        #expect(try !chosen(Self.paper(heading: "5 Further methods"), weight: 2).contains { $0.hasPrefix(closing) })

        let text = Self.paper(heading: "IV. Summary and outlook")
        let analysis = try analyse(text)
        let bytes = Array(text.utf8)
        let starts = bytes.withUnsafeBufferPointer { Summarizer.concludingSections(analysis.index, bytes: $0, lines: Summarizer.NonProseLines($0)) }
        let heading = try #require(text.range(of: "IV. Summary")).lowerBound.utf16Offset(in: text)
        #expect(starts.map { Int(analysis.index.unitStarts[Int($0.lowerBound)]) } == [heading], "the unit the heading's line starts with")
        let end = try #require(starts.first).upperBound
        #expect(self.text(of: end, in: analysis, text) == "References", "the section ends at the next heading")

        // A heading repeated on every page (a running head), and words that only wrap onto a line of their own, start none.
        let running = (0..<3).map { _ in Self.paper(heading: "Discussion") }.joined(separator: "\n\n")
            + "\n\nThe survey boat went out again in the spring and the results of that\nDiscussion of the results\nfollow below."
        let again = try analyse(running)
        #expect(Array(running.utf8).withUnsafeBufferPointer {
            Summarizer.concludingSections(again.index, bytes: $0, lines: Summarizer.NonProseLines($0))
        }.isEmpty)
    }

    @Test func whatHeadsAConcludingSection() {
        for line in ["5 Conclusions", "5. Conclusion", "IV. Discussion", "Summary and outlook", "Concluding remarks",
                     "  7.2 Final remarks\r", "Zusammenfassung", "Conclusiones", "Résumé", "CONCLUSIÓN", "Conclusions and future work",
                     "Discussion of the results", "\u{0C}6 Conclusions"] {
            #expect(Summarizer.isConcludingHeading(line), "\(line)")
        }
        for line in ["Conclusions are drawn in Section 5.", "5 Conclusions 23", "conclusions", "Summary:", "Final model",
                     "The discussion of the results in the last three sections of this paper", "Introduction", "",
                     "Summary of options", "Summary statistics", "Discussion forum"] {
            #expect(!Summarizer.isConcludingHeading(line), "\(line)")
        }
    }

    /// A sentence in the body that says what the paper does is taken, over
    /// the introduction's first sentence, when its weight is raised; not
    /// with the weight off (1). The lead weight is held at 16 (the default
    /// moves with tuning): the aim weight is the only thing that changes.
    @Test func aSentenceThatStatesThePapersAimIsFavoured() throws {
        let aim = "In this paper we chart the readings that the crew logged at slack water, week by week, at each quay of the port."
        let text = Self.paper(heading: "5 Further methods").replacingOccurrences(of: "In week 3 the crew", with: aim + " In week 3 the crew")
        func chosen(_ weight: Double) throws -> [String] {
            let analysis = try analyse(text, sentences: 3, leadWeight: 16, aimWeight: weight)
            return analysis.summary.units.map { self.text(of: $0, in: analysis, text) }
        }
        let (on, off) = (try chosen(8), try chosen(1))
        #expect(on.contains(aim), "\(on)")
        #expect(!off.contains(aim), "\(off)")
    }

    @Test func whatStatesADocumentsAim() {
        for sentence in ["In this paper we propose a test of fit.", "In the present note, the tides are charted.",
                         "This vignette describes the package's main functions.", "This package provides tools for survey data.",
                         "We present an R package for harbour surveys.", "Here we briefly illustrate its use.",
                         "The aim of this study is to chart the tides.", "Dans cet article, nous décrivons la marée.",
                         "In diesem Beitrag wird die Methode vorgestellt.", "En este trabajo presentamos un paquete.",
                         "This study examines the tides.", "“In this paper” we chart the tides.", "The goal of the present note is a chart."] {
            #expect(Summarizer.statesItsAim(sentence.utf8), "\(sentence)")
        }
        for sentence in ["The paper was printed in 1912.", "In this case the tide turns early.", "This package is large.",
                         "The crew presented the results to the harbour master.", "We went to the north quay at noon.",
                         "Western presentations were held in this room.", "", "The purpose of the weights argument is to scale the fit.",
                         "We show that the estimator is consistent.", "We consider two cases.", "We define x as the tide height."] {
            #expect(!Summarizer.statesItsAim(sentence.utf8), "\(sentence)")
        }
    }

    /// A contract mostly about its services: its probes pick service
    /// sentences; a pipeline that names parties, money and law gets those
    /// sentences first, and a question the contract does not answer adds none.
    @Test func aPipelinesQuestionsAreCoveredFirst() throws {
        let services = [
            "The Provider maintains the mail servers of the Leeds office and patches their operating systems every month.",
            "Backups of every shared drive are copied nightly to a second data centre in Manchester.",
            "A help desk answers staff calls on weekdays between eight in the morning and six in the evening.",
            "New laptops are imaged, encrypted and delivered to each starter before their first working day.",
            "Printers and scanners on all three floors are serviced by an engineer once a quarter.",
            "Firewall rules are reviewed with the office manager whenever a new supplier needs remote access.",
            "Software licences are tracked in a register that the Provider keeps up to date for audits.",
            "Old disks are wiped to the recognised standard and their destruction certified in writing.",
            "The wireless network in the meeting rooms is monitored for outages around the clock.",
            "Security patches rated critical are installed within forty-eight hours of their release.",
            "Staff receive a short phishing awareness course when they join and again every spring.",
            "Monthly reports list tickets raised, tickets closed and the time each one took to resolve.",
        ]
        let contract = (["SERVICES AGREEMENT",
                         "This Agreement is made on 1 March 2025 by and between Harbourline IT Services Ltd (\"Provider\") and Pemberton & Rowe LLP (\"Client\")."]
            + services[0..<6] + ["The Client pays the Provider a fee of £1,200.00 a month, payable within 30 days of each invoice."]
            + services[6...] + ["This Agreement is governed by the laws of England and Wales."]).joined(separator: "\n\n")
        func summary(covers: [String], sentences: Int = 3) throws -> [String] {
            var p = SummaryParameters()
            (p.sentences, p.covers) = (sentences, covers)
            let analysis = try DocumentAnalyzer(workers: 1, summary: p).analyze(contract)
            return analysis.summary.units.map { text(of: $0, in: analysis, contract) }
        }
        let plain = try summary(covers: [])
        #expect(!plain.contains { $0.contains("£1,200.00") } || !plain.contains { $0.contains("governed by") }, "\(plain)")
        let questions = ["Who are the parties to this agreement?", "What fee does the Client pay?", "Which law governs the agreement?"]
        let covered = try summary(covers: questions)
        #expect(covered.count == 3, "\(covered)")
        #expect(covered.contains { $0.contains("by and between Harbourline") } && covered.contains { $0.contains("£1,200.00") }
                && covered.contains { $0.contains("governed by the laws") }, "\(covered)")
        // More questions than sentences: every sure answer is kept; a question the contract does not answer adds nothing.
        let more = try summary(covers: questions + ["Which insurer covers the equipment?"], sentences: 2)
        #expect(more.count == 3 && Set(more) == Set(covered), "\(more)")
        // Room left: the probes fill it, in document order, without repeating a covered sentence.
        let five = try summary(covers: questions, sentences: 5)
        #expect(five.count == 5 && Set(covered).isSubset(of: Set(five)) && Set(five).count == 5, "\(five)")
    }

    @Test func theSameSummaryWhateverTheWorkers() throws {
        let long = (0..<40).map(Self.report).joined(separator: "\n\n")
        let one = try analyse(long, workers: 1, sentences: 5)
        for workers in [2, 3, 8] {
            #expect(try analyse(long, workers: workers, sentences: 5).summary == one.summary)
        }
        // Forty years' reports that differ in their figures only: one sentence a topic, the rest copies.
        #expect(one.summary.units.count == 3)
    }

    /// The summarizer's input for an analysis of `text` (each unit 20 tokens long).
    func input(_ analysis: Analysis, _ text: String) -> Summarizer.Input {
        var terms: [UInt64] = [], ends: [Int] = []
        var tokenizer = Tokenizer()
        let bytes = Array(text.utf8)
        for u in 0..<analysis.index.unitCount {
            let unit = String(decoding: bytes[Int(analysis.index.unitStarts[u])..<Int(analysis.index.unitEnds[u])], as: UTF8.self)
            var copy = unit
            copy.withUTF8 { buffer in
                for token in tokenizer.tokenize(unit) where token.isContent { terms.append(TermKey.term(token, in: buffer)) }
            }
            ends.append(terms.count)
        }
        return Summarizer.Input(index: analysis.index, terms: terms, termEnds: ends,
                                unitTokens: (0..<analysis.index.unitCount).map { _ in 20 })
    }

    /// Two sentences that differ by one rare word are one sentence to a
    /// reader, though their cosine (the rare word weighing most) is under
    /// 0.9: the summary takes one of them.
    @Test func aSentenceThatRepeatsAnotherButForOneWordIsACopy() throws {
        let text = """
            Move the cursor to task-gnome-desktop and press Enter.

            Move the cursor to task-gnome-desktop and press the minus key.

            The installer then downloads the packages of the desktop from the mirror.

            Reboot the machine once the packages are installed and log in.
            """
        let analysis = try analyse(text, sentences: 4)
        let space = VectorSpace(input(analysis, text), dims: SummaryParameters().dims)
        #expect(space.dot(unit: 0, unit: 1) < Summarizer.nearCopy, "the cosine alone would keep both")
        #expect(Summarizer.copies(0, 1, input: input(analysis, text), space: space))
        #expect(!Summarizer.copies(2, 3, input: input(analysis, text), space: space))
        let chosen = analysis.summary.units
        #expect(chosen.count == 3 && !(chosen.contains(0) && chosen.contains(1)), "\(chosen)")
    }

    /// Sinkhorn's marginals hold inside the summarizer: every probe spends
    /// one unit of mass, every sentence read is shared evenly.
    @Test func sinkhornBalancesTheProbesInsideTheSummarizer() throws {
        let analysis = try analyse(Self.report)
        let bytes = Array(Self.report.utf8)
        let input = input(analysis, Self.report)
        let parameters = SummaryParameters()
        let choice = bytes.withUnsafeBufferPointer { buffer in
            Summarizer.choose(in: 0..<Int32(analysis.index.unitCount), sentences: 3, parameters: parameters, input: input,
                              space: VectorSpace(input, dims: parameters.dims),
                              candidates: Summarizer.candidateFlags(input, bytes: buffer, parameters: parameters, lines: Summarizer.NonProseLines(buffer)),
                              bytes: buffer)
        }
        let balance = try #require(choice.balance)
        let (m, n) = (choice.probes, choice.read.count)
        #expect(m == 3 && n >= 3)
        #expect(balance.error < 1e-4, "\(balance.error)")
        for i in 0..<m {
            #expect(abs((0..<n).reduce(0) { $0 + balance.matrix[i * n + $1] } - 1) < 1e-4)
        }
        for j in 0..<n {
            #expect(abs((0..<m).reduce(0) { $0 + balance.matrix[$1 * n + j] } - Double(m) / Double(n)) < 1e-4)
        }
        #expect(balance.matrix.allSatisfy { $0 >= 0 })
    }

    /// Each unit's text (trimmed) and whether it is a candidate.
    func verdicts(_ text: String) throws -> [String: Bool] {
        let analysis = try analyse(text)
        let bytes = Array(text.utf8)
        let flags = bytes.withUnsafeBufferPointer { Summarizer.candidateFlags(input(analysis, text), bytes: $0, parameters: SummaryParameters(),
                                                                                   lines: Summarizer.NonProseLines($0)) }
        var verdicts: [String: Bool] = [:]
        for u in 0..<analysis.index.unitCount {
            verdicts[self.text(of: Int32(u), in: analysis, text).trimmingCharacters(in: .whitespacesAndNewlines)] = flags[u]
        }
        return verdicts
    }

    /// A copyright and licence notice at the front of a manual is not
    /// summary material, nor is the sentence inside it that names no
    /// licence; the manual's own sentences about licences are, and so is a
    /// licence's text when the licence is the whole document.
    @Test func copyrightAndLicenceNoticesAreNotCandidates() throws {
        let notice = [
            "Copyright © 2019 Jane Roe",
            "This program, its library and all documentation are copyright © 2019 Jane Roe. All rights reserved.",
            "Redistribution and use in source and binary forms, with or without modification, are permitted provided that the following conditions are met.",
            "The origin of this software must not be misrepresented in any product that uses it.",
            "If you use this software in a product, an acknowledgment in the product documentation would be appreciated.",
            "THIS SOFTWARE IS PROVIDED BY THE AUTHOR \"AS IS\" AND WITHOUT ANY WARRANTY OF ANY KIND.",
        ].joined(separator: "\n")
        let manual = [
            "1. Introduction",
            "The harbour tool compresses tide tables into small files that load quickly on board.",
            "Every package must ship a verbatim copy of its copyright notice and licence in the file named copyright.",
            "The tool reads tables from standard input when no file names are given on the command line.",
        ].joined(separator: "\n") + "\n" + (1...6).map { "Table \($0) lists the tides of a harbour for one month, as the tool prints them." }.joined(separator: "\n")
        let verdicts = try verdicts("Harbour Tool Manual\n" + notice + "\n" + manual)
        #expect(verdicts["If you use this software in a product, an acknowledgment in the product documentation would be appreciated."] == false,
                "\(verdicts)")
        #expect(verdicts["The origin of this software must not be misrepresented in any product that uses it."] == false)
        #expect(verdicts["The harbour tool compresses tide tables into small files that load quickly on board."] == true, "\(verdicts)")
        #expect(verdicts["Every package must ship a verbatim copy of its copyright notice and licence in the file named copyright."] == true)

        let licence = (0..<3).map { "This is clause \($0 + 1) of the licence. You may redistribute the harbour tool under the terms of the GNU General Public License without any warranty." }
            .joined(separator: "\n\n")
        #expect(try self.verdicts(licence).values.contains(true), "a licence alone keeps its sentences")
    }

    /// A numbered heading on a page's first line (after the form feed that
    /// starts the page in extracted PDF text) run into the sentence under
    /// it is no candidate, as it is on any other line (bzip2's section
    /// summary had opened with "1. Introduction / bzip2 compresses files …").
    @Test func aHeadingAtAPagesTopRunIntoASentenceIsNoCandidate() throws {
        let page1 = (1...4).map { "The harbour tool reads tide table \($0) from standard input when no file is named." }.joined(separator: "\n")
        let run = "1. Introduction\ntidepack compresses tide tables into small files that load quickly on board."
        let text = page1 + "\n\u{0C}" + run + "\nIt reads them back at sea, where it needs no network at all."
        let verdicts = try verdicts(text)
        #expect(verdicts[run] == false, "\(verdicts)")
        #expect(verdicts["It reads them back at sea, where it needs no network at all."] == true, "\(verdicts)")
    }

    /// Extracted PDF text runs a sentence over a page break (its running
    /// head in the middle), a command at a prompt or a row of figures into
    /// the sentence around it: none is a candidate, though each starts with
    /// a capital and ends with a stop. The same sentence whole is one; so
    /// are a sentence that starts late on a wrapped line and a block quote.
    @Test func sentencesRunIntoPageFurnitureOrConsoleLinesAreNotCandidates() throws {
        for newline in ["\n", "\r\n"] {
            let head = "Kernel Methods in R: An Introduction"
            let topics = ["inner products of observations", "support vectors of the margin", "the cost of a misclassification", "the width of the Gaussian kernel"]
            let pages = topics.enumerated().map { page, topic in "\(page + 1)\n\(head)\nThis page is about \(topic) and how the package computes it.\n" }
            let text = (pages.joined(separator: "\n")
                + "\nSupport vector machines separate the two classes with the widest\n7\n\(head)\nmargin that the training observations allow.\n"
                + "\nThe package ships with twelve kernel functions\n> kernels(all = TRUE)\nwhich the next section compares on three data sets.\n"
                + "\nThe first coefficients of the radial kernel, in the rows\n[1,]\n.\n"
                + "\nSupport vector machines separate the two classes with the widest\nmargin that the training observations allow.\n"
                + "\nThe figures are in Table 2. In the\nUnited States, most ports close at noon on Sundays.\n"
                + "\n> The harbour closes at noon on Sundays and on every public holiday.\n"
            )
                .replacingOccurrences(of: "\n", with: newline)
            let verdicts = try verdicts(text)
            func verdict(_ prefix: String, _ suffix: String) -> Bool? {
                let matching = verdicts.filter { $0.key.hasPrefix(prefix) && $0.key.hasSuffix(suffix) }
                return matching.count == 1 ? matching.first?.value : nil
            }
            #expect(verdict("Support vector machines", "widest\(newline)margin that the training observations allow.") == true, "\(verdicts)")
            #expect(verdict("\(head)", "margin that the training observations allow.") == false, "\(verdicts)")
            #expect(verdict("The package ships", "three data sets.") == false, "\(verdicts)")
            #expect(verdict("The first coefficients", "[1,]\(newline).") == false, "\(verdicts)")
            #expect(Summarizer.readsAsASentence("The first coefficients of the radial kernel, in the rows\n[1,]\n."), "the line rule refuses it")
            #expect(verdict("This page is about the cost", "computes it.") == true, "\(verdicts)")
            #expect(verdict("In the", "on Sundays.") == true, "\(verdicts)")
            #expect(verdict("> The harbour closes", "public holiday.") == true, "\(verdicts)")
            #expect(Summarizer.readsAsASentence("\(head)\nmargin that the training observations allow."), "the line rule, not the sentence rule, refuses it")
        }
    }

    /// The line table on the edges: no text, no newline, the last line, a range inside one long line.
    @Test func nonProseLinesOnTheEdges() {
        func crosses(_ text: String, _ range: Range<Int>) -> Bool {
            let bytes = Array(text.utf8)
            return bytes.withUnsafeBufferPointer { Summarizer.NonProseLines($0).crosses(range) }
        }
        #expect(!crosses("", 0..<0))
        #expect(!crosses("One long line of prose and nothing else, in two sentences. Here is the second.", 60..<80))
        #expect(crosses("A sentence.\n12\nAnother.", 0..<24))
        #expect(crosses("The text.\n> fit <- lm(y ~ x)", 10..<29))
        #expect(!crosses("The text.\n$ make is all it takes.", 10..<34), "a prompt before a sentence with its stop")
        #expect(crosses("Running head here\nx\nRunning head here\ny\nRunning head here", 40..<57))
        #expect(!crosses("Running head here\nx\nRunning head here\ny", 0..<17), "twice is not furniture")
    }

    @Test func sectionsOfMeaningfulSizeGetTheirOwnSummary() throws {
        let offsets = ["Harbour", "Bakery", "Observatory"].compactMap { title in
            Self.report.range(of: "\n\n" + title + "\n\n").map { Self.report.utf8.distance(from: Self.report.startIndex, to: $0.lowerBound) + 2 }
        }
        let analysis = try analyse(Self.report, outline: offsets)
        #expect(analysis.summary.sections.count == 3)
        for (section, topic) in zip(analysis.summary.sections, ["harbour pilot", "bakery", "observatory"]) {
            #expect(text(of: section.heading, in: analysis, Self.report).hasPrefix(["harbour pilot": "Harbour", "bakery": "Bakery", "observatory": "Observatory"][topic] ?? "?"))
            #expect(!section.units.isEmpty && section.units.count <= 3)
            for unit in section.units { #expect(text(of: unit, in: analysis, Self.report).contains(topic)) }
        }
    }

    /// Without an outline, sections start at the detected headings, but not
    /// at a running head repeated on every page.
    @Test func aRunningHeadStartsNoSection() throws {
        let head = "Jane Roe and John Doe"
        let topics = [("Harbour", "The harbour pilot guided the tanker past the breakwater and moored it at berth"),
                      ("Bakery", "The village bakery baked loaves of rye bread each morning for the workers at dawn, batch")]
        let text = topics.map { title, sentence in
            ([title] + (0..<3).map { page in
                (0..<12).map { "\(sentence) \($0 + 12 * page)." }.joined(separator: " ") + "\n\(head)"
            }).joined(separator: "\n")
        }.joined(separator: "\n")
        // Nor does a page number in Roman numerals on a line of its own.
        let firstFoot = try #require(text.range(of: head + "\n"))
        let pageNumbered = text.replacingCharacters(in: firstFoot, with: head + "\n\niii\n\u{0C}")
        let numbered = try analyse(pageNumbered)
        #expect(numbered.summary.sections.map { self.text(of: $0.heading, in: numbered, pageNumbered) } == ["Harbour", "Bakery"])
        let analysis = try analyse(text)
        let headings = analysis.summary.sections.map { self.text(of: $0.heading, in: analysis, text) }
        #expect(headings == ["Harbour", "Bakery"], "\(headings)")
    }

    @Test func whatReadsAsASentence() {
        for good in ["The tide turns at noon.", "“Quoted,” she said, “it ends here.”", "42 ships left the port today.", "Über alles gilt das.",
                     "港口今天有四十二艘船离开了。",
                     "In this paper we presented an object oriented framework\nfor robust multivariate analysis.",
                     "The Rcpp package presented in this paper\nSimplifies nothing, it turns out.", "2 ships left at 10 in the morning.",
                     "$5 million was raised by the harbour fund.", "¿Qué barcos salieron del puerto hoy?", "„Das Schiff“, sagte sie, „ist fort.“",
                     "« Bonjour », dit-il.", "Il a dit : « Je viens. »", "§ 5 gilt entsprechend.", "—¿Vienes? —preguntó.",
                     "**Note:** The harbour closes at noon.", "20 European countries signed the treaty.", "3 Stunden später kam der Zug an."] {
            #expect(Summarizer.readsAsASentence(good), "\(good)")
        }
        for bad in ["the tide turns at noon.", "The tide turns at noon", "12 34 56 78 90 12 34.", "if (x == 1) { y = 2; } else { z = 3; }.",
                    "Smith et al. showed this in 2019.", "See https://example.org for more.", "NO WARRANTY IS GIVEN FOR THIS SOFTWARE.",
                    "2.5. MEMORY MANAGEMENT bzip2 compresses large files.", "See Section 6.2.1 [Lists], page 30.", "[12] A. Author, Title.",
                    "> summary(fit) gives the estimates.", "• The first item of a list.", "– A dash before a sentence.",
                    "2. The model-based recursive partitioning algorithm\nThe basic idea is to grow a tree of models.",
                    "3.1 Data The survey asked every household twice.", "Conclusions\nIn this paper we presented a framework.",
                    "Concluding Remarks\nThe package is on CRAN.", "2 Mixture models\nThe basic idea is to mix two models.",
                    "Conclusions\r\nIn this paper we presented a framework."] {
            #expect(!Summarizer.readsAsASentence(bad), "\(bad)")
        }
        // A short first line is a heading only when the unit starts the line; late on a wrapped line it is the sentence's start.
        #expect(!Summarizer.readsAsASentence("In the\nUnited States, most ports close at noon.", atLineStart: true))
        #expect(Summarizer.readsAsASentence("In the\nUnited States, most ports close at noon.", atLineStart: false))
        #expect(Summarizer.readsAsASentence("2 Mixture models\nThe basic idea is to mix two models.", atLineStart: false))
    }

    @Test func aSummaryRoundTripsAndDamageIsRefused() throws {
        let analysis = try analyse(Self.report, sentences: 3)
        let bytes = IndexArchive.encode(analysis.summary)
        #expect(try IndexArchive.decodeSummary(bytes, unitCount: analysis.index.unitCount) == analysis.summary)
        for cut in [0, 5, 8, bytes.count - 1] where cut < bytes.count {
            #expect(throws: EngineError.self) { try IndexArchive.decodeSummary(Array(bytes.prefix(cut)), unitCount: analysis.index.unitCount) }
        }
        #expect(throws: EngineError.self) { try IndexArchive.decodeSummary(bytes, unitCount: 1) }
    }
}
