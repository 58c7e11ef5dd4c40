/// Names of people and organisations: runs of capitalised words on one
/// line, joined by initials (`John F. Kennedy`), hyphens and lower-case
/// connectors (`University of California`, `Banco de España`, `AT&T`'s
/// `&`), and acronyms the text expands (`World Health Organization (WHO)`,
/// `WHO (World Health Organization)`). Listed once per name (case and
/// spacing folded) with its count and its first occurrence.
///
/// Authors cited before a year are names even alone (`Cameron and Miller
/// 2015`, `Zeileis (2004)`, `Long et al. 2000`).
///
/// A salutation and a title before a name are dropped from it (`Dear`,
/// `Mr`, `Dr.`, `M.`, `Frau`, `Mag.`), and a title before the next name
/// ends the one before it (`z. H. Frau Mag. Verena Kranzl`); an invoice's
/// label ends it (`IBAN`, `VAT`, `TTC`, `RCS`, `HRB`), as does a label's
/// word before its colon (`Name: Dale Rasmussen Title: Owner`); a list's
/// letter at a sentence's start is no initial (`A. The Association`); German nouns joined by an article are none
/// ("Ablauf der Erstlaufzeit": `der` joins a name only after `von` or
/// `van`); nor are streets, laws, job titles and places, told by their
/// last or first word (`namesNoOne`), nor the items of a priced line. A
/// company keeps its legal form (", Inc.", "plc", "and Plumbing Ltd",
/// "et Fils"). The short lines of a letter's or an invoice's address block
/// are read too.
///
/// What is not a name: a run of one capitalised word elsewhere (a sentence's
/// first word, a product, a place); an acronym the text never expands (`PDF`,
/// `HTML`); a run in a heading or a contents line; a run of capitals only
/// (`TERMS AND CONDITIONS`); a run of words the document mostly writes in
/// lower case (`Covered Software`), or a term it defines. A run's first word is dropped when it is a
/// function word or a month or day name (`The`, `In`, `March`), and at a
/// sentence's start also when the document writes it in lower case more
/// often than capitalised (`Contact John Smith`, but not `Harbour` in
/// `Harbour Holdings Ltd` beside one `harbour berth`): the document's own
/// use of a word says whether it is common. This is Engram salience within
/// the document, so a name does not depend on which other documents the
/// store holds.
enum NameExpert {
    /// One run found in a block, before counting.
    struct Occurrence: Sendable {
        var start: Int32
        var end: Int32
        var value: String
        /// The acronym the run expands, or the expansion of an acronym.
        var partner: String?
        var isAcronym: Bool
    }

    /// Words of a label before its colon ("Booking Reference:", "Title:", "Betreff:", "Objet :").
    static let labelBeforeColon = ExpertWords.ids("""
        reference ref title name phone telephone tel mobile fax email e-mail date subject number no position role company address
        account customer invoice order booking contact betreff datum telefon nummer anschrift kundennummer objet référence téléphone
        adresse asunto fecha teléfono
        """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))

    /// Lower-case words inside a name (`and` is not one: `Cameron and Miller` are two). German articles
    /// join only after a particle (`von der Leyen`, `van den Berg`): between capitalised German nouns they
    /// make a noun phrase ("Ablauf der Erstlaufzeit"), not a name.
    static let connectors: Set<String> = ["of", "for", "&", "de", "des", "du", "la", "le", "von", "van", "del", "da", "di", "für"]
    /// Joining only after a particle or a preposition: "von der Leyen", "van den Berg", "Bank of the West".
    static let particleArticles: Set<String> = ["der", "den", "the"]
    /// Titles before a name, dropped from it ("Mr Amir Haddad", "M. Karim Benali", "Frau Lena Hoffmann").
    static let honorifics = ExpertWords.ids(["mr", "mrs", "ms", "miss", "mx", "dr", "prof", "herr", "herrn", "frau", "hr", "fr", "m", "mme",
                                             "mlle", "me", "sr", "sra", "srta", "don", "doña", "dott", "sir", "dame", "mag", "dipl"])
    /// Words of an invoice's or a letter's labels: a run holding one is a label ("IBAN FR76", "Total TTC",
    /// "RCS Lyon", "VAT Reg"), not a name.
    static let labelWords: Set<String> = ["IBAN", "BIC", "SWIFT", "VAT", "TVA", "MwSt", "USt", "RCS", "SIRET", "SIREN", "HRB", "HRA", "TTC", "HT",
                                          "NIF", "CIF", "EIN", "ABN", "GST", "UID", "BLZ", "APE", "NAF", "TVA", "IVA", "PO", "Nr", "No", "Tel",
                                          "Fax", "Steuernummer", "USt-IdNr", "Kto", "ID", "Ref",
                                          // A table's header row: "Qty Description Unit price Amount".
                                          "Qty", "Quantity", "Description", "Quantité", "Désignation", "Menge", "Beschreibung", "Bezeichnung", "Pos"]
    /// Legal forms written in lower case that end a company's name ("Albion Mutual Insurance plc", "Volksbank Freiburg eG").
    static let lowercaseLegalForms: Set<String> = ["plc", "eG", "e.V", "mbH", "gGmbH", "e.K"]
    /// Words a citation's names may stand among before its year (`Cameron and Miller 2015`, `Zeileis et al. (2020)`).
    static let citationJoiners: Set<String> = ["and", "&", ",", "et", "al", ".", "(", "und"]
    static let calendarWords = ExpertWords.ids("""
        monday tuesday wednesday thursday friday saturday sunday january february march april may june july august september october
        november december montag dienstag mittwoch donnerstag freitag samstag sonntag lundi mardi mercredi jeudi vendredi samedi dimanche
        """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))

    /// Days named from today, dropped before a name ("Today Tome extracts …" names no one) but not
    /// after one ("Psychology Today" is a magazine).
    static let relativeDays = ExpertWords.ids(
        "today tomorrow yesterday tonight heute gestern demain hoy mañana ayer".split(separator: " ").map(String.init))

    /// A capitalised word without a digit ("FR76" and "K-10482" are codes).
    static func isCapitalWord(_ text: ExpertText, _ t: Int) -> Bool {
        text.tokens[t].kind == .word && text.tokens[t].capitalized
            && !text.bytes[Int(text.tokens[t].start)..<Int(text.tokens[t].end)].contains { $0 >= 0x30 && $0 <= 0x39 }
    }

    /// A French word with an elided article before its capital: "l'Atlantique", "d'Orvanne", "d’Architectes".
    static func isElidedCapital(_ text: ExpertText, _ t: Int) -> Bool {
        guard t < text.tokens.count, text.tokens[t].kind == .word else { return false }
        let s = Int(text.tokens[t].start), e = Int(text.tokens[t].end)
        guard e - s >= 3, text.bytes[s] == 0x6C || text.bytes[s] == 0x64 else { return false }  // l, d
        let after = text.bytes[s + 1] == 0x27 ? s + 2 : (e - s >= 5 && text.bytes[s + 1] == 0xE2 && text.bytes[s + 2] == 0x80 && text.bytes[s + 3] == 0x99 ? s + 4 : -1)
        guard after > 0, after < e else { return false }
        let scalar = String(decoding: UnsafeBufferPointer(rebasing: text.bytes[after..<min(e, after + 4)]), as: UTF8.self).unicodeScalars.first
        return scalar.map { $0.properties.isUppercase } ?? false
    }

    /// A word of two or more capitals only (an acronym, or a word of a heading in capitals).
    static func isAllCaps(_ text: ExpertText, _ t: Int) -> Bool {
        guard text.tokens[t].kind == .word, text.tokens[t].end - text.tokens[t].start >= 2 else { return false }
        return text.bytes[Int(text.tokens[t].start)..<Int(text.tokens[t].end)].allSatisfy { $0 >= 0x41 && $0 <= 0x5A }
    }

    /// A word without a lower-case ASCII letter: `A`, `OF`, `MERCHANTABILITY`.
    static func hasNoLowerCase(_ text: ExpertText, _ t: Int) -> Bool {
        text.tokens[t].kind == .word && !text.bytes[Int(text.tokens[t].start)..<Int(text.tokens[t].end)].contains { $0 >= 0x61 && $0 <= 0x7A }
    }

    /// Where a run ends without its possessive: `Mark Adler’s` is `Mark Adler`.
    static func endWithoutPossessive(_ text: ExpertText, _ b: Int) -> Int32 {
        endWithoutPossessive(text.tokens[b], in: text.bytes)
    }

    /// Where a word ends without its possessive ('s or ’s).
    static func endWithoutPossessive(_ token: Token, in bytes: UnsafeBufferPointer<UInt8>) -> Int32 {
        let (start, end) = (Int(token.start), Int(token.end))
        guard end - start > 3, bytes[end - 1] == 0x73 else { return Int32(end) }  // …s
        if bytes[end - 2] == 0x27 { return Int32(end - 2) }  // 's
        if bytes[(end - 4)..<(end - 1)].elementsEqual([0xE2, 0x80, 0x99]) { return Int32(end - 4) }  // ’s
        return Int32(end)
    }

    /// Runs in the block's units; `common`: the ids the document writes in lower case more often than not.
    static func scan(_ text: ExpertText, units: Range<Int>, common: Set<UInt64>, into out: inout [Occurrence]) {
        // A short line that heads no text is a letter's or an invoice's line (an address, a signature), read for names.
        for u in units where text.kind(u) == .prose || text.kind(u) == .listItem
            || text.kind(u) == .heading && !OutlineExpert.introducesText(text, u, numbered: false) {
            let range = text.unitTokens[u]
            let firstWord = range.first { text.tokens[$0].kind == .word }
            let unitStart = out.count
            defer { dropCitedWordsInsideNames(&out, from: unitStart) }
            citations(text, unit: range, firstWord: firstWord, into: &out)
            chineseOrganisations(text, unit: range, into: &out)
            var t = range.lowerBound
            while t < range.upperBound {
                guard isCapitalWord(text, t) else { t += 1; continue }
                // Extend: capital words, initials ("F."), connectors between capital words, hyphens inside.
                var words = [t], last = t, u2 = t + 1
                while u2 < range.upperBound, text.sameLine(last, u2), text.oneSpace(after: u2 - 1) {
                    if isCapitalWord(text, u2) || isElidedCapital(text, u2) && words.count > 0 && connectors.contains(text.string(token: u2 - 1)) {
                        words.append(u2); last = u2; u2 += 1; continue
                    }
                    if text.isChar(u2, 0x2E), text.touching(u2 - 1, u2), text.tokens[u2 - 1].end - text.tokens[u2 - 1].start == 1, isCapitalWord(text, u2 - 1) {
                        last = u2; u2 += 1; continue  // an initial's full stop
                    }
                    // A hyphen or an apostrophe inside a name: "Roussel-Perrin", "O'Donnell".
                    let joiner = (text.isChar(u2, 0x2D) || text.isChar(u2, 0x27) || text.string(token: u2) == "\u{2019}")
                        && text.touching(u2 - 1, u2) && u2 + 1 < range.upperBound && text.touching(u2, u2 + 1)
                    let word = text.string(token: u2)
                    let connector = text.tokens[u2].kind == .word && !text.tokens[u2].capitalized
                        && (connectors.contains(word) || particleArticles.contains(word) && ["von", "van", "of", "for"].contains(text.string(token: u2 - 1))
                            || elisions.contains(word) && u2 + 2 < range.upperBound && text.touching(u2, u2 + 1) && text.touching(u2 + 1, u2 + 2)
                                && (text.isChar(u2 + 1, 0x27) || text.string(token: u2 + 1) == "\u{2019}")
                            || partners.contains(word) && companyAhead(text, from: u2 + 1, in: range))
                        || text.isChar(u2, 0x26)
                    let elided = connector && elisions.contains(word)  // "l" of "l'Atlantique": its apostrophe joins next
                    if (joiner || connector), u2 + 1 < range.upperBound, elided || isCapitalWord(text, u2 + 1) || isElidedCapital(text, u2 + 1)
                        || connectors.contains(text.string(token: u2 + 1)) || elisions.contains(text.string(token: u2 + 1))
                        || particleArticles.contains(text.string(token: u2 + 1)) {
                        u2 += 1; continue
                    }
                    // ", Inc.", ", Ltd", ", LLC": a company's legal form after a comma.
                    if text.isChar(u2, 0x2C), u2 + 1 < range.upperBound, legalForms.contains(text.string(token: u2 + 1)), text.oneSpace(after: u2) {
                        words.append(u2 + 1); last = u2 + 1; u2 += 2
                        if text.isChar(u2, 0x2E), text.touching(u2 - 1, u2) { last = u2; u2 += 1 }
                        break
                    }
                    break
                }
                // A legal form in lower case ends a company's name: "Albion Mutual Insurance plc".
                if u2 < range.upperBound, text.sameLine(last, u2), text.oneSpace(after: last), lowercaseLegalForms.contains(text.string(token: u2)) {
                    words.append(u2)
                    last = u2
                }
                var next = last + 1
                // A person "of" a company ("Anna Berg of Rheinische Handelsbank AG"): two names. A company's name
                // holds "of" after one word ("Bank of America") or without a legal form ("University of California").
                if let lastWord = words.last, legalForms.contains(text.string(token: lastWord)),
                   let of = words.indices.dropFirst(2).first(where: { words[$0] - words[$0 - 1] == 2 && text.string(token: words[$0] - 1) == "of" }) {
                    next = words[of]
                    words.removeSubrange(of...)
                }
                // A salutation, then a title before the name: "Dear Ms Vogt", "Mr", "Dr.", "M.", "Frau".
                while words.count > 1, let w = words.first, OutlineExpert.letterWords.contains(text.tokens[w].id) || labelLeads.contains(text.tokens[w].id) {
                    words.removeFirst()
                }
                while words.count > 1, let w = words.first, honorifics.contains(text.tokens[w].id) { words.removeFirst() }
                // A title before the next name ends this one: "z. H. Frau Mag. Verena Kranzl" reads "H. Frau Mag" first
                // (but "Harbor View Dr" at a line's end is a street, and "Notre Dame" a name).
                while let w = words.last, honorifics.contains(text.tokens[w].id) {
                    let after = text.isChar(w + 1, 0x2E) ? w + 2 : w + 1
                    // (The name may be the next sentence's: the splitter can end one at "Mag.".)
                    guard after < text.tokens.count, text.sameLine(w, after), isCapitalWord(text, after) else { break }
                    words.removeLast()
                }
                // A list's letter at the start of a sentence, before a function word or a word the document writes in
                // lower case, is no initial: "A. The Association is …", "B. Contractor shall …" (but "J. Smith signed").
                if words.count > 2, let w = words.first, w == firstWord, isInitial(text, w),
                   StopWords.all.contains(text.tokens[words[1]].id) || common.contains(text.tokens[words[1]].id) {
                    words.removeFirst()
                }
                // A label's word before a colon ("Booking Reference: KME-…", "Name: Dale Rasmussen Title: Owner") ends
                // the run and is not part of it; a name before a colon ("Dear John Smith:") is one.
                if let w = words.last, text.isChar(w + 1, 0x3A), labelBeforeColon.contains(text.tokens[w].id) || common.contains(text.tokens[w].id) {
                    words.removeLast()
                }
                // An invoice's label ends the name ("Amtsgericht Köln HRB 4711"); one that starts the run makes it a label.
                if let cut = words.firstIndex(where: { labelWords.contains(text.string(token: $0)) }) { words.removeSubrange(cut...) }
                // Trim: function, month and day words first; at the sentence's start, a word the document writes in lower case.
                // (An acronym is never a function word: "WHO" is not "who"; nor is an initial: "A. Zeileis".)
                while let w = words.first, !isAllCaps(text, w), !isInitial(text, w),
                      StopWords.all.contains(text.tokens[w].id) || calendarWords.contains(text.tokens[w].id) || relativeDays.contains(text.tokens[w].id)
                        || (w == firstWord && common.contains(text.tokens[w].id)) {
                    words.removeFirst()
                }
                // And at the end: "Plan B. The" (a sentence the splitter did not end at an initial's full stop).
                while let w = words.last, !isAllCaps(text, w), calendarWords.contains(text.tokens[w].id) || StopWords.all.contains(text.tokens[w].id) {
                    words.removeLast()
                }
                defer { t = max(next, t + 1) }
                guard let a = words.first, let b = words.last else { continue }
                var value = normalised(text, from: a, to: b)
                let end = endWithoutPossessive(text, b)
                if end < text.tokens[b].end { value = String(value.utf8.dropLast(Int(text.tokens[b].end - end))) ?? value }
                // Capitals only, one-letter words too: a licence's shouting ("THE IMPLIED WARRANTIES … FOR A PARTICULAR PURPOSE"),
                // but not a short name in capitals with a one-letter part ("AT&T").
                let caps = words.allSatisfy { hasNoLowerCase(text, $0) } && (words.count >= 3 || words.allSatisfy { isAllCaps(text, $0) })
                // A word with a hyphen of one letter ("E-Mail", "T-Shirt"), or what is no person or organisation.
                let hyphenated = words.count == 2 && words[1] == words[0] + 2 && text.isChar(words[0] + 1, 0x2D)
                    && text.tokens[words[0]].end - text.tokens[words[0]].start == 1
                guard !hyphenated, !namesNoOne(text, words), !isPricedLine(text, range) else { continue }
                // Every word one the document mostly writes in lower case ("Covered Software", "Source Code Form"): a term, not a name.
                let ordinary = words.allSatisfy { common.contains(text.tokens[$0].id) || connectors.contains(text.string(token: $0)) }
                let acronym = words.count >= 2 ? acronymAfter(text, b, words: words, in: range) : nil
                if words.count >= 2, !caps, !ordinary || acronym != nil {
                    out.append(Occurrence(start: text.tokens[a].start, end: end, value: value, partner: acronym, isAcronym: false))
                } else if words.count == 1, isAllCaps(text, a), text.tokens[a].end - text.tokens[a].start <= 8 {
                    out.append(Occurrence(start: text.tokens[a].start, end: text.tokens[a].end, value: value,
                                          partner: expansionAfter(text, a, in: range), isAcronym: true))
                }
            }
        }
    }

    /// Words that end a Chinese organisation's name (company, committee, bank and branch, university,
    /// hospital, group, firm, institute, association), longest first.
    static let organisationEnds = ["有限责任公司", "股份有限公司", "有限公司", "委员会", "事务所", "研究所", "支行", "分行", "公司", "银行", "大学",
                                   "医院", "集团", "协会", "学院", "法院"]
    /// Characters a name does not start after: verbs and prepositions before it ("由…承建", "与…签订", "向…支付").
    static let organisationCuts: Set<String> = ["由", "与", "和", "及", "向", "在", "为", "是", "的", "请", "经", "致", "对", "从", "把", "被",
                                                "将", "于", "给", "同", "跟", "并", "即", "至", "到"]

    /// Chinese organisations: a run of ideographs ending in an organisation's word
    /// ("上海恒升电梯工程有限公司", "沪东商业银行锦绣支行"), from after the last
    /// preposition or verb before it, four to 24 characters long.
    static func chineseOrganisations(_ text: ExpertText, unit range: Range<Int>, into out: inout [Occurrence]) {
        var t = range.lowerBound
        while t < range.upperBound {
            guard text.tokens[t].kind == .ideograph else { t += 1; continue }
            var end = t + 1
            while end < range.upperBound, text.tokens[end].kind == .ideograph, text.touching(end - 1, end) { end += 1 }
            defer { t = end }
            let characters = (t..<end).map { text.string(token: $0) }
            var i = characters.count
            while i > 0 {
                // The last organisation word ending at or before i.
                guard let (stop, length) = (0..<i).reversed().lazy.compactMap({ e -> (Int, Int)? in
                    organisationEnds.first { characters[max(0, e + 1 - $0.count)...e].joined() == $0 }.map { (e + 1, $0.count) }
                }).first else { break }
                var start = stop - length
                // Back to a preposition or verb, or to the end of an organisation named before it (but a branch,
                // "…银行锦绣支行", is its bank's).
                let branch = ["支行", "分行"].contains(characters[(stop - length)..<stop].joined())
                while start > 0, !organisationCuts.contains(characters[start - 1]),
                      branch || !organisationEnds.contains(where: { $0.count <= start && characters[(start - $0.count)..<start].joined() == $0 }) {
                    start -= 1
                }
                if stop - start >= 4, stop - start <= 24 {
                    out.append(Occurrence(start: text.tokens[t + start].start, end: text.tokens[t + stop - 1].end,
                                          value: characters[start..<stop].joined(), partner: nil, isAcronym: false))
                }
                i = start
            }
        }
    }

    /// Elided articles inside a French name: "Banque Girondine de l'Atlantique", "Cabinet d'Architectes".
    static let elisions: Set<String> = ["l", "d"]
    /// "and", "et", "und" inside a company's name when a legal form follows ("Whitcombe Heating and Plumbing
    /// Ltd", "TP Morvan et Fils"); elsewhere they join two names ("Cameron and Miller").
    static let partners: Set<String> = ["and", "et", "und"]
    static let legalForms: Set<String> = ["Ltd", "Limited", "LLC", "LLP", "Inc", "Corp", "Co", "plc", "PLC", "GmbH", "AG", "KG", "SE", "SA", "SAS",
                                          "SARL", "SNC", "BV", "NV", "DAC", "eG", "Sons", "Fils", "Cie", "Partners", "Associés", "Söhne"]

    /// A company's legal form within the next few words of the line, every word before it capitalised.
    static func companyAhead(_ text: ExpertText, from t: Int, in range: Range<Int>) -> Bool {
        var i = t
        while i < min(range.upperBound, t + 5), i == t || text.sameLine(t, i) {
            if legalForms.contains(text.string(token: i)) { return true }
            guard isCapitalWord(text, i) else { return false }
            i += 1
        }
        return false
    }

    /// Streets, laws, job titles and places: capitalised runs that name no
    /// person or organisation. Told by the run's last word ("Harbor View
    /// Drive", "Consumer Rights Act", "Property Manager", "Claims
    /// Department"; a part of a building, "Upper Floor"; a document or a
    /// form, "Tax Invoice", "Green Bin Permit") or
    /// first ("Rue des Tanneurs", "State of Oregon", "Article VII",
    /// "Modell Auralis Pro", "ZA des Tilleroyes").
    static func namesNoOne(_ text: ExpertText, _ words: [Int]) -> Bool {
        guard let first = words.first, let last = words.last else { return true }
        let head = text.tokens[last].id, lead = text.tokens[first].id
        if runHeads.contains(head) || runLeads.contains(lead) { return true }
        // A street's lead word in lower case before the run ("cours Victor Hugo", "rue de la Paix"), or a
        // direction after its head ("Dominick Street Lower").
        if first > 0, text.tokens[first - 1].kind == .word, !text.tokens[first - 1].capitalized, streetLeads.contains(text.tokens[first - 1].id),
           text.sameLine(first - 1, first) { return true }
        if words.count >= 3, directions.contains(head), runHeads.contains(text.tokens[words[words.count - 2]].id) { return true }
        // One word joined by hyphens ("Saint-Vincent", "SEPA-Lastschriftmandat"), or ending in a lone letter ("Stand C").
        if first < last && (first..<last).allSatisfy({ text.touching($0, $0 + 1) })
            && (first...last).allSatisfy({ text.tokens[$0].kind == .word || text.isChar($0, 0x2D) }) { return true }
        if first < last && text.tokens[last].end - text.tokens[last].start == 1 && !text.isChar(last + 1, 0x2E) && !text.touching(last - 1, last) {
            return true
        }
        let lastWord = text.string(token: last).lowercased()
        // German streets and laws are one word: "Zülpicher Straße", "Bürgerliches Gesetzbuch".
        return ["straße", "strasse", "gesetz", "gesetzbuch", "verordnung"].contains { lastWord.hasSuffix($0) }
    }
    static let runHeads = ExpertWords.ids("""
        street st road rd avenue ave drive dr lane ln close crescent terrace way place square gardens grove row mews parade hill
        boulevard blvd highway park business estate
        act acts regulations regulation directive code rules treaty convention
        manager director officer supervisor executive department secretary assistant president chairman chairwoman head team unit
        division desk handbook policy landlord tenant licensor licensee
        states kingdom emirates cedex
        agreement contract report information term terms days users date period notice schedule exhibit appendix annex clause
        chapter index premises recall hazard payment transactions
        weg platz allee gasse ring ufer damm
        trail lanes county airport
        floor room suite lawn loft
        invoice receipt statement quotation estimate form permit member
        """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
    static let streetLeads = ExpertWords.ids(["rue", "avenue", "boulevard", "quai", "cours", "chemin", "impasse", "allée", "calle", "avenida",
                                              "paseo", "via", "viale", "piazza", "plaza"])
    static let directions = ExpertWords.ids(["lower", "upper", "north", "south", "east", "west", "extension"])
    static let runLeads = ExpertWords.ids("""
        rue avenue boulevard bd quai place cours chemin impasse allée route calle avenida plaza paseo via
        state commonwealth city county province republic kingdom north south east west
        director manager head chief directeur directrice responsable leiter leiterin service département abteilung
        name
        article section exhibit schedule appendix annex annexe clause artikel anlage paragraph
        model modell modèle za clos sachgebiet referat fachbereich
        """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))

    /// Labels before a name on a letter, an invoice or a contract, dropped from it ("Signed for Fernhill
    /// Software Ltd", "Bill to Meridian Books", "Vermieter Klaus-Dieter Brandt").
    static let labelLeads = ExpertWords.ids("""
        signed signature attn bill ship sold from to for per client customer supplier vendor buyer seller landlord tenant employer member
        employee contractor consultant provider licensor licensee vermieter mieter kunde auftraggeber auftragnehmer prestataire bailleur
        locataire
        """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))

    /// A line with a price and few words: an invoice's or a receipt's item ("Sticky Toffee Pudding £7.50"), not a name.
    static func isPricedLine(_ text: ExpertText, _ range: Range<Int>) -> Bool {
        guard range.count <= 16 else { return false }
        return range.contains { MoneyExpert.isCurrencyToken(text, $0) } && range.contains { text.tokens[$0].kind == .number }
    }

    /// A word a citation took alone that is part of a longer name found in
    /// the same unit is no name of its own: `Data`, `Compression` and
    /// `Conference` before the year in "Proceedings of the IEEE Data
    /// Compression Conference, 1997".
    static func dropCitedWordsInsideNames(_ out: inout [Occurrence], from first: Int) {
        guard out.count - first > 1 else { return }
        let found = out[first...]
        // Bytes, not `String.contains(_:)` (which searches as Foundation does: 6% of an analysis, perf).
        func words(_ r: Occurrence) -> Bool { r.value.utf8.contains(0x20) }
        let longer = found.filter { !$0.isAcronym && words($0) }
        guard !longer.isEmpty else { return }
        let kept = found.filter { r in
            r.isAcronym || words(r) || !longer.contains { $0.start <= r.start && r.end <= $0.end }
        }
        out.replaceSubrange(first..., with: kept)
    }

    /// A single capital and its full stop: `A.` in `A. Zeileis`.
    static func isInitial(_ text: ExpertText, _ t: Int) -> Bool {
        text.tokens[t].end - text.tokens[t].start == 1 && text.isChar(t + 1, 0x2E) && text.touching(t, t + 1)
    }

    /// Names cited before a year: `Cameron and Miller 2015`, `Zeileis (2004)`,
    /// `Zeileis, Köll, and Graham (2020)`, `Long et al. 2000` — each
    /// capitalised word among citation joiners right before a year (1800–2099)
    /// is a name, one word being enough here. Not a sentence's first word.
    static func citations(_ text: ExpertText, unit range: Range<Int>, firstWord: Int?, into out: inout [Occurrence]) {
        for y in range where y > range.lowerBound {
            guard let (year, digits) = text.integer(y), digits == 4, year >= 1800, year <= 2099 else { continue }
            var t = y - 1
            if text.isChar(t, 0x28) { t -= 1 }  // "Zeileis (2004)"
            var found: [Int] = []
            while t >= range.lowerBound, y - t <= 12, text.sameLine(t, y) {
                if isCapitalWord(text, t), !isAllCaps(text, t), !StopWords.all.contains(text.tokens[t].id), !calendarWords.contains(text.tokens[t].id),
                   DateExpert.months[text.tokens[t].id] == nil, text.tokens[t].end - text.tokens[t].start > 1 {
                    if t != firstWord { found.append(t) }
                } else if !citationJoiners.contains(text.string(token: t).lowercased()) {
                    break
                }
                t -= 1
            }
            // The word just before the year (or its "et al.") must be a name for the rest to be; a law's
            // ("Data Protection Act 2018", "Regulations 2012") is not.
            guard let last = found.first, y - last <= (text.isChar(y - 1, 0x28) ? 2 : 1) || text.string(token: y - 1) == ".",
                  !runHeads.contains(text.tokens[last].id) else { continue }
            for w in found.reversed() {
                out.append(Occurrence(start: text.tokens[w].start, end: text.tokens[w].end, value: text.string(token: w), partner: nil, isAcronym: false))
            }
        }
    }

    /// The run's words from `a` to `b` with single spaces between them.
    static func normalised(_ text: ExpertText, from a: Int, to b: Int) -> String {
        var s = ""
        for t in a...b {
            if t > a, !text.touching(t - 1, t) { s += " " }
            s += text.string(token: t)
        }
        return s
    }

    /// The initials of a run's words (capital words only, or all words).
    static func initials(_ text: ExpertText, _ words: [Int]) -> String {
        String(words.map { Character(Unicode.Scalar(text.first($0))) }).uppercased()
    }

    /// `(WHO)` after a run whose capital words' initials spell it.
    static func acronymAfter(_ text: ExpertText, _ b: Int, words: [Int], in range: Range<Int>) -> String? {
        guard b + 3 < range.upperBound, text.isChar(b + 1, 0x28), text.isChar(b + 3, 0x29), isAllCaps(text, b + 2) else { return nil }
        let acronym = text.string(token: b + 2)
        guard let first = words.first else { return nil }
        let all = (first...b).filter { text.tokens[$0].kind == .word }
        return acronym == initials(text, words) || acronym == initials(text, all) ? acronym : nil
    }

    /// `WHO (World Health Organization)`: the expansion after an acronym.
    static func expansionAfter(_ text: ExpertText, _ a: Int, in range: Range<Int>) -> String? {
        guard a + 2 < range.upperBound, text.isChar(a + 1, 0x28), let close = (a + 2..<min(range.upperBound, a + 14)).first(where: { text.isChar($0, 0x29) }),
              close > a + 2 else { return nil }
        let inner = (a + 2..<close).filter { text.tokens[$0].kind == .word }
        let capitals = inner.filter { isCapitalWord(text, $0) }
        let acronym = text.string(token: a)
        guard acronym == initials(text, capitals) || acronym == initials(text, inner) else { return nil }
        return normalised(text, from: a + 2, to: close - 1)
    }

    /// Names from the runs of every block, in block order: one per folded
    /// value with its count and first occurrence, most frequent first. An
    /// acronym is a name only where the text expands it; a term the
    /// document defines (`"Licensed Work" means …`) is not a name.
    static func aggregate(_ runs: [Occurrence], definedTerms: Set<String>) -> [Extraction] {
        var order: [String] = [], byKey: [String: Extraction] = [:]
        var expanded: [String: String] = [:]
        for r in runs where !r.isAcronym { if let p = r.partner, expanded[p] == nil { expanded[p] = r.value } }
        for r in runs where r.isAcronym { if let p = r.partner, expanded[r.value] == nil { expanded[r.value] = p } }
        for r in runs {
            var detail = r.partner
            if r.isAcronym {
                guard let expansion = expanded[r.value] else { continue }
                detail = expansion
            }
            let key = r.isAcronym ? r.value : r.value.lowercased()
            guard !definedTerms.contains(key), !(key.hasSuffix("s") && definedTerms.contains(String(key.dropLast()))) else { continue }
            if var e = byKey[key] {
                e.count += 1
                if e.detail == nil { e.detail = detail }
                byKey[key] = e
            } else {
                order.append(key)
                byKey[key] = Extraction(kind: .names, start: r.start, end: r.end, value: r.value, detail: detail)
            }
        }
        return order.compactMap { byKey[$0] }.enumerated().sorted { ($0.element.count, -$0.offset) > ($1.element.count, -$1.offset) }.map(\.element)
    }
}
