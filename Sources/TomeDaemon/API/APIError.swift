import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import Hummingbird
import TomeAPI

/// An error the control API answers with: an honest status and the JSON body
/// `{"error": {"code", "message", "retryable"}}`.
struct APIError: HTTPResponseError {
    var status: HTTPResponse.Status
    var code: ErrorCode
    var message: String
    var retryable: Bool = false
    /// The existing document, for `duplicate`.
    var id: Int64? = nil
    /// Seconds after which a retry is likely to be admitted: the `Retry-After` header.
    var retryAfter: Int? = nil

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = ErrorResponse(code: code, message: message, retryable: retryable, id: id)
        var response = try JSONBody.response(body, status: status)
        if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }

    /// 503 for work a compute lane could not admit: the lane is full, or
    /// the peer's share of it is.
    static func laneFull(_ busy: ComputeLane.Busy) -> APIError {
        let message = busy.ownerShare
            ? "you already have as many \(busy.work) waiting or running as one user may; try again in \(busy.retryAfter) s"
            : "too many \(busy.work) are waiting; try again in \(busy.retryAfter) s"
        return APIError(status: .serviceUnavailable, code: .overloaded, message: message, retryable: true, retryAfter: busy.retryAfter)
    }

    static func badRequest(_ message: String) -> APIError { APIError(status: .badRequest, code: .badRequest, message: message) }
    static func notFound(_ message: String) -> APIError { APIError(status: .notFound, code: .notFound, message: message) }
    static func forbidden(_ message: String) -> APIError { APIError(status: .forbidden, code: .forbidden, message: message) }
    /// 409 `not_ready` for a document that is not done: retryable while it is
    /// queued or processing (`request`: what to do once it is done); a failed
    /// one will not become done by waiting, so it says how to try it again.
    static func notReady(_ id: Int64, status: DocumentStatus, request: String) -> APIError {
        guard status != .failed else {
            return APIError(status: .conflict, code: .notReady,
                            message: "document \(id) failed (tome show \(id) says why); once its file is mended, tome reprocess \(id) tries it again")
        }
        return APIError(status: .conflict, code: .notReady, message: "document \(id) is \(status); \(request) once it is done", retryable: true)
    }
    static func busy(_ id: Int64) -> APIError {
        APIError(status: .conflict, code: .busy, message: "document \(id) is queued or being processed; try again when it is done", retryable: true)
    }
}

/// JSON responses, encoded one way everywhere.
enum JSONBody {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        var data = try encoder().encode(value)
        data.append(0x0A)
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}

/// Turns every error into the JSON error body: API errors as they are,
/// Hummingbird's own (no such route, body too large) and the HTTP parser's
/// (a malformed body: 400) with a code, and anything else as a 500.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch let busy as ComputeLane.Busy {
            return try APIError.laneFull(busy).response(from: request, context: context)
        } catch let unavailable as CorpusMemory.Unavailable {
            return try APIError(status: .serviceUnavailable, code: .rebuilding, message: unavailable.description, retryable: true)
                .response(from: request, context: context)
        } catch let error as HTTPParserError {
            // The body could not be read as HTTP (a bad chunk size, fewer bytes than Content-Length): the client's fault.
            return try APIError.badRequest("malformed HTTP request: \(error)").response(from: request, context: context)
        } catch is NIOTooManyBytesError {
            return try APIError(status: .contentTooLarge, code: .tooLarge, message: "the request body is over the limit").response(from: request, context: context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = routes.methods(for: request.uri.path)
            if !allowed.isEmpty, !allowed.contains(request.method) {
                var response = try APIError(status: .methodNotAllowed, code: .methodNotAllowed,
                                            message: "\(request.method) is not allowed on \(request.uri.path); use \(allowed.map(\.rawValue).joined(separator: ", "))")
                    .response(from: request, context: context)
                response.headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
                return response
            }
            return try APIError.notFound("no such endpoint: \(request.method) \(request.uri.path)").response(from: request, context: context)
        } catch let error as HTTPError {
            let code: ErrorCode = error.status == .methodNotAllowed ? .methodNotAllowed : .badRequest
            let message = error.body ?? error.status.reasonPhrase
            return try APIError(status: error.status, code: code, message: message).response(from: request, context: context)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return try APIError(status: .internalServerError, code: .internal, message: "\(error)", retryable: true).response(from: request, context: context)
        }
    }
}

extension Double {
    /// Rounded to `places` decimals, as figures are shown in the API's JSON (milliseconds, scores).
    func rounded(toPlaces places: Int) -> Double {
        let scale = Foundation.pow(10.0, Double(places))
        return (self * scale).rounded() / scale
    }
}
