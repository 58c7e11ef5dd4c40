import Foundation
import Hummingbird
import Logging
import NIOCore
import TomeStore

/// The control API (`openapi.yaml`), one part per resource: documents,
/// asks, search, extractions, summaries and answers, events, status. Each
/// part holds only what it uses and lists its endpoints; this value puts
/// them together into one router, with the middleware every request goes
/// through: errors as the API's JSON, and who the peer is.
struct ControlAPI: Sendable {
    let documents: DocumentsAPI
    let ask: AskAPI
    let search: SearchAPI
    let extractions: ExtractionsAPI
    let answers: AnswersAPI
    let events: EventsAPI
    let status: StatusAPI
    let settings: SettingsBox
    /// Who is at the other end of a connection (`SO_PEERCRED`; tests give one).
    let peer: @Sendable (any Channel) async throws -> PeerCredentials?

    /// Every endpoint of every part.
    var endpoints: [Endpoint] {
        status.endpoints + documents.endpoints + answers.endpoints + extractions.endpoints + ask.endpoints + search.endpoints + events.endpoints
    }

    func router() -> Router<TomeRequestContext> {
        let router = Router(context: TomeRequestContext.self)
        let endpoints = self.endpoints
        router.add(middleware: ErrorMiddleware(routes: RouteTable(endpoints.map { ($0.path, $0.method) })))
        router.add(middleware: AccessMiddleware(settings: settings, peer: peer))
        for endpoint in endpoints {
            router.on(RouterPath(endpoint.path), method: endpoint.method) { request, context in
                guard context.access >= endpoint.access else {
                    throw APIError.forbidden("uid \(context.peerUID.map(String.init) ?? "?") may read but not \(request.method) (not in write_groups)")
                }
                try Parameters.onlyKnown(request, endpoint.query)
                return try await endpoint.handler(request, context)
            }
        }
        return router
    }
}
