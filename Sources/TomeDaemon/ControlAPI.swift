import Foundation
import Logging
import Glibc
import Hummingbird
import NIOCore
import TomeAPI
import TomeEngine
import TomeStore

/// The request context of the control API: Hummingbird's core storage plus
/// the connection's channel, from which the peer's credentials are read.
struct TomeRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel
    /// The peer's user, once `AccessMiddleware` has read it.
    var peerUID: UInt32?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

/// Refuses a request its peer may not make: reads need `read`, everything
/// else `write` (see `AccessPolicy`).
struct AccessMiddleware: RouterMiddleware {
    let settings: SettingsBox

    func handle(_ request: Request, context: TomeRequestContext, next: (Request, TomeRequestContext) async throws -> Response) async throws -> Response {
        guard let peer = try await PeerCredentials.of(context.channel) else {
            throw APIError.forbidden("cannot identify the peer of this connection")
        }
        let level = settings.access.level(uid: peer.uid, groups: Accounts.groups(ofUID: peer.uid, primary: peer.gid))
        let needed: AccessPolicy.Level = Self.onlyReads(request) ? .read : .write
        guard level >= needed else {
            throw APIError.forbidden(level == .read
                ? "uid \(peer.uid) may read but not \(request.method) (not in write_groups)"
                : "uid \(peer.uid) is not allowed here (not in read_groups or write_groups)")
        }
        var context = context
        context.peerUID = peer.uid
        return try await next(request, context)
    }

    /// GET and HEAD, and asking: `POST /v1/ask` and `POST /v1/documents/{id}/ask`
    /// change nothing (POST only because a question is a body).
    static func onlyReads(_ request: Request) -> Bool {
        if [.get, .head].contains(request.method) { return true }
        let parts = request.uri.path.split(separator: "/")
        return request.method == .post && parts.last == "ask"
            && (parts.count == 2 || (parts.count == 4 && parts[1] == "documents" && Int64(parts[2]) != nil)) && parts.first == "v1"
    }
}

/// The routes of the control API (`openapi.yaml`).
/// The paths of the API and their methods, to tell 404 from 405.
struct RouteTable: Sendable {
    let routes: [(path: [Substring], method: HTTPRequest.Method)]

    init(_ routes: [(String, HTTPRequest.Method)]) {
        self.routes = routes.map { ($0.0.split(separator: "/"), $0.1) }
    }

    /// The methods of the routes `path` matches (`:name` matches any part); empty for an unknown path.
    func methods(for path: String) -> [HTTPRequest.Method] {
        let parts = path.split(separator: "/")
        return routes.filter { route in
            route.path.count == parts.count && zip(route.path, parts).allSatisfy { $0.hasPrefix(":") || $0 == $1 }
        }.map(\.method)
    }
}

struct ControlAPI: Sendable {
    let store: Store
    let intake: Intake
    let asker: AskService
    let memory: CorpusMemory
    let events: EventHub
    let metrics: Metrics
    let settings: SettingsBox
    let workers: Int
    let startedAt: Double
    let logger: Logger
    /// Where asks (sparse, and dense apart: one at a time) and the store's
    /// deletes run, off the threads that serve requests.
    let lanes: Lanes
    let storage: StorageMonitor
    let answerer: PipelineAnswerer
    let disposer: Disposer
    static let version = "0.1.0"

    typealias Handler = @Sendable (Request, TomeRequestContext) async throws -> Response

    /// Every endpoint, with the query parameters it reads: the router is
    /// built from this list, and so is the 405 answer for a known path
    /// asked with another method, and the 400 for a parameter the endpoint
    /// does not read (a typo such as `limt=5` or `stag=answers` would
    /// otherwise be ignored without a word).
    func endpoints() -> [(path: String, method: HTTPRequest.Method, query: Set<Substring>, handler: Handler)] {
        [
            ("/v1/health", .get, [], { _, _ in try health() }),
            ("/v1/status", .get, [], { _, _ in try JSONBody.response(try status()) }),
            ("/v1/documents", .get, ["status", "limit", "before"], { request, _ in try list(request) }),
            ("/v1/documents", .post, ["name"], { request, context in try await add(request, context: context) }),
            ("/v1/documents/:id", .get, [], { _, context in try JSONBody.response(try info(try documentID(context))) }),
            ("/v1/documents/:id", .delete, [], { _, context in try await delete(try documentID(context)) }),
            ("/v1/documents/:id/text", .get, ["page"], { request, context in try text(request, id: try documentID(context)) }),
            ("/v1/documents/:id/reprocess", .post, ["stage"], { request, context in try await reprocess(request, id: try documentID(context)) }),
            ("/v1/documents/:id/answers", .get, [], { _, context in try JSONBody.response(try answers(try documentID(context))) }),
            ("/v1/documents/:id/summary", .get, [], { _, context in try JSONBody.response(try summary(try documentID(context))) }),
            ("/v1/documents/:id/extractions", .get, ["kind"], { request, context in
                try JSONBody.response(try extractions(request, id: try documentID(context)))
            }),
            ("/v1/extractions", .get, ["kind", "from", "to", "min", "max", "currency", "value", "document", "limit"], { request, _ in
                try JSONBody.response(try findExtractions(request))
            }),
            ("/v1/documents/:id/ask", .post, [], { request, context in try await ask(request, context: context, id: try documentID(context)) }),
            ("/v1/ask", .post, [], { request, context in try await ask(request, context: context, id: nil) }),
            ("/v1/engram", .get, ["q"], { request, _ in try JSONBody.response(try engram(request)) }),
            ("/v1/search", .get, ["q", "limit", "document"], { request, _ in try await search(request) }),
            ("/v1/events", .get, [], { _, context in try await eventStream(context) }),
            ("/metrics", .get, [], { _, _ in try metricsText() }),
        ]
    }

    func router() -> Router<TomeRequestContext> {
        let router = Router(context: TomeRequestContext.self)
        let endpoints = self.endpoints()
        router.add(middleware: ErrorMiddleware(routes: RouteTable(endpoints.map { ($0.path, $0.method) })))
        router.add(middleware: AccessMiddleware(settings: settings))
        for endpoint in endpoints {
            let (known, handler) = (endpoint.query, endpoint.handler)
            router.on(RouterPath(endpoint.path), method: endpoint.method) { request, context in
                try Self.onlyKnown(request, known)
                return try await handler(request, context)
            }
        }
        return router
    }

    // MARK: Handlers

    /// `ok`, or `degraded` (503) with the problems (a full disk) while the daemon cannot write.
    func health() throws -> Response {
        let snapshot = storage.snapshot
        guard let problem = snapshot.problem else { return try JSONBody.response(["status": "ok"]) }
        return try JSONBody.response(HealthReport(status: "degraded", problems: [problem]), status: .serviceUnavailable)
    }

    func status() throws -> DaemonStatus {
        let counts = try store.countsByStatus()
        return DaemonStatus(
            documents: Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) }),
            queueLength: try store.queueLength(), workersBusy: events.busyWorkers, workers: workers,
            uptimeSeconds: (monotonicNow() - startedAt).rounded(toPlaces: 3), version: Self.version,
            storage: StorageStatus(writable: storage.snapshot.writable, freeBytes: storage.snapshot.freeBytes, problem: storage.snapshot.problem),
            memory: memory.status, pipelines: settings.pipelines.keys.sorted()
        )
    }

    private func list(_ request: Request) throws -> Response {
        let query = request.uri.queryParameters
        var status: JobStatus? = nil
        if let raw = query["status"] {
            guard let parsed = JobStatus(rawValue: String(raw)) else {
                throw APIError.badRequest("status must be one of queued, processing, done, failed")
            }
            status = parsed
        }
        let limit = try query["limit"].map { try positiveInt($0, name: "limit") } ?? 50
        guard limit <= 1000 else { throw APIError.badRequest("limit must be at most 1000") }
        let before = try query["before"].map { Int64(try positiveInt($0, name: "before")) }
        let records = try store.documents(status: status, before: before, limit: limit)
        let next = records.count == limit ? records.last?.id : nil
        return try JSONBody.response(DocumentList(documents: records.map(info), nextBefore: next))
    }

    private func info(_ id: Int64) throws -> DocumentInfo {
        guard let record = try store.document(id: id) else { throw APIError.notFound("no document \(id)") }
        return info(record)
    }

    private func info(_ record: DocumentRecord) -> DocumentInfo {
        let attempts = (try? store.latestJob(documentID: record.id)?.attempts) ?? 0
        let metadata = DocumentMetadataInfo(
            title: record.title, author: record.author, subject: record.subject, keywords: record.keywords,
            creator: record.creator, producer: record.producer, created: record.docCreated, modified: record.docModified
        )
        return DocumentInfo(
            id: record.id, name: record.name, status: record.status, pipeline: record.pipeline, type: record.type,
            pages: record.pages, tokens: record.tokens, bytes: record.bytes, sha256: record.sha256,
            error: record.errorCode.map { DocumentError(code: FailureCode(rawValue: $0), message: record.errorMessage ?? "") },
            attempts: attempts,
            progress: record.status == .processing ? (events.progress(of: record.id) ?? DocumentProgress(stage: .extracting)) : nil,
            metadata: record.status == .done ? metadata : nil,
            createdAt: iso8601(record.createdAt), updatedAt: iso8601(record.updatedAt), finishedAt: record.finishedAt.map(iso8601)
        )
    }

    /// Document `id`, done: 404 when there is none, 409 `not_ready` (`APIError.notReady`) until it is done.
    private func doneDocument(_ id: Int64, what: String) throws -> DocumentRecord {
        guard let record = try store.document(id: id) else { throw APIError.notFound("no document \(id)") }
        guard record.status == .done else {
            throw APIError.notReady(id, status: record.status, request: "ask for its \(what)")
        }
        return record
    }

    private func text(_ request: Request, id: Int64) throws -> Response {
        let record = try doneDocument(id, what: "text")
        var page: Int? = nil
        if let raw = request.uri.queryParameters["page"] { page = try positiveInt(raw, name: "page") }
        guard let text = try store.text(documentID: id, page: page) else {
            throw APIError.notFound("document \(id) has no page \(page ?? 0) (it has \(record.pages ?? 0))")
        }
        return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    private func add(_ request: Request, context: TomeRequestContext) async throws -> Response {
        guard let name = request.uri.queryParameters["name"].map(String.init) else {
            throw APIError.badRequest("the file's name is required: POST /v1/documents?name=FILE")
        }
        try Self.validate(name: name)
        // A form (curl -F) would be stored with its boundaries and headers as the file's first and last lines.
        if let type = request.headers[.contentType], type.lowercased().hasPrefix("multipart/form-data") {
            throw APIError(status: .unsupportedMediaType, code: .unsupportedMediaType,
                           message: "send the file's bytes as the body (curl --data-binary @FILE), not a form (curl -F)")
        }
        guard await intake.hasRoom() else {
            throw APIError(status: .tooManyRequests, code: .queueFull, message: "the queue is full; try again later", retryable: true)
        }
        let intake: Enqueued
        do {
            intake = try await self.intake.upload(request.body, name: name, maxBytes: settings.current.resolvedMaxBodyBytes)
        } catch let refused as Intake.UploadRefused {
            throw APIError.badRequest(refused.message)
        } catch let tooLarge as Intake.UploadTooLarge {
            throw APIError(status: .contentTooLarge, code: .tooLarge, message: "the upload is over max_body_mb (\(tooLarge.limit >> 20) MiB)")
        } catch let full as Intake.NoSpace {
            throw APIError(status: HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage"), code: .diskFull, message: "\(full.problem); try again when space returns", retryable: true)
        } catch {
            storage.noteFailure(error)
            if StorageMonitor.isOutOfSpace(error) {
                throw APIError(status: HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage"), code: .diskFull, message: "no space to write the upload: \(error)", retryable: true)
            }
            throw error
        }
        switch intake {
        case let .queued(documentID, _):
            return try JSONBody.response(Accepted(id: documentID, status: .queued), status: .created)
        case let .duplicate(of, _):
            throw APIError(status: .conflict, code: .duplicate, message: "the same content is already document \(of)", id: of)
        }
    }

    private func delete(_ id: Int64) async throws -> Response {
        do {
            // The store and the corpus memory change together: one commit at a time.
            // Its stored counts come out of the memory: no text is read again.
            let (store, memory, logger, disposer) = (self.store, self.memory, self.logger, self.disposer)
            let deletion = try await lanes.commits.run {
                // Files of its finished jobs still waiting to be moved (a copy across file systems, maybe): moved
                // first, off the request threads, so that the delete sees where they are.
                disposer.disposePending(documentID: id)
                return try memory.follow({ beforeCommit in try store.delete(documentID: id, beforeCommit: beforeCommit) }, logger: logger)
            }
            guard let deletion else { throw APIError.notFound("no document \(id)") }
            asker.forget(id)
            disposer.discard(keptFiles: deletion.keptFiles)
        } catch StoreError.busy {
            throw APIError.busy(id)
        }
        events.publish(Event(event: .deleted, id: id, name: "", time: iso8601(Date())))
        return Response(status: .noContent)
    }

    /// The document's summary and its sections'.
    private func summary(_ id: Int64) throws -> SummaryResponse {
        _ = try doneDocument(id, what: "summary")
        guard let stored = try store.summary(documentID: id) else {
            throw APIError(status: .conflict, code: .needsReprocess,
                           message: "document \(id) was stored before summaries existed; reprocess it: tome reprocess \(id)", id: id)
        }
        let sentences = { (list: [StoredSummary.Sentence]) in
            SummaryResponse.Summary(sentences: list.map { SummaryResponse.Sentence(text: $0.text, page: $0.page, start: $0.start, end: $0.end) })
        }
        return SummaryResponse(document: id, summary: sentences(stored.sentences), sections: stored.sections.map {
            SummaryResponse.Section(title: $0.title, page: $0.page, summary: sentences($0.sentences))
        })
    }

    /// What the experts found in the document, by kind (`?kind=` for one).
    private func extractions(_ request: Request, id: Int64) throws -> ExtractionsResponse {
        _ = try doneDocument(id, what: "extractions")
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
    private func findExtractions(_ request: Request) throws -> ExtractionSearchResponse {
        let parameters = request.uri.queryParameters
        guard let raw = parameters["kind"] else {
            throw APIError.badRequest("the kind is required: GET /v1/extractions?kind=K (K: \(ExtractionKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let kind = try Self.extractionKind(raw)
        let limit = try parameters["limit"].map { try positiveInt($0, name: "limit") } ?? 100
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
        query.value = parameters["value"].map(String.init)
        if let raw = parameters["document"] {
            let id = Int64(try positiveInt(raw, name: "document"))
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
            level: e.kind == .outline ? e.number.map { Int($0) } : nil, score: e.kind == .keyphrases ? e.number : nil, detail: e.detail)
    }

    /// The pipeline's questions with the document's stored answers.
    private func answers(_ id: Int64) throws -> AnswersResponse {
        let document = try doneDocument(id, what: "answers")
        let questions = settings.pipelines[document.pipeline]?.questions ?? []
        let stored = try store.answers(documentID: id)
        return AnswersResponse(
            document: id, pipeline: document.pipeline, current: stored.map(\.question) == questions,
            answers: stored.map { row in
                guard let text = row.text, let start = row.start, let end = row.end else { return AnswersResponse.Item(question: row.question, answer: nil) }
                return AnswersResponse.Item(question: row.question, answer: AnswersResponse.Answer(
                    text: text, context: row.context ?? text, page: row.page ?? 1, start: start, end: end, score: row.score ?? 0))
            })
    }

    /// `stage=answers` answers the pipeline's current questions again, now,
    /// without extracting the document again; otherwise the whole document
    /// is processed again from its kept file.
    private func reprocess(_ request: Request, id: Int64) async throws -> Response {
        guard let document = try store.document(id: id) else { throw APIError.notFound("no document \(id)") }
        switch request.uri.queryParameters["stage"].map(String.init) {
        case nil, "all": break
        case "answers":
            guard document.status == .done else { throw APIError.busy(id) }
            try await answerer.answer(documentID: id)
            return try JSONBody.response(try answers(id))
        case let other?:
            throw APIError.badRequest("stage must be all or answers (got \(other))")
        }
        // Queued or processing: its file is not kept yet; the store would say busy too, after the wrong check.
        guard document.status.isFinished else { throw APIError.busy(id) }
        do {
            _ = try intake.requeue(documentID: id)
            asker.forget(id)  // its index, pages and names are about to be replaced
        } catch Intake.RequeueRefusal.notFound {
            throw APIError.notFound("no document \(id)")
        } catch Intake.RequeueRefusal.inWork {
            throw APIError.busy(id)
        } catch Intake.RequeueRefusal.sourceGone {
            throw APIError(status: .conflict, code: .sourceGone,
                           message: "document \(id)'s source file was not kept (on_success = delete) or has been removed; add the file again")
        }
        return try JSONBody.response(Accepted(id: id, status: .queued), status: .accepted)
    }

    /// Questions are short; a body past this is not a question.
    static let maxQuestionBytes = 64 << 10

    private func ask(_ request: Request, context: TomeRequestContext, id: Int64?) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: Self.maxQuestionBytes)
        let question: AskRequest
        let shape = "{\"question\": \"…\", \"k\": 5, \"mode\": \"sparse\"}"
        do {
            question = try JSONDecoder().decode(AskRequest.self, from: Data(body.readableBytesView))
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            // JSON, but a field of the wrong type ("k": "3", "question": 5): say which.
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw APIError.badRequest("\(field.isEmpty ? "the body" : field) has the wrong type: the body is \(shape) (question a string, k a whole number)")
        } catch DecodingError.keyNotFound(let key, _) {
            throw APIError.badRequest("\(key.stringValue) is missing: the body is \(shape)")
        } catch {
            throw APIError.badRequest("the body must be JSON: \(shape)")
        }
        guard !question.question.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw APIError.badRequest("question is empty") }
        guard question.question.contains(where: { $0.isLetter || $0.isNumber }) else {
            throw APIError.badRequest("the question has no word to look for")
        }
        let k = question.k ?? 5
        guard (1...50).contains(k) else { throw APIError.badRequest("k must be between 1 and 50") }
        let mode = question.mode ?? .sparse
        let asker = self.asker
        do {
            // The engine computes for a millisecond (dense: a good part of a second
            // per million tokens): on its own lane, never on the threads serving requests.
            // A peer user has its share of the dense lane only: one reader cannot fill it for the others.
            let response = try await (mode == .dense ? lanes.dense : lanes.asks).run(owner: context.peerUID) {
                try asker.ask(documentID: id, question: question.question, k: k, dense: mode == .dense)
            }
            return try JSONBody.response(response)
        } catch AskService.Failure.notFound(let id) {
            throw APIError.notFound("no document \(id)")
        } catch AskService.Failure.notReady(let id, let status) {
            throw APIError.notReady(id, status: status, request: "ask it")
        } catch AskService.Failure.needsReprocess(let id, let why) {
            throw APIError(status: .conflict, code: .needsReprocess, message: "\(why); reprocess it: tome reprocess \(id)", id: id)
        }
    }

    private func engram(_ request: Request) throws -> EngramEstimate {
        // `+` is a space in a query string (form encoding), as people type it: ?q=block+sorting.
        guard let phrase = request.uri.queryParameters["q"].map({ $0.replacingOccurrences(of: "+", with: " ") }), !phrase.isEmpty else {
            throw APIError.badRequest("the phrase is required: GET /v1/engram?q=PHRASE")
        }
        var tokenizer = Tokenizer()
        let ids = tokenizer.tokenize(phrase).filter(\.isContent).map(\.id)
        guard !ids.isEmpty else { throw APIError.badRequest("the phrase has no words") }
        return try memory.read { memory in
            // A phrase longer than the longest order: its least frequent window.
            let order = min(ids.count, memory.hasher.layout.orders)
            var documents = UInt32.max, occurrences = UInt32.max, salience = 0.0
            for end in (order - 1)..<ids.count {
                let gram = Array(ids[(end - order + 1)...end])
                let estimate = memory.estimate(gram)
                if estimate.occurrences < occurrences || (estimate.occurrences == occurrences && estimate.documents < documents) {
                    (documents, occurrences, salience) = (estimate.documents, estimate.occurrences, memory.salience(gram))
                }
            }
            return EngramEstimate(phrase: phrase, tokens: ids.count, documents: Int(documents), occurrences: Int(occurrences),
                                  salience: salience.rounded(toPlaces: 4), corpusDocuments: Int(memory.documents))
        }
    }

    /// Keyword search (FTS5) over every done document's sentences, or one's.
    private func search(_ request: Request) async throws -> Response {
        let parameters = request.uri.queryParameters
        guard let query = parameters["q"].map({ $0.replacingOccurrences(of: "+", with: " ") }),
              !query.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw APIError.badRequest("the query is required: GET /v1/search?q=WORDS")
        }
        let limit = try parameters["limit"].map { try positiveInt($0, name: "limit") } ?? 20
        guard limit <= 200 else { throw APIError.badRequest("limit must be at most 200") }
        let document = try parameters["document"].map { Int64(try positiveInt($0, name: "document")) }
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

    private func eventStream(_ context: TomeRequestContext) async throws -> Response {
        let config = settings.current
        let peer = try await PeerCredentials.of(context.channel)
        guard let stream = events.subscribe(peer: peer?.uid ?? 0, limit: config.maxEventStreams, perPeer: config.maxEventStreamsPerPeer) else {
            throw APIError(status: .serviceUnavailable, code: .tooManyStreams,
                           message: "\(config.maxEventStreams) event streams are open in all, or \(config.maxEventStreamsPerPeer) for this user; try again later",
                           retryable: true)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "application/x-ndjson", .cacheControl: "no-cache"],
            body: ResponseBody { writer in
                let encoder = JSONBody.encoder()
                for await event in stream {
                    var line = try encoder.encode(event)
                    line.append(0x0A)
                    try await writer.write(ByteBuffer(bytes: line))
                }
                try await writer.finish(nil)
            }
        )
    }

    private func metricsText() throws -> Response {
        let s = try status()
        let text = metrics.render(documents: s.documents, queueLength: s.queueLength, workersBusy: s.workersBusy, workers: s.workers, uptime: s.uptimeSeconds,
                                  storage: s.storage)
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    // MARK: Parameters

    private func documentID(_ context: TomeRequestContext) throws -> Int64 {
        guard let raw = context.parameters.get("id"), let id = Int64(raw), id > 0 else {
            throw APIError.badRequest("the document id must be a positive integer")
        }
        return id
    }

    /// Refuses a query parameter the endpoint does not read (`endpoints()`).
    /// An empty one (`?a=1&&b=2`) is no parameter.
    static func onlyKnown(_ request: Request, _ known: Set<Substring>) throws {
        if let unknown = request.uri.queryParameters.map(\.key).first(where: { !$0.isEmpty && !known.contains($0) }) {
            throw APIError.badRequest("unknown parameter \(unknown.prefix(40).debugDescription) (known: \(known.sorted().joined(separator: ", ")))")
        }
    }

    private func positiveInt(_ raw: Substring, name: String) throws -> Int {
        guard let value = Int(raw), value > 0 else { throw APIError.badRequest("\(name) must be a positive integer") }
        return value
    }

    /// A name is a relative path inside the spool whose file the watcher
    /// would take, each part within the file system's 255-byte limit (less
    /// room for the ` (2)` a taken name may get).
    static func validate(name: String) throws {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard !name.isEmpty, name.utf8.count <= 1024, !name.hasPrefix("/"), !name.contains("\0"),
              parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && !SpoolWatcher.isIgnored(name: String($0)) })
        else {
            throw APIError.badRequest("name must be a relative path of visible names (no '..', no dot-files, no .part/.tmp/~ endings)")
        }
        guard parts.allSatisfy({ $0.utf8.count <= 240 }) else {
            throw APIError.badRequest("each part of the name must be at most 240 bytes")
        }
        // A line break in a name would forge lines in the log and in NAME.error.
        guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw APIError.badRequest("the name must not hold control characters (line breaks, tabs…)")
        }
    }
}

extension Double {
    func rounded(toPlaces places: Int) -> Double {
        let scale = pow(10, Double(places))
        return (self * scale).rounded() / scale
    }
}
