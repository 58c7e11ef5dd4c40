import Foundation

/// The answer expert `ask` uses: the router reads the question for the kind
/// of value it asks for, and attention lifts the sentences that hold one.
///
/// - `when …`, `what date/day/year/month …`, `by which deadline …`
///   (`wann`, `quand`, `cuándo`) → a date (`DateExpert`);
/// - `how much …`, `how many …`, `what percentage/amount/price/cost …`
///   (`wie viel`, `combien`, `cuánto`) → a quantity: any number, amount or
///   percentage;
/// - `who …`, `whom`, `whose`, `which company/person/organisation …`
///   (`wer`, `qui`, `quién`) → a name (`NameExpert`);
/// - `what does X mean`, `what is meant by`, `define …`, `definition of`,
///   `stands for` → a definition (`DefinitionExpert`);
/// - `who are the parties …`, `which parties …` (`Vertragsparteien`,
///   `parties`, `partes`, `双方`) → the parties: a sentence that names
///   them "between … and …" (`zwischen … und`, `entre … et`, `甲方 … 乙方`),
///   or opens with "between" and lists them after (the passage shows them).
///
/// - `what is the invoice number`, `customer no.`, `claim reference`
///   (`Kundennummer`, `Wie lautet die Mitgliedsnummer`, `numéro`,
///   `référence`, `N° client`) → an identifier: a code with a figure in it
///   ("INV/WHP/2231", "CLM-25-0031877", "40217"), not a date or an amount;
///   "the number of …" still asks for a quantity.
///
/// Any other question has no answer kind (its candidates are reordered by
/// phrases alone, `PhraseMatch`). With one,
/// attention's best max(2k, `minimumDepth`) plausible candidates are
/// reordered by `lift ×` their score where they hold a value of the kind:
/// the expert reorders what attention found (exactly, as in dense mode: the
/// indexer's bound is checked against the last of them), it never makes an
/// answer of a sentence attention found implausible.
public enum AnswerKind: String, Sendable, CaseIterable {
    case date, quantity, name, definition, parties, identifier
}

public enum AnswerExpert {
    /// The lift of a unit holding the asked kind of value: 2, chosen on the
    /// tuning halves of the manual questions and of the extraction
    /// benchmark's questions (1, 1.25, 1.5, 1.75, 2, 2.5, 3 tried; 2 answered
    /// most of both, Benchmarks/README.md).
    public static let defaultLift = 2.0

    /// The lift for questions of `kind`: a quantity is any number, too common
    /// a value in manuals and invoices for lifting it to help (on the tuning
    /// halves it changed nothing at 1.5 and lost one question at 3), so it
    /// is read and reported but not lifted.
    public static func lift(for kind: AnswerKind?) -> Double {
        switch kind {
        case nil, .quantity: 1
        case .date, .name, .definition, .identifier: defaultLift
        // The parties' sentence holds few of the question's words ("This Agreement is made by and between:").
        case .parties: 2 * defaultLift
        }
    }
    /// The fewest candidates the expert reorders.
    public static let minimumDepth = 10
    /// The fewest for the parties: their sentence holds the question's
    /// words least of all ("ENTRE LES SOUSSIGNÉS :" under a contract's
    /// many sentences naming "les Parties"), so it is looked for deeper.
    public static let partiesDepth = 30
    /// How much longer than others the parties' passage runs: it names
    /// each party with its address and registration, a paragraph each.
    public static let partiesPassage = 3

    static let dateWords = ExpertWords.ids(["when", "wann", "quand", "cuándo", "cuando"])
    static let dateNouns = ExpertWords.ids(["date", "day", "year", "month", "deadline", "datum", "jahr", "tag", "monat", "année", "jour", "mois", "fecha", "año", "día", "mes"])
    /// Words that ask for a quantity on their own ("Combien …", "Cuánto …").
    static let countWords = ExpertWords.ids(["combien", "cuánto", "cuántos", "cuánta", "cuántas", "cuanto", "cuantos"])
    static let howWords = ExpertWords.ids(["how", "wie"]).union(countWords)
    static let muchWords = ExpertWords.ids(["much", "many", "viel", "viele", "long", "large", "big", "often"])
    static let quantityNouns = ExpertWords.ids(["percentage", "percent", "amount", "price", "cost", "total", "number", "fee", "rate", "size", "sum",
                                                "betrag", "preis", "kosten", "anzahl", "montant", "prix", "coût", "nombre", "importe", "precio", "costo", "cantidad"])
    static let whoWords = ExpertWords.ids(["who", "whom", "whose", "wer", "wem", "wen", "qui", "quién", "quien", "quiénes"])
    static let whichWords = ExpertWords.ids(["which", "what", "welche", "welcher", "welches", "quel", "quelle", "quels", "quelles", "qué", "cuál"])
    static let nameNouns = ExpertWords.ids(["company", "companies", "person", "people", "organisation", "organization", "organizations", "author",
                                            "authors", "party", "parties", "vendor", "supplier", "customer", "firm", "institution", "university",
                                            "firma", "unternehmen", "société", "entreprise", "empresa"])
    static let partyWords = ExpertWords.ids(["parties", "party", "vertragsparteien", "parteien", "vertragspartner", "partes", "contracting",
                                             "contractants", "cocontractants"])
    static let betweenWords = ExpertWords.ids(["between", "zwischen", "entre"])
    /// For a date question, the words a document uses for its "start" and
    /// "end" ("Your employment will begin on …", "The lease commences …",
    /// "This Agreement expires on …"), in English, German, French and
    /// Spanish together: a question holding one of a group's words counts
    /// the others as it, in whichever language the document is written (a
    /// pipeline asks a French contract "When does the agreement start?", and
    /// "Le présent contrat entre en vigueur le 1er mai 2025" answers it)
    /// (`aliasOnlyWords` count as the group's word but do not call it up:
    /// "When does termination become effective?" asks for no start).
    static let startAndEndWords: [[String]] = [
        ["start", "begin", "commence", "commencement", "effective", "beginnt", "beginn", "beginnen", "startet",
         "débute", "début", "vigueur", "comienza", "empieza", "inicia", "inicio", "vigor"],
        // (French "se termine" though German "Termine" are appointments: a sentence needs the question's other words too.)
        ["end", "expire", "expiry", "terminate", "endet", "ende", "enden", "ablauf", "termine", "fin", "échéance",
         "termina", "vence", "finaliza"],
    ]
    static let aliasOnlyWords: Set<String> = ["effective", "vigueur", "vigor"]
    static let meaningWords = ExpertWords.ids(["mean", "means", "meaning", "meant", "define", "defined", "definition", "stand", "stands",
                                               "bedeutet", "bedeutung", "signifie", "définition", "significa", "significado", "definición"])

    static let identifierNouns = ExpertWords.ids(["number", "nummer", "numéro", "numero", "número", "reference", "ref", "référence",
                                                  "referenz", "aktenzeichen", "id", "identifier", "code", "kennung", "zeichen"])
    /// Words after "number" that make it a count: "the number of users", "nombre de", "Anzahl der".
    static let countOf = ExpertWords.ids(["of", "de", "der", "an", "von"])

    /// The question asks for an identifier: an identifier noun ("invoice
    /// number", "Mitgliedsnummer", "N° client") that is no count ("number
    /// of"), in a which/what question or a "wie lautet" one.
    static func asksForIdentifier(_ question: String, words: [UInt64], texts: [String], stops: [Bool]) -> Bool {
        guard let first = words.first, whichWords.contains(first) || first == CanonicalForm.id(of: "wie") || first == CanonicalForm.id(of: "give") else { return false }
        if zip(words, words.dropFirst()).contains(where: { howWords.contains($0) && muchWords.contains($1) }) { return false }
        for (i, word) in words.enumerated() {
            let compound = texts[i].count > 8 && (texts[i].hasSuffix("nummer") || texts[i].hasSuffix("zeichen"))
            // "no." and "Nr." with their stop ("the order no.?"), not the word "no" ("if no payment is made").
            let abbreviation = (texts[i] == "no" || texts[i] == "nr") && stops[i]
            guard identifierNouns.contains(word) || compound || abbreviation else { continue }
            if i + 1 < words.count, countOf.contains(words[i + 1]), !compound { return false }
            return true
        }
        return question.contains("N°") || question.contains("n°") || question.contains("Nº")
    }

    /// The kind of value `question` asks for, if it asks for one.
    public static func kind(of question: String) -> AnswerKind? {
        var tokenizer = Tokenizer()
        let tokens = tokenizer.tokenize(question).filter { $0.kind == .word }
        let words = tokens.map(\.id)
        guard let first = words.first else { return nil }
        let head = Array(words.prefix(4))
        let utf8 = Array(question.utf8)
        let texts = tokens.map { String(decoding: utf8[Int($0.start)..<Int($0.end)], as: UTF8.self).lowercased() }
        let stops = tokens.map { Int($0.end) < utf8.count && utf8[Int($0.end)] == 0x2E }
        if words.contains(where: meaningWords.contains) { return .definition }
        if words.contains(where: partyWords.contains) && (whoWords.contains(first) || whichWords.contains(first) || words.count <= 4)
            || question.contains("双方") || question.contains("当事人") { return .parties }
        if dateWords.contains(first) { return .date }
        if asksForIdentifier(question, words: words, texts: texts, stops: stops) { return .identifier }
        if zip(head, head.dropFirst()).contains(where: { howWords.contains($0) && muchWords.contains($1) }) || howWords.contains(first) && words.count > 1
            && quantityNouns.contains(words[1]) { return .quantity }
        if whoWords.contains(first) { return .name }
        if whichWords.contains(first) {
            // "What date …", "Which year …", "What is the total amount …", "Which company …": a noun in the next few words.
            for noun in words.dropFirst().prefix(4) {
                if dateNouns.contains(noun) { return .date }
                if quantityNouns.contains(noun) { return .quantity }
                if nameNouns.contains(noun) { return .name }
            }
        }
        if countWords.contains(first) { return .quantity }
        return nil
    }

    /// Whether the unit whose tokens are `tokens` (of `bytes`) holds a value
    /// of `kind`. A name is one of the document's `names` when they are known.
    static func holds(_ kind: AnswerKind, tokens: [Token], unitKind: UInt8, bytes: UnsafeBufferPointer<UInt8>,
                      names: DocumentNames? = nil) -> Bool {
        guard !tokens.isEmpty else { return false }
        if kind == .name, let names, !names.isEmpty { return names.occur(in: tokens, bytes: bytes) }
        let text = ExpertText(bytes: bytes, tokens: tokens, unitTokens: [0..<tokens.count], unitKinds: [unitKind])
        switch kind {
        case .date:
            var found: [Extraction] = []
            DateExpert.scan(text, tokens: 0..<tokens.count, into: &found)
            return !found.isEmpty
        case .quantity:
            return tokens.indices.contains { tokens[$0].kind == .number || (tokens[$0].kind == .word && text.first($0) >= 0x30 && text.first($0) <= 0x39) }
        case .name:
            var found: [NameExpert.Occurrence] = []
            NameExpert.scan(text, units: 0..<1, common: [], into: &found)
            return found.contains { !$0.isAcronym }
        case .definition:
            var found: [Extraction] = []
            DefinitionExpert.scan(text, units: 0..<1, glossary: [false], into: &found)
            return !found.isEmpty
        case .identifier:
            let string = String(decoding: UnsafeBufferPointer(rebasing: bytes[Int(tokens[0].start)..<Int(tokens[tokens.count - 1].end)]), as: UTF8.self)
            return string.split(whereSeparator: \.isWhitespace).contains { isIdentifier($0) }
        case .parties:
            // "between" before a name ("by and between Acme Ltd", "Zwischen Herrn Brandt"), a numbered party
            // ("between (1) Acme Ltd") or ending its line ("by and between:"); not before a time ("entre 18 h 30").
            for i in tokens.indices where betweenWords.contains(tokens[i].id) {
                guard let next = tokens[(i + 1)...].firstIndex(where: \.isContent) else { return true }
                if tokens[next].kind == .word && tokens[next].capitalized { return true }
                let end = Int(tokens[next].end)
                if tokens[next].kind == .number, end < bytes.count, bytes[end] == 0x29 || bytes[end] == 0x2E { return true }
            }
            let string = String(decoding: UnsafeBufferPointer(rebasing: bytes[Int(tokens[0].start)..<Int(tokens[tokens.count - 1].end)]), as: UTF8.self)
            return string.contains("甲方") && string.contains("乙方")
        }
    }
}

extension AnswerExpert {
    /// A word that is a code: capitals and figures ("INV/WHP/2231",
    /// "LOC-0527-3B", "SC561203"), or figures parted by dashes or slashes
    /// that are no date ("25-0612", "2025/118"), or five figures or more
    /// ("40217"); not an amount ("1,250.00"), a date ("07/05/2025") or a
    /// year. Punctuation around it is left out.
    static func isIdentifier(_ word: Substring) -> Bool {
        let trimmed = word.trimmingCharacters(in: CharacterSet(charactersIn: ".,;:()[]\"'«»“”"))
        let scalars = trimmed.unicodeScalars
        guard scalars.count >= 4, scalars.count <= 40 else { return false }
        let digits = scalars.filter { $0.properties.numericType != nil }.count
        let letters = scalars.filter { $0.properties.isAlphabetic && $0.properties.numericType == nil }.count
        guard digits > 0 else { return false }
        // Letters with figures: capitals and two figures or more ("SC561203", "LT-300"), not "10-year" or "3rd".
        if letters > 0 { return letters <= 12 && digits >= 2 && !scalars.contains { $0.properties.isLowercase } }
        let parts = trimmed.split(whereSeparator: { $0 == "-" || $0 == "/" })
        if parts.count >= 2 {
            // A date: day, month and a year of two or four figures, in either order.
            let lengths = parts.map(\.count)
            let date = parts.count == 3 && (lengths[0] <= 2 && lengths[1] <= 2 && (lengths[2] == 2 || lengths[2] == 4)
                                            || lengths[0] == 4 && lengths[1] <= 2 && lengths[2] <= 2)
            return !date && parts.allSatisfy { $0.allSatisfy(\.isNumber) }
        }
        return digits >= 5 && digits == scalars.count
    }
}

/// The names a document's name expert found (`NameExpert` after its
/// aggregation, which drops the document's defined terms and the words it
/// also writes in lower case), as sequences of word ids. For a "who"
/// question `ask` lifts the sentences that hold one of them: a sentence
/// scanned on its own cannot tell a contract's defined terms ("the
/// Effective Date", "IN WITNESS WHEREOF") from the parties' names.
public struct DocumentNames: Sendable {
    let sequences: [[UInt64]]
    let firsts: Set<UInt64>

    public init(_ names: [String]) {
        var tokenizer = Tokenizer()
        // A one-word name that is also a function word ("WHO", "US", "IT") would match "who", "us", "it" anywhere.
        sequences = names.map { tokenizer.tokenize($0).filter(\.isContent).map(\.id) }
            .filter { !$0.isEmpty && !($0.count == 1 && StopWords.all.contains($0[0])) }
        firsts = Set(sequences.map { $0[0] })
    }

    public var isEmpty: Bool { sequences.isEmpty }
    /// Bytes it takes in memory, roughly (for caches bounded by size).
    public var byteSize: Int { sequences.reduce(0) { $0 + 8 * $1.count + 16 } + 8 * firsts.count }

    /// Whether `tokens` (of `bytes`) hold one of the names, word for word
    /// (punctuation and white space between the words do not count, case does
    /// not either, and "Acme Ltd's" holds "Acme Ltd").
    func occur(in tokens: [Token], bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let words = tokens.filter(\.isContent).map { token in
            let end = NameExpert.endWithoutPossessive(token, in: bytes)
            guard end < token.end else { return token.id }
            return CanonicalForm.id(of: String(decoding: UnsafeBufferPointer(rebasing: bytes[Int(token.start)..<Int(end)]), as: UTF8.self))
        }
        for i in words.indices where firsts.contains(words[i]) {
            for name in sequences where name[0] == words[i] && words.count - i >= name.count && words[i..<(i + name.count)].elementsEqual(name) {
                return true
            }
        }
        return false
    }
}
