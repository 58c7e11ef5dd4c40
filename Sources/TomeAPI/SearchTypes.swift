// Keyword search: `/v1/search`. The JSON bodies of the control API
// (`openapi.yaml`), shared by the daemon that writes them and the `tome` CLI
// that reads them. Keys are snake_case; times are ISO 8601 UTC strings.

/// `GET /v1/search?q=QUERY[&limit=N][&document=ID]`: the sentences that match
/// a keyword query, best (bm25) first.
public struct SearchResponse: Codable, Sendable, Equatable {
    public struct Hit: Codable, Sendable, Equatable {
        public var document: Int64
        public var name: String
        /// The page the sentence starts on (nil where the document has no pages).
        public var page: Int?
        /// UTF-8 byte range of the sentence in the document's text.
        public var start: Int
        public var end: Int
        /// The whole sentence, as plain text.
        public var text: String
        /// Up to 24 words around the matches, HTML-escaped, each match in `<mark>…</mark>`.
        public var snippet: String
        /// bm25: higher is better; comparable within one response.
        public var score: Double

        public init(document: Int64, name: String, page: Int?, start: Int, end: Int, text: String, snippet: String, score: Double) {
            self.document = document
            self.name = name
            self.page = page
            self.start = start
            self.end = end
            self.text = text
            self.snippet = snippet
            self.score = score
        }
    }

    public var query: String
    public var hits: [Hit]

    public init(query: String, hits: [Hit]) {
        self.query = query
        self.hits = hits
    }
}
