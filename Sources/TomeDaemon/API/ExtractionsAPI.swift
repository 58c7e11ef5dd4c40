import Foundation
import Hummingbird
import NIOCore
import TomeAPI
import TomeEngine
import TomeStore

/// `/v1/documents/{id}/extractions` and `/v1/extractions`: what the
/// extraction experts found, in one document or across every one.
struct ExtractionsAPI: Sendable {
    let store: Store

    var endpoints: [Endpoint] {
        [
            Endpoint(.get, "/v1/documents/:id/extractions", query: ["kind"], access: .read) { request, context in
                try JSONBody.response(try extractions(request, id: try Parameters.documentID(context)))
            },
            Endpoint(.get, "/v1/extractions", query: ["kind", "from", "to", "min", "max", "currency", "role", "value", "document", "limit"],
                     access: .read) { request, _ in
                try JSONBody.response(try findExtractions(request))
            },
        ]
    }

    /// What the experts found in the document, by kind (`?kind=` for one).
    func extractions(_ request: Request, id: Int64) throws -> ExtractionsResponse {
        _ = try store.doneDocument(id, what: "extractions")
        let kind = try request.uri.queryParameters["kind"].map { try Self.extractionKind($0) }
        guard let stored = try store.extractions(documentID: id, kind: kind) else {
            throw APIError(status: .conflict, code: .needsReprocess,
                           message: "document \(id) was stored before extractions existed; reprocess it: tome reprocess \(id)", id: id)
        }
        var response = ExtractionsResponse(document: id)
        for k in kind.map({ [$0] }) ?? ExtractionKind.allCases { response[k.rawValue] = [] }
        var lists: [ExtractionKind: [ExtractionItem]] = [:]
        for e in stored { lists[e.kind, default: []].append(Self.item(e, name: nil)) }
        for (k, list) in lists { response[k.rawValue] = list }
        return response
    }

    /// One kind's values across the corpus, filtered on the indexed columns.
    func findExtractions(_ request: Request) throws -> ExtractionSearchResponse {
        let parameters = request.uri.queryParameters
        guard let raw = parameters["kind"] else {
            throw APIError.badRequest("the kind is required: GET /v1/extractions?kind=K (K: \(ExtractionKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let kind = try Self.extractionKind(raw)
        let limit = try parameters["limit"].map { try Parameters.positiveInt($0, name: "limit") } ?? 100
        guard limit <= 1000 else { throw APIError.badRequest("limit must be at most 1000") }
        var query = Store.ExtractionQuery(kind: kind, limit: limit)
        func number(_ key: Substring) throws -> Double? {
            guard let raw = parameters[key] else { return nil }
            guard kind == .amounts || kind == .percentages else { throw APIError.badRequest("\(key) applies to amounts and percentages, not \(kind.rawValue)") }
            guard let value = Double(String(raw)), value.isFinite else { throw APIError.badRequest("\(key) must be a number (got \(raw.prefix(40)))") }
            return value
        }
        func date(_ key: Substring) throws -> String? {
            guard let raw = parameters[key].map(String.init) else { return nil }
            guard kind == .dates else { throw APIError.badRequest("\(key) applies to dates, not \(kind.rawValue)") }
            guard ISODate.isValid(raw) else {
                throw APIError.badRequest("\(key) must be an ISO 8601 date: YYYY, YYYY-MM or YYYY-MM-DD (got \(raw.prefix(40)))")
            }
            return raw
        }
        (query.min, query.max) = (try number("min"), try number("max"))
        (query.from, query.to) = (try date("from"), try date("to"))
        if let min = query.min, let max = query.max, min > max { throw APIError.badRequest("min (\(min)) is above max (\(max))") }
        if let from = query.from, let to = query.to, from.prefix(to.count) > to.prefix(from.count) {
            throw APIError.badRequest("from (\(from)) is after to (\(to))")
        }
        if parameters["value"] != nil, kind == .amounts || kind == .percentages {
            throw APIError.badRequest("value applies to text values; for \(kind.rawValue) use min and max")
        }
        if let currency = parameters["currency"].map(String.init) {
            guard kind == .amounts else { throw APIError.badRequest("currency applies to amounts, not \(kind.rawValue)") }
            guard currency.count == 3, currency.allSatisfy({ $0.isASCII && $0.isLetter }) else {
                throw APIError.badRequest("currency must be an ISO 4217 code such as EUR or USD (got \(currency.prefix(40)))")
            }
            query.currency = currency
        }
        if let raw = parameters["role"] {
            guard kind == .amounts else { throw APIError.badRequest("role applies to amounts, not \(kind.rawValue)") }
            guard let role = AmountRole(rawValue: String(raw)) else {
                throw APIError.badRequest("unknown role \(raw.prefix(40).debugDescription) (known: \(AmountRole.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            query.role = role
        }
        query.value = parameters["value"].map(String.init)
        if let raw = parameters["document"] {
            let id = Int64(try Parameters.positiveInt(raw, name: "document"))
            guard try store.document(id: id) != nil else { throw APIError.notFound("no document \(id)") }
            query.documentID = id
        }
        let found = try store.findExtractions(query)
        var names: [Int64: String] = [:]
        for id in Set(found.map(\.documentID)) { names[id] = try store.document(id: id)?.name }
        return ExtractionSearchResponse(kind: kind.rawValue, items: found.map { Self.item($0, name: names[$0.documentID] ?? "") })
    }

    static func extractionKind(_ raw: Substring) throws -> ExtractionKind {
        guard let kind = ExtractionKind(rawValue: String(raw)) else {
            throw APIError.badRequest("unknown kind \(raw.prefix(40).debugDescription) (known: \(ExtractionKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        return kind
    }

    /// The API's item for a stored extraction; `name` set for corpus-wide results.
    static func item(_ e: StoredExtraction, name: String?) -> ExtractionItem {
        ExtractionItem(
            document: name == nil ? nil : e.documentID, name: name, text: e.text, value: e.value, page: e.page, start: e.start, end: e.end,
            count: e.kind.isAggregated ? e.count : nil,
            number: e.kind == .amounts || e.kind == .percentages ? e.number : nil, currency: e.currency,
            level: e.kind == .outline ? e.number.map { Int($0) } : nil, score: e.kind == .keyphrases ? e.number : nil, detail: e.detail,
            role: e.role.map { AmountRoleName(rawValue: $0.rawValue) })
    }
}
