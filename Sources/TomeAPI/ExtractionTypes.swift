// What the extraction experts found: `/v1/documents/{id}/extractions` and `/v1/extractions`. The JSON bodies of the control API
// (`openapi.yaml`), shared by the daemon that writes them and the `tome` CLI
// that reads them. Keys are snake_case; times are ISO 8601 UTC strings.

/// One value an extraction expert found, cited by page and the UTF-8 byte
/// range that slices the document's text to it. `value` is the normalised
/// form (ISO 8601 date, plain decimal, address, term, title); `count` is
/// set for names and key phrases (listed once each, at their first
/// occurrence), `number` for amounts and percentages, `currency` (ISO
/// 4217) for amounts, `level` for outline entries, `score` for key
/// phrases, `detail` where there is something to know (how an ambiguous
/// date was read, an acronym's expansion), `role` for an amount that its
/// line names (total, subtotal, tax, deduction).
public struct ExtractionItem: Codable, Sendable, Equatable {
    /// Set in corpus-wide results only.
    public var document: Int64?
    public var name: String?
    public var text: String
    public var value: String
    public var page: Int?
    public var start: Int
    public var end: Int
    public var count: Int?
    public var number: Double?
    public var currency: String?
    public var level: Int?
    public var score: Double?
    public var detail: String?
    public var role: AmountRoleName?

    public init(document: Int64? = nil, name: String? = nil, text: String, value: String, page: Int?, start: Int, end: Int, count: Int? = nil,
                number: Double? = nil, currency: String? = nil, level: Int? = nil, score: Double? = nil, detail: String? = nil,
                role: AmountRoleName? = nil) {
        self.document = document
        self.name = name
        self.text = text
        self.value = value
        self.page = page
        self.start = start
        self.end = end
        self.count = count
        self.number = number
        self.currency = currency
        self.level = level
        self.score = score
        self.detail = detail
        self.role = role
    }
}

/// `GET /v1/documents/{id}/extractions[?kind=K]`: what the experts found,
/// by kind (only kind K when asked; a kind its pipeline does not run is an
/// empty list).
public struct ExtractionsResponse: Codable, Sendable, Equatable {
    public var document: Int64
    public var dates: [ExtractionItem]?
    public var amounts: [ExtractionItem]?
    public var percentages: [ExtractionItem]?
    public var emails: [ExtractionItem]?
    public var urls: [ExtractionItem]?
    public var phones: [ExtractionItem]?
    public var names: [ExtractionItem]?
    public var keyphrases: [ExtractionItem]?
    public var definitions: [ExtractionItem]?
    public var outline: [ExtractionItem]?

    public static let kinds = ["dates", "amounts", "percentages", "emails", "urls", "phones", "names", "keyphrases", "definitions", "outline"]

    public init(document: Int64) { self.document = document }

    /// The list of kind `kind` (one of `kinds`).
    public subscript(kind: String) -> [ExtractionItem]? {
        get {
            switch kind {
            case "dates": dates
            case "amounts": amounts
            case "percentages": percentages
            case "emails": emails
            case "urls": urls
            case "phones": phones
            case "names": names
            case "keyphrases": keyphrases
            case "definitions": definitions
            case "outline": outline
            default: nil
            }
        }
        set {
            switch kind {
            case "dates": dates = newValue
            case "amounts": amounts = newValue
            case "percentages": percentages = newValue
            case "emails": emails = newValue
            case "urls": urls = newValue
            case "phones": phones = newValue
            case "names": names = newValue
            case "keyphrases": keyphrases = newValue
            case "definitions": definitions = newValue
            case "outline": outline = newValue
            default: break
            }
        }
    }
}

/// `GET /v1/extractions?kind=K&…`: one kind's values across every done
/// document (dates in date order, amounts and percentages largest first,
/// the rest by document), each with its document's id and name.
public struct ExtractionSearchResponse: Codable, Sendable, Equatable {
    public var kind: String
    public var items: [ExtractionItem]

    public init(kind: String, items: [ExtractionItem]) {
        self.kind = kind
        self.items = items
    }
}
