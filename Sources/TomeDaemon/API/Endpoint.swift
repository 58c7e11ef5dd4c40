import Foundation
import Hummingbird
import TomeStore

/// One route of the control API: its path and method, the query parameters
/// it reads (any other is a 400 that names it), the access it needs, and
/// its handler. The router, the 405 answers and the access check are all
/// built from the list of endpoints (`ControlAPI.endpoints`).
struct Endpoint: Sendable {
    typealias Handler = @Sendable (Request, TomeRequestContext) async throws -> Response

    var path: String
    var method: HTTPRequest.Method
    var query: Set<Substring>
    /// `.read` for what changes nothing (asking too, though it is a POST); `.write` otherwise.
    var access: AccessPolicy.Level
    var handler: Handler

    init(_ method: HTTPRequest.Method, _ path: String, query: Set<Substring> = [], access: AccessPolicy.Level, _ handler: @escaping Handler) {
        self.method = method
        self.path = path
        self.query = query
        self.access = access
        self.handler = handler
    }
}

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

/// Reading a request's parameters, with the 400s that say what is wrong.
enum Parameters {
    /// The `:id` of the path.
    static func documentID(_ context: TomeRequestContext) throws -> Int64 {
        guard let raw = context.parameters.get("id"), let id = Int64(raw), id > 0 else {
            throw APIError.badRequest("the document id must be a positive integer")
        }
        return id
    }

    static func positiveInt(_ raw: Substring, name: String) throws -> Int {
        guard let value = Int(raw), value > 0 else { throw APIError.badRequest("\(name) must be a positive integer") }
        return value
    }

    /// Refuses a query parameter the endpoint does not read.
    /// An empty one (`?a=1&&b=2`) is no parameter.
    static func onlyKnown(_ request: Request, _ known: Set<Substring>) throws {
        if let unknown = request.uri.queryParameters.map(\.key).first(where: { !$0.isEmpty && !known.contains($0) }) {
            throw APIError.badRequest("unknown parameter \(unknown.prefix(40).debugDescription) (known: \(known.sorted().joined(separator: ", ")))")
        }
    }
}

extension Store {
    /// Document `id`, done: 404 when there is none, 409 `not_ready` (`APIError.notReady`) until it is done.
    func doneDocument(_ id: Int64, what: String) throws -> DocumentRecord {
        guard let record = try document(id: id) else { throw APIError.notFound("no document \(id)") }
        guard record.status == .done else {
            throw APIError.notReady(id, status: record.status, request: "ask for its \(what)")
        }
        return record
    }
}
