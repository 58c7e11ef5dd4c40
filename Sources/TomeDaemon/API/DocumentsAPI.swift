import Foundation
import Hummingbird
import Logging
import NIOCore
import TomeAPI
import TomeEngine
import TomeStore

/// `/v1/documents`: list, read, add, delete and reprocess documents.
struct DocumentsAPI: Sendable {
    let store: Store
    let intake: Intake
    let asker: AskService
    let memory: CorpusMemory
    let events: EventHub
    let settings: SettingsBox
    let lanes: Lanes
    let storage: StorageMonitor
    let disposer: Disposer
    let answers: AnswersAPI
    let logger: Logger

    var endpoints: [Endpoint] {
        [
            Endpoint(.get, "/v1/documents", query: ["status", "limit", "before"], access: .read) { request, _ in try list(request) },
            Endpoint(.post, "/v1/documents", query: ["name"], access: .write) { request, context in try await add(request, context: context) },
            Endpoint(.get, "/v1/documents/:id", access: .read) { _, context in try JSONBody.response(try info(try Parameters.documentID(context))) },
            Endpoint(.delete, "/v1/documents/:id", access: .write) { _, context in try await delete(try Parameters.documentID(context)) },
            Endpoint(.get, "/v1/documents/:id/text", query: ["page"], access: .read) { request, context in
                try text(request, id: try Parameters.documentID(context))
            },
            Endpoint(.post, "/v1/documents/:id/reprocess", query: ["stage"], access: .write) { request, context in
                try await reprocess(request, id: try Parameters.documentID(context))
            },
        ]
    }

    func list(_ request: Request) throws -> Response {
        let query = request.uri.queryParameters
        var status: JobStatus? = nil
        if let raw = query["status"] {
            guard let parsed = JobStatus(rawValue: String(raw)) else {
                throw APIError.badRequest("status must be one of queued, processing, done, failed")
            }
            status = parsed
        }
        let limit = try query["limit"].map { try Parameters.positiveInt($0, name: "limit") } ?? 50
        guard limit <= 1000 else { throw APIError.badRequest("limit must be at most 1000") }
        let before = try query["before"].map { Int64(try Parameters.positiveInt($0, name: "before")) }
        let records = try store.documents(status: status, before: before, limit: limit)
        let next = records.count == limit ? records.last?.id : nil
        return try JSONBody.response(DocumentList(documents: records.map(info), nextBefore: next))
    }

    func info(_ id: Int64) throws -> DocumentInfo {
        guard let record = try store.document(id: id) else { throw APIError.notFound("no document \(id)") }
        return info(record)
    }

    func info(_ record: DocumentRecord) -> DocumentInfo {
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
            createdAt: iso8601(record.createdAt), updatedAt: iso8601(record.updatedAt), finishedAt: record.finishedAt.map(iso8601),
            ocr: record.status == .done ? Self.ocr((try? store.ocrSummary(documentID: record.id)) ?? []) : nil
        )
    }

    /// The pages read by OCR, as the API lists them; nil for none.
    static func ocr(_ pages: [Store.OCRSummary]) -> [OCRPage]? {
        pages.isEmpty ? nil : pages.map { OCRPage(page: $0.page, confidence: $0.confidence, flagged: $0.flagged, rotation: $0.rotation, words: $0.words) }
    }

    func text(_ request: Request, id: Int64) throws -> Response {
        let record = try store.doneDocument(id, what: "text")
        var page: Int? = nil
        if let raw = request.uri.queryParameters["page"] { page = try Parameters.positiveInt(raw, name: "page") }
        guard let text = try store.text(documentID: id, page: page) else {
            throw APIError.notFound("document \(id) has no page \(page ?? 0) (it has \(record.pages ?? 0))")
        }
        return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    func add(_ request: Request, context: TomeRequestContext) async throws -> Response {
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

    func delete(_ id: Int64) async throws -> Response {
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

    /// `stage=answers` answers the pipeline's current questions again, now,
    /// without extracting the document again; `stage=written` has the
    /// language model write its summary and answers again (in the
    /// background: 202); otherwise the whole document is processed again
    /// from its kept file.
    func reprocess(_ request: Request, id: Int64) async throws -> Response {
        guard let document = try store.document(id: id) else { throw APIError.notFound("no document \(id)") }
        switch request.uri.queryParameters["stage"].map(String.init) {
        case nil, "all": break
        case "answers":
            return try await answers.answerAgain(id)
        case "written":
            guard document.status == .done else { throw APIError.notReady(id, status: document.status, request: "have it written again") }
            let kinds = try answers.written.writeAgain(documentID: id)
            guard !kinds.isEmpty else {
                throw APIError.badRequest("document \(id)'s pipeline (\(document.pipeline)) asks the language model for nothing: set written_summary or written_answers in it")
            }
            return try JSONBody.response(Accepted(id: id, status: .done), status: .accepted)
        case let other?:
            throw APIError.badRequest("stage must be all, answers or written (got \(other))")
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
