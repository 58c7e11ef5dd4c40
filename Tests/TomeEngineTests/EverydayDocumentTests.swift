import Foundation
import Testing

@testable import TomeEngine

/// What everyday documents need read right: sentences that run past a
/// German ordinal or a letter's abbreviation, a table row's cells and the
/// amount each holds, an invoice's totals, text shown as its author wrote
/// it, and an answer that says when it is not sure.
@Suite struct EverydayDocumentTests {
    func sentences(_ text: String) -> [String] { SentenceTests().sentences(text) }

    func amounts(_ text: String) throws -> [Extraction] {
        try DocumentAnalyzer(workers: 1).analyze(text).extractions.filter { $0.kind == .amounts }
    }

    // MARK: Sentences

    @Test func germanOrdinalsAndDatesDoNotEndASentence() {
        #expect(sentences("Der Mietvertrag wurde am 1. Oktober 2019 geschlossen. Ich kündige fristgerecht zum 31. August 2025.") ==
            ["Der Mietvertrag wurde am 1. Oktober 2019 geschlossen.", "Ich kündige fristgerecht zum 31. August 2025."])
        #expect(sentences("Die 2. Mahnung kam im 3. Stock an. Danach nichts.") == ["Die 2. Mahnung kam im 3. Stock an.", "Danach nichts."])
        // A number that ends an English sentence still ends it.
        #expect(sentences("The meeting ended at 5. Then we left.") == ["The meeting ended at 5.", "Then we left."])
    }

    @Test func lettersAbbreviationsDoNotEndASentence() {
        #expect(sentences("Bill to: Meridian Books Ltd, attn. Fiona Hale. Paid in full.") ==
            ["Bill to: Meridian Books Ltd, attn. Fiona Hale.", "Paid in full."])
        #expect(sentences("Die Kosten, z. B. für Strom, inkl. MwSt. sind gestiegen. Bitte zahlen Sie.") ==
            ["Die Kosten, z. B. für Strom, inkl. MwSt. sind gestiegen.", "Bitte zahlen Sie."])
        #expect(sentences("Veuillez contacter Mme. Leroy au service. Merci.") == ["Veuillez contacter Mme. Leroy au service.", "Merci."])
    }

    @Test func eachTableRowIsASentence() {
        let text = "Items delivered\nQty\tItem\tPrice\n320\tPaperback\t£4.50\n12\tBinding\t£2.00\nThank you for your order."
        #expect(sentences(text) == ["Items delivered", "Qty\tItem\tPrice", "320\tPaperback\t£4.50", "12\tBinding\t£2.00", "Thank you for your order."])
    }

    @Test func eachFieldOfAFormIsASentenceAndNoHeading() throws {
        let form = "Net amount: 4.054,00 €\nVAT 19%: 770,26 €\nTotal amount: 4.824,26 €\nDue date: 26.09.2025."
        #expect(sentences(form) == ["Net amount: 4.054,00 €", "VAT 19%: 770,26 €", "Total amount: 4.824,26 €", "Due date: 26.09.2025."])
        // A hard-wrapped sentence that holds a colon and a figure goes on.
        #expect(sentences("Note: version 2 of the\nlibrary is old.") == ["Note: version 2 of the\nlibrary is old."])
        // Fields are prose; a label with no figure stays a heading, and so does a sentence's short lead-in.
        let index = try DocumentAnalyzer(workers: 1).analyze("Total amount: 4.824,26 €\n\nPayment details:\n\nThis Agreement is made on 1 March 2025 by and between:\n\nAcme Ltd.").index
        #expect((0..<index.unitCount).map { index.kind($0) } == [.prose, .heading, .prose, .prose])
    }

    // MARK: Amounts

    /// A symbol belongs to the number it touches; a tab parts cells.
    @Test func aQuantityBesideAPriceIsNotMoney() throws {
        let found = try amounts("Paperback 320 £4.50 £1,440.00 in all.")
        #expect(found.map(\.value) == ["4.5", "1440"])
        #expect(try amounts("320\tPaperback\t£4.50\t£1,440.00").map(\.value) == ["4.5", "1440"])
        // A number with its currency after it, as German and French write them, is still read.
        #expect(try amounts("Betrag 1.440,00 € fällig.").map(\.value) == ["1440"])
        // A code after a quantity and before a price, in one cell each, is the price's: not "3 EUR".
        #expect(try amounts("3\tEUR 45,00").map(\.value) == ["45"])
    }

    /// A narrow PDF column wraps a cell between its number and its currency.
    @Test func aCellWrappedBetweenNumberAndCurrencyIsStillMoney() throws {
        let text = "1\tSupply and fit a combi\nboiler\tGBP\n1,250.00\tGBP\n1,250.00\n"
            + "par personne\t18,50 €\t1 110,00\n€\t10 %\nAcompte versé\t-1 470,60\n€\nReste à payer\t3 431,40 €"
        let values = try amounts(text).map(\.value)
        #expect(values == ["1250", "1250", "18.5", "1110", "1470.6", "3431.4"], "\(values)")
        // Not across an ordinary line break: a sentence's number, then a currency starting the next line's words.
        #expect(try amounts("We ordered 12\nEUR prices apply to all items.").isEmpty)
        // A code between a whole number and one with cents is the second's.
        #expect(try amounts("Less deposit received 23 June 2025 GBP 500.00").map(\.value) == ["500"])
    }

    @Test func totalsSubtotalsTaxesAndDeductionsAreRecognised() throws {
        let invoice = """
            Qty\tItem\tAmount
            2\tDesign\t£5,420.00
            Subtotal\t£5,420.00
            VAT 20%\t£1,084.00
            Less deposit paid\t£500.00
            Total due\t£6,004.00
            """
        let found = try amounts(invoice)
        #expect(found.map(\.role) == [nil, .subtotal, .tax, .deduction, .total])
        let german = "Zwischensumme netto 1.440,00 €\nzzgl. 19 % MwSt. 273,60 €\nGesamtbetrag 1.713,60 €"
        #expect(try amounts(german).map(\.role) == [.subtotal, .tax, .total])
        let french = "Total HT 1 440,00 €\nTVA 20 % 288,00 €\nTotal TTC 1 728,00 €\nNet à payer : 1 728,00 €"
        #expect(try amounts(french).map(\.role) == [.subtotal, .tax, .total, .total])
        #expect(try amounts("小计 ¥1,200.00\n合计 ¥1,356.00").map(\.role) == [.subtotal, .total])
        // Only the last amount of a line takes the line's role: a line item that mentions a total is no total.
        #expect(try amounts("VAT 20% on £5,420.00: £1,084.00").map(\.role) == [nil, .tax])
        #expect(try amounts("The price is £12.00 per copy.").map(\.role) == [nil])
    }

    // MARK: Shown text

    @Test func shownTextJoinsBrokenWordsAndPartsCells() {
        #expect(ShownText.of(Array("It was con-\nsidered and rep-\n  resented.".utf8)) == "It was considered and represented.")
        // A hyphen before a capital or a digit, or one that stays on its line, is kept.
        #expect(ShownText.of(Array("Jean-\nPierre, ISO-\n8601, well-known".utf8)) == "Jean-Pierre, ISO-8601, well-known")
        // A hyphen after a space is a dash.
        #expect(ShownText.of(Array("run it -\nthen stop".utf8)) == "run it - then stop")
        #expect(ShownText.of(Array("  Qty\tItem\t\tPrice \n".utf8)) == "Qty | Item | Price")
        #expect(ShownText.of(Array("a    b\n\n\u{0C}c".utf8)) == "a b c")
    }

    // MARK: Sure answers

    static let letter = """
        Dear Ms Vogt,

        The tenancy of the flat at 14 Larch Close ends on 31 August 2025, as agreed in your letter.

        The deposit of £1,200.00 will be returned within ten days of the final inspection.

        The boiler was serviced in March and the garden was cleared by the caretaker.

        Yours sincerely,

        Jonas Albrecht
        """

    @Test func anAnswerHoldingTheQuestionSaysItIsSure() throws {
        let text = Corpus.inserting([(Self.letter, 0.5)], into: Corpus.prose(tokens: 5_000, seed: 31))
        let (sure, _) = try AskTests.ask(text, "When does the tenancy end?", k: 3)
        let first = try #require(sure.answers.first)
        #expect(first.text.contains("31 August 2025"))
        #expect(first.sure)
        // The rarest word asked ("pension") is nowhere: what comes back is a lead, not an answer.
        let (unsure, _) = try AskTests.ask(text, "When is the pension of the caretaker paid?", k: 3)
        #expect(unsure.answers.allSatisfy { !$0.sure })
    }

    @Test func aQuestionOfCommonWordsOnlyIsMarked() {
        #expect(Asker.prepare("the of and", memory: nil).onlyCommonWords)
        #expect(Asker.prepare("Was ist das?", memory: nil).onlyCommonWords)
        #expect(!Asker.prepare("When does the tenancy end?", memory: nil).onlyCommonWords)
    }

    @Test func anIdentifierQuestionLiftsTheLineWithTheCode() throws {
        #expect(AnswerExpert.kind(of: "What is the invoice number?") == .identifier)
        #expect(AnswerExpert.kind(of: "Wie lautet die Mitgliedsnummer?") == .identifier)
        #expect(AnswerExpert.kind(of: "Quel est le N° client ?") == .identifier)
        #expect(AnswerExpert.kind(of: "What is the claim reference?") == .identifier)
        #expect(AnswerExpert.kind(of: "What is the number of users?") == .quantity)
        #expect(AnswerExpert.kind(of: "How many numbers are there?") == .quantity)
        #expect(AnswerExpert.kind(of: "What is the order no.?") == .identifier)
        #expect(AnswerExpert.kind(of: "What happens if no payment is made?") != .identifier)
        // "no." in the question and in the form are one word, "number": the pair (invoice, number) is shared.
        for question in ["What is the invoice no.?", "What is the invoice number?", "What is the invoice #?"] {
            let asked = Asker.prepare(question, memory: nil)
            for line in ["Invoice no.: INV/WHP/2231", "Invoice # 2231", "Invoice number 2231"] {
                var tokenizer = Tokenizer()
                let tokens = tokenizer.tokenize(line)
                let held = Array(line.utf8).withUnsafeBufferPointer { PhraseMatch.pairs(tokens, bytes: $0) }
                #expect(!asked.pairs.isDisjoint(with: held), "\(question) / \(line)")
            }
        }
        var tokenizer = Tokenizer()
        let include = tokenizer.tokenize("#include stdio")
        #expect(Array("#include stdio".utf8).withUnsafeBufferPointer { PhraseMatch.pairs(include, bytes: $0) }
                == Array("include stdio".utf8).withUnsafeBufferPointer { PhraseMatch.pairs(tokenizer.tokenize("include stdio"), bytes: $0) })
        for code in ["INV/WHP/2231", "CLM-25-0031877", "40217", "LOC-0527-3B", "(FW-2023-558190)."] { #expect(AnswerExpert.isIdentifier(code[...]), "\(code)") }
        for other in ["07/05/2025", "2025", "1,250.00", "12", "26.09.2025", "word", "2025-03-15", "10-year", "3rd"] { #expect(!AnswerExpert.isIdentifier(other[...]), "\(other)") }
        let invoice = """
            Whitcombe Heating Ltd

            TAX INVOICE

            Invoice no.\tINV/WHP/2231
            Invoice date\t7 July 2025
            Invoice total\tGBP 2,060.40

            The new boiler is registered for a 10-year warranty. The old boiler has been removed.
            """
        let (result, _) = try AskTests.ask(invoice, "What is the invoice number?", k: 3)
        #expect(result.answers.first?.text.contains("INV/WHP/2231") == true, "\(result.answers.map(\.text))")
        // Sparse = dense amid enough prose that the indexer reads only some of its blocks (in the invoice alone it reads them all).
        let text = Corpus.inserting([(invoice, 0.5)], into: Corpus.prose(tokens: 5_000, seed: 34))
        let (sparse, index) = try AskTests.ask(text, "What is the invoice number?", k: 3)
        let (dense, _) = try AskTests.ask(text, "What is the invoice number?", k: 3, dense: true)
        #expect(sparse.stats.blocksSelected < index.blockCount)
        #expect(sparse.answers.map(\.start) == dense.answers.map(\.start))
    }

    // MARK: Outline and names of letters and invoices

    /// What stands before a document's first sentence (letterhead, "TAX INVOICE", a contract's "BETWEEN:")
    /// heads no section; the sentence's own heading and numbered clauses do.
    @Test func theTitleBlockTitlesNoSection() throws {
        let text = """
            Whitcombe Heating Ltd

            TAX INVOICE

            Invoice no.\tINV/WHP/2231
            Invoice total\tGBP 2,060.40

            Payment

            Please pay by bank transfer within fourteen days of the invoice date.

            1. WARRANTY

            The new boiler carries a warranty of ten years from the date of fitting.
            """
        let outline = try DocumentAnalyzer(workers: 1).analyze(text).extractions.filter { $0.kind == .outline }.map(\.value)
        #expect(outline == ["Payment", "1. WARRANTY"], "\(outline)")
    }

    /// A signature's lines (below a closing, below a titled name, or broken
    /// after a comma), an address block's lines and a priced line head no
    /// section though prose follows them; a heading whose lead-in ends in a
    /// colon ("In this Agreement:") does.
    @Test func signaturesAddressesAndPricesTitleNoSection() throws {
        let text = """
            Our ref: 2025/114

            We write about your account with us, which is now overdue.

            Shannonside Veterinary Clinic
            Attn. Dr. Ciaran Moloney
            Dock Road
            Limerick V94 K8W3

            The leaflets were translated from English into Polish last month.

            1 Sticky Toffee Pudding £7.50

            The pudding was served cold and we ask for a refund of its price.

            1. DEFINITIONS

            In this Agreement:

            "Premises" means the hall and its garden.

            Contact us

            Call us on any weekday between nine and five about your collection.

            Yours sincerely,
            Dr Owen Pilling
            Head of Environment and Waste Services

            Printed on recycled paper. Large print copies are available on request.

            Mit freundlichen Grüßen aus Trins
            Familie Gruber und das Gruberhof-Team

            Wir freuen uns auf Ihren nächsten Besuch im Frühjahr.

            Le maire,
            Christiane Vallier

            Le présent avis est affiché en mairie pendant quinze jours.
            """
        let outline = try DocumentAnalyzer(workers: 1).analyze(text).extractions.filter { $0.kind == .outline }.map(\.value)
        #expect(outline == ["1. DEFINITIONS", "Contact us"], "\(outline)")
    }

    /// What those rules must not take: a heading after prose that merely
    /// holds a closing's word ("As regards"), a numbered heading holding a
    /// currency's code ("5.2 PHP configuration"), and a PDF's chapter page
    /// whose lines all end in one line break ("Part II" / "Advanced Topics"
    /// / "Introduction" then its prose).
    @Test func headingsNearClosingsCodesAndChapterPagesStaySections() throws {
        let text = """
            As regards the deposit, the landlord returns it within thirty days of the lease's end.

            Termination

            Either party may end the lease with three months' notice in writing.

            5.2 PHP configuration

            The PHP module reads its settings from the file php.ini at start.

            Part II
            Advanced Topics
            Introduction
            This chapter explains the advanced options of the harbour tool.
            """
        let outline = try DocumentAnalyzer(workers: 1).analyze(text).extractions.filter { $0.kind == .outline }.map(\.value)
        #expect(outline == ["Termination", "5.2 PHP configuration", "Introduction"], "\(outline)")
        // "(1) DEFINITIONS" is a clause's heading; "(1)(f) GDPR" after a line break is a reference, not a list.
        let clause = try DocumentAnalyzer(workers: 1).analyze("(1) DEFINITIONS\n\nIn this Agreement the Services are the support of the schedule.").index
        #expect(clause.kind(0) == .heading)
        let reference = try DocumentAnalyzer(workers: 1).analyze("The data of the members is processed lawfully and fairly under Article 6\n(1)(f) GDPR for billing.").index
        #expect(reference.unitCount == 1)
    }

    @Test func streetsAndTableHeadsAreNoOne() throws {
        let text = """
            Librairie Les Mots Passants SARL, 18 cours Victor Hugo, 33000 Bordeaux.
            Translation Services Ltd, 4 Dominick Street Lower, Galway.
            Qty Description Unit price Amount
            Please contact Anna Berg of Rheinische Handelsbank AG about the transfer.
            """
        let names = Set(try DocumentAnalyzer(workers: 1).analyze(text).extractions.filter { $0.kind == .names }.map(\.value))
        for miss in ["Victor Hugo", "Dominick Street Lower", "Qty Description"] { #expect(!names.contains(miss), "\(names)") }
        for name in ["Anna Berg", "Rheinische Handelsbank AG"] { #expect(names.contains(name), "\(names)") }
    }

    @Test func labelsListLettersReferencesBuildingsAndTitlesAreNoOne() throws {
        let text = """
            Booking Reference: KME-W-2025-0412
            z. H. Frau Mag. Verena Kranzl
            A. The Association is responsible for the common areas, as Article VII says.
            Snow shall be piled where the map attached as Exhibit A. Snow Removal shows.
            The tenant wrote to Brightwell Appliances Ltd about the Upper Floor.
            Please return the Green Bin Permit with the Tax Invoice to Harlow Building Contractors Ltd.
            Signed for the contractor by Name: Dale Rasmussen Title: Owner on the day above.
            J. Smith signed the lease for the University of Notre Dame on Friday.
            Dear John Smith: the keys are at 14 Harbor View Dr
            """
        let names = Set(try DocumentAnalyzer(workers: 1).analyze(text).extractions.filter { $0.kind == .names }.map(\.value))
        for miss in ["Booking Reference", "Dale Rasmussen Title", "H. Frau Mag", "A. The Association", "The Association", "Association",
                     "Article VII", "Exhibit A. Snow Removal", "Upper Floor", "Green Bin Permit", "Tax Invoice", "Harbor View Dr", "Harbor View"] {
            #expect(!names.contains(miss), "\(names)")
        }
        for name in ["Dale Rasmussen", "Verena Kranzl", "Brightwell Appliances Ltd", "Harlow Building Contractors Ltd", "J. Smith",
                     "University of Notre Dame", "John Smith"] {
            #expect(names.contains(name), "\(names)")
        }
    }

    /// In a document of its own, a German question's "ist" and "der" are as rare as the word asked about; at
    /// a share of their weight, the field that answers comes first, not a sentence that holds them.
    @Test func grammaticalWordsCountForLessThanTheWordAsked() throws {
        let text = """
            Stadt Mühlbergen – Ordnungsamt

            Verwarnung mit Verwarnungsgeld

            Tatzeit:       02.08.2025, von 10:17 Uhr bis 11:05 Uhr
            Tatort:        Mühlbergen, Obermarkt, vor Hausnummer 7
            Kennzeichen:   L-TW 4812

            Sie parkten länger als erlaubt. Die Verwarnung ist gebührenfrei. Der Betrag ist bis zum 28.08.2025 zu zahlen.
            Kann die Person, die das Fahrzeug geführt hat, nicht ermittelt werden, können Ihnen die Kosten auferlegt werden.
            """
        let (result, _) = try AskTests.ask(text, "Was ist der Tatort?", k: 3)
        #expect(result.answers.first?.text.contains("Obermarkt") == true, "\(result.answers.map(\.text))")
        // The share, before the exponent; a word in capitals is an acronym ("US"), and "wann" asks, as "when" does.
        #expect(Asker.prepare("Was ist der Tatort?", memory: nil).salience == [0.3, 0.3, 1])
        #expect(Asker.prepare("Is the US office open?", memory: nil).salience == [0.3, 1, 1, 1])
        #expect(Asker.prepare("Wann endet der Vertrag?", memory: nil).terms.count == 3)
    }

    // MARK: Contracts

    @Test func thePartiesQuestionFindsThePartiesParagraph() throws {
        #expect(AnswerExpert.kind(of: "Who are the parties to this agreement?") == .parties)
        #expect(AnswerExpert.kind(of: "Wer sind die Vertragsparteien?") == .parties)
        #expect(AnswerExpert.kind(of: "Who signed the lease?") == .name)
        let contract = """
            SERVICES AGREEMENT

            This Agreement is made on 1 March 2025 by and between Harbourline IT Services Ltd ("Provider") and Pemberton & Rowe LLP ("Client").

            1. TERM

            Either of the parties to this agreement may end it with three months' notice to the other.

            2. FEES

            The Client pays the Provider £1,200.00 a month under this agreement.
            """
        let text = Corpus.inserting([(contract, 0.5)], into: Corpus.prose(tokens: 5_000, seed: 32))
        let (result, _) = try AskTests.ask(text, "Who are the parties to this agreement?", k: 3)
        let (dense, _) = try AskTests.ask(text, "Who are the parties to this agreement?", k: 3, dense: true)
        #expect(result.answers.map(\.start) == dense.answers.map(\.start))  // "between" is bounded as "parties" is: sparse = dense
        #expect(result.answers.first?.text.contains("by and between Harbourline IT Services Ltd") == true,
                "\(result.answers.map { ($0.text, $0.similarity) })")
    }

    /// An English pipeline question of a French contract: "ENTRE LES
    /// SOUSSIGNÉS :" is found beneath the many sentences naming "les
    /// Parties" (the parties are looked for among attention's best 30), and
    /// its passage runs through both parties' paragraphs, past the
    /// "ci-après …," and "ET" lines between them.
    @Test func aFrenchContractsPartiesAnswerAnEnglishQuestion() throws {
        let others = (1...14).map { "Article \($0). En cas de besoin, les Parties se consultent sur le point \($0) du présent contrat." }
        let contrat = """
            CONTRAT DE PRESTATION DE SERVICES

            ENTRE LES SOUSSIGNÉS :

            La société Net'Éclat Services, société à responsabilité limitée au capital de 20 000 €, immatriculée au Registre du commerce et des sociétés de Nantes sous le numéro 901 234 567, représentée par Mme Sophie Marchand, en sa qualité de gérante,

            ci-après « le Prestataire »,

            ET

            La société Cabinet Vasseur Expertise Comptable, société par actions simplifiée au capital de 50 000 €, immatriculée au Registre du commerce et des sociétés de Nantes sous le numéro 822 915 304, représentée par M. Olivier Vasseur,

            ci-après « le Client »,

            ci-après dénommées ensemble « les Parties ».

            IL A ÉTÉ CONVENU CE QUI SUIT :

            """ + others.joined(separator: "\n\n")
        let index = try DocumentAnalyzer(workers: 1).analyze(contrat).index
        let document = TextDocument(index: index, text: Array(contrat.utf8))
        let question = Asker.prepare("Who are the parties to this agreement?", memory: nil)
        let sparse = try Asker.ask(question, documents: [document], k: 3)
        let dense = try Asker.ask(question, documents: [document], k: 3, dense: true)
        #expect(sparse.answers.map(\.start) == dense.answers.map(\.start))
        let first = try #require(sparse.answers.first)
        #expect(first.text == "ENTRE LES SOUSSIGNÉS :" && first.context.contains("Net'Éclat Services")
                && first.context.contains("Cabinet Vasseur Expertise Comptable"), "\(first.text) / \(first.context)")
    }

    /// Parties numbered in brackets, each a paragraph of its own: "(2)" is a
    /// list's marker, so the short party's line is an item of the list, not
    /// a heading that would end the passage before it.
    @Test func thePassageOfPartiesNumberedInBracketsNamesThemAll() throws {
        let contract = """
            VENUE HIRE AGREEMENT

            THIS AGREEMENT is dated 3 February 2025 and is made by and between:

            (1) KINLOCH MILL EVENTS LTD, a company registered in Scotland with number SC641187, whose registered office is at The Old Mill, Kinloch Road (the "Venue"); and

            (2) FIONA BAIRD, of 27 Bellfield Terrace, Edinburgh EH15 2BL (the "Hirer"),

            together the "Parties".

            BACKGROUND

            The Venue operates the wedding venue known as Kinloch Mill, and the parties agree on the terms below.
            """
        let analysis = try DocumentAnalyzer(workers: 1).analyze(contract)
        let bytes = Array(contract.utf8)
        let line = try #require(contract.range(of: "(2) FIONA BAIRD")).lowerBound.utf16Offset(in: contract)
        let unit = try #require(analysis.index.unitStarts.firstIndex { Int($0) >= line })
        #expect(analysis.index.kind(unit) == .listItem, "\(String(decoding: bytes[Int(analysis.index.unitStarts[unit])..<Int(analysis.index.unitEnds[unit])], as: UTF8.self))")
        let result = try Asker.ask(Asker.prepare("Who are the parties to this agreement?", memory: nil),
                                   documents: [TextDocument(index: analysis.index, text: bytes)], k: 1)
        let first = try #require(result.answers.first)
        #expect(first.text.hasSuffix("by and between:") && first.context.contains("KINLOCH MILL EVENTS LTD") && first.context.contains("FIONA BAIRD"),
                "\(first.text) / \(first.context)")
    }
}

/// A date question's "start" and "end" in the words contracts use.
@Suite struct StartAndEndTests {
    static let letter = """
        OFFER OF EMPLOYMENT

        Dear Ms Alvarez, we are delighted to offer you the position of Roastery Supervisor.

        Your employment will begin on Monday, September 8, 2025, subject to a background check.

        To accept this offer, please sign and return a copy of this letter by August 22, 2025.

        Either party may end the employment relationship at any time; the probation period expires on March 8, 2026.
        """

    @Test func aStartIsABeginningAndAnEndAnExpiry() throws {
        let text = Corpus.inserting([(Self.letter, 0.5)], into: Corpus.prose(tokens: 5_000, seed: 34))
        for (question, fact) in [("When does the employment start?", "will begin on Monday, September 8, 2025"),
                                 ("When does the probation period end?", "expires on March 8, 2026")] {
            let (sparse, _) = try AskTests.ask(text, question, k: 3)
            let (dense, _) = try AskTests.ask(text, question, k: 3, dense: true)
            #expect(sparse.answers.map(\.start) == dense.answers.map(\.start), "the aliases are bounded as their words are: sparse = dense")
            #expect(sparse.answers.first?.text.contains(fact) == true, "\(question): \(sparse.answers.map(\.text))")
        }
        // Only for dates: "start" in another question is not "begin".
        #expect(Asker.prepare("How do I start the server?", memory: nil).aliases.isEmpty)
        #expect(!Asker.prepare("When does the lease start?", memory: nil).aliases.isEmpty)
        #expect(Asker.prepare("When does the change become effective?", memory: nil).aliases.isEmpty, "effective is no start of its own")
    }

    /// A pipeline asks in English whatever the contract's language: a French
    /// contract's start ("entre en vigueur") and end ("prend fin") answer it.
    @Test func anEnglishDateQuestionFindsAFrenchContractsStartAndEnd() throws {
        let contrat = """
            ARTICLE 2 – DURÉE

            Le présent contrat entre en vigueur le 1er mai 2025. Les locaux sont situés au deuxième étage de l'immeuble.

            ARTICLE 3 – RÉSILIATION

            Le contrat prend fin le 30 avril 2026, sauf reconduction tacite. Le Client règle les factures à trente jours.
            """
        let text = Corpus.inserting([(contrat, 0.5)], into: Corpus.prose(tokens: 5_000, seed: 35))
        for (question, fact) in [("When does the agreement start?", "entre en vigueur le 1er mai 2025"),
                                 ("When does the agreement end?", "prend fin le 30 avril 2026")] {
            let (sparse, _) = try AskTests.ask(text, question, k: 3)
            let (dense, _) = try AskTests.ask(text, question, k: 3, dense: true)
            #expect(sparse.answers.map(\.start) == dense.answers.map(\.start))
            #expect(sparse.answers.first?.text.contains(fact) == true, "\(question): \(sparse.answers.map(\.text))")
        }
    }
}

/// Chinese and Japanese dates and amounts.
@Suite struct CJKValueTests {
    func found(_ text: String, _ kind: ExtractionKind) throws -> [Extraction] {
        try DocumentAnalyzer(workers: 1).analyze(text).extractions.filter { $0.kind == kind }
    }

    @Test func ideographicDates() throws {
        let text = "通知于2025年3月15日发布，施工期为2025年4月。"
        #expect(try found(text, .dates).map(\.value) == ["2025-03-15", "2025-04"])
        #expect(try found("2025年13月1日", .dates).isEmpty)
    }

    @Test func yuanAndYen() throws {
        let chinese = "维修费用共计人民币486,000元，每户分摊¥1,200.00，另收2.50元。"
        let amounts = try found(chinese, .amounts)
        #expect(amounts.map(\.value) == ["486000", "1200", "2.5"])
        #expect(amounts.allSatisfy { $0.currency == "CNY" })
        // With kana the text is Japanese: ¥ is the yen.
        #expect(try found("料金は¥3,000です。", .amounts).map(\.currency) == ["JPY"])
        #expect(try found("料金は3,000円です。", .amounts).map(\.currency) == ["JPY"])
    }
}

/// A date an answer names by a term the document defines is resolved where the document defines it.
@Suite struct DefinedTermTests {
    static let contract = """
        SOFTWARE LICENCE AGREEMENT

        1. DEFINITIONS

        "Effective Date" means 1 April 2025.

        "Licensed Users" means the users named in the order form.

        2. TERM

        This Agreement starts on the Effective Date and continues for an initial term of three years.
        """

    @Test func theEffectiveDateIsResolved() throws {
        let text = Corpus.inserting([(Self.contract, 0.5)], into: Corpus.prose(tokens: 5_000, seed: 33))
        let (result, _) = try AskTests.ask(text, "When does the agreement start?", k: 3)
        let first = try #require(result.answers.first)
        #expect(first.text.hasPrefix("This Agreement starts on the Effective Date"))
        let definition = try #require(first.definition)
        #expect(definition.term == "Effective Date")
        #expect(definition.text == "\"Effective Date\" means 1 April 2025.")
        #expect(String(decoding: Array(text.utf8)[definition.start..<definition.end], as: UTF8.self) == definition.text)
        #expect(first.sure)
        // A question that asks for no date resolves nothing; nor does an answer that holds its date.
        let (other, _) = try AskTests.ask(text, "How long is the initial term of the agreement?", k: 3)
        #expect(other.answers.allSatisfy { $0.definition == nil })
    }
}
