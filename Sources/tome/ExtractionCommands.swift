import ArgumentParser
import Foundation
import TomeAPI

/// `tome extract ID`: what the extraction experts found in one document.
struct Extract: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "What the extraction experts found in a document: dates, amounts, percentages, e-mails, URLs, phones, names, key phrases, definitions, outline.",
        discussion: "Each value with its page; --kind shows one kind. Examples:  tome extract 4   tome extract 4 --kind amounts --json"
    )
    @OptionGroup var connection: Connection
    @Argument(help: "The document id.") var id: Int64
    @Option(help: "Only this kind (\(ExtractionsResponse.kinds.joined(separator: ", "))).") var kind: String?
    @Flag(help: "Print JSON.") var json = false

    func validate() throws { try Find.validate(kind: kind) }

    func run() async throws {
        try await reporting {
            var path = "/v1/documents/\(id)/extractions"
            if let kind { path += "?kind=\(Find.encoded(kind))" }
            let response = try await connection.client.json(ExtractionsResponse.self, .GET, path)
            if json { return try printJSON(response) }
            for kind in ExtractionsResponse.kinds {
                guard let items = response[kind], !items.isEmpty else { continue }
                Output.line("\(kind) (\(items.count))")
                for item in items { Output.line("  " + Self.line(item)) }
            }
            if ExtractionsResponse.kinds.allSatisfy({ response[$0]?.isEmpty ?? true }) { Output.line("nothing found") }
        }
    }

    /// One value on one line: the normalised value, what it says beside it, and where.
    static func line(_ item: ExtractionItem) -> String {
        var parts: [String] = []
        if let document = item.document { parts.append("\(OneLine.escaped(item.name ?? "")) (document \(document))") }
        var value = item.value
        if let currency = item.currency { value += " \(currency)" }
        if let role = item.role { value += " (\(role))" }
        if let level = item.level { value = String(repeating: "  ", count: max(0, level - 1)) + value }
        parts.append(value)
        let text = Ask.oneLine(item.text)
        if text != item.value, item.level == nil { parts.append("\"\(text.count > 90 ? String(text.prefix(87)) + "..." : text)\"") }
        if let count = item.count { parts.append("×\(count)") }
        if let detail = item.detail { parts.append("(\(detail))") }
        parts.append(item.page.map { "p. \($0)" } ?? "bytes \(item.start)-\(item.end)")
        return parts.joined(separator: "  ")
    }
}

/// `tome find --kind K …`: one kind's values across every document.
struct Find: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find values of one kind across every document (dates in a range, amounts between bounds, a name...).",
        discussion: """
            Examples:
              tome find --kind dates --from 2024-01-01 --to 2024-06
              tome find --kind amounts --min 10000 --currency EUR
              tome find --kind amounts --role total
              tome find --kind names --value "World Health Organization"
            """
    )
    @OptionGroup var connection: Connection
    @Option(help: "The kind (\(ExtractionsResponse.kinds.joined(separator: ", "))).") var kind: String
    @Option(help: "Dates from this day on (YYYY, YYYY-MM or YYYY-MM-DD).") var from: String?
    @Option(help: "Dates up to this day (YYYY, YYYY-MM or YYYY-MM-DD; a month or year includes all its days).") var to: String?
    @Option(help: "Amounts or percentages at least this.") var min: Double?
    @Option(help: "Amounts or percentages at most this.") var max: Double?
    @Option(help: "Amounts in this currency (ISO 4217: EUR, USD...).") var currency: String?
    @Option(help: "Amounts of this role on their invoice (\(AmountRoleName.all.map(\.rawValue).joined(separator: ", "))).") var role: String?
    @Option(help: "Exactly this value (case-insensitive): a name, an address, a term.") var value: String?
    @Option(help: "Only this document.") var document: Int64?
    @Option(help: "How many (1…1000).") var limit = 50
    @Flag(help: "Print JSON.") var json = false

    /// A kind the daemon knows, checked before asking it: a usage error (exit 64), not a failure.
    static func validate(kind: String?) throws {
        guard let kind, !ExtractionsResponse.kinds.contains(kind) else { return }
        throw ValidationError("no kind \(kind) (kinds: \(ExtractionsResponse.kinds.joined(separator: ", ")))")
    }

    func validate() throws {
        try Self.validate(kind: kind)
        guard (1...1000).contains(limit) else { throw ValidationError("--limit must be between 1 and 1000") }
    }

    static func encoded(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? s
    }

    func run() async throws {
        try await reporting {
            var path = "/v1/extractions?kind=\(Self.encoded(kind))&limit=\(limit)"
            let options: [(String, String?)] = [("from", from), ("to", to), ("min", min.map { "\($0)" }), ("max", max.map { "\($0)" }),
                                                 ("currency", currency), ("role", role), ("value", value), ("document", document.map { "\($0)" })]
            for case let (key, value?) in options { path += "&\(key)=\(Self.encoded(value))" }
            let response = try await connection.client.json(ExtractionSearchResponse.self, .GET, path)
            if json { return try printJSON(response) }
            if response.items.isEmpty { Output.line("nothing found") }
            for item in response.items { Output.line(Extract.line(item)) }
        }
    }
}
