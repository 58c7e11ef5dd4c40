import Foundation
import Hummingbird
import NIOCore
import TomeAPI
import TomeEngine
import TomeStore

/// `/v1/search`: keyword search (FTS5) over every done document's sentences, or one's.
struct SearchAPI: Sendable {
    let store: Store
    let lanes: Lanes

    var endpoints: [Endpoint] {
        [Endpoint(.get, "/v1/search", query: ["q", "limit", "document"], access: .read) { request, _ in try await search(request) }]
    }

    /// Keyword search (FTS5) over every done document's sentences, or one's.
    func search(_ request: Request) async throws -> Response {
        let parameters = request.uri.queryParameters
        guard let query = parameters["q"].map({ $0.replacingOccurrences(of: "+", with: " ") }),
              !query.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw APIError.badRequest("the query is required: GET /v1/search?q=WORDS")
        }
        let limit = try parameters["limit"].map { try Parameters.positiveInt($0, name: "limit") } ?? 20
        guard limit <= 200 else { throw APIError.badRequest("limit must be at most 200") }
        let document = try parameters["document"].map { Int64(try Parameters.positiveInt($0, name: "document")) }
        if let document, try store.document(id: document) == nil { throw APIError.notFound("no document \(document)") }
        let store = self.store
        do {
            // A common word over ten million tokens is a good part of a second of ranking: not on the request threads.
            let response = try await lanes.asks.run {
                let hits = try store.search(query, limit: limit, documentID: document)
                var names: [Int64: String] = [:]
                for id in Set(hits.map(\.documentID)) { names[id] = try store.document(id: id)?.name }
                return SearchResponse(query: query, hits: hits.map { hit in
                    SearchResponse.Hit(document: hit.documentID, name: names[hit.documentID] ?? "", page: hit.page, start: hit.start, end: hit.end,
                                       text: hit.text, snippet: Self.markedSnippet(hit.snippet), score: hit.score.rounded(toPlaces: 4))
                })
            }
            return try JSONBody.response(response)
        } catch let bad as SentenceSearch.BadQuery {
            throw APIError(status: .badRequest, code: .badQuery, message: bad.description)
        }
    }

    /// A snippet as HTML: the text escaped, each match in `<mark>…</mark>`.
    static func markedSnippet(_ snippet: String) -> String {
        snippet.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: SentenceSearch.open, with: "<mark>").replacingOccurrences(of: SentenceSearch.close, with: "</mark>")
    }
}
